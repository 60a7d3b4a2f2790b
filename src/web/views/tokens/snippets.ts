/**
 * The copy-ready client configurations shown once after a token is created (and, with placeholders,
 * in README's "Automate it"). Pure: everything comes from the arguments, so the page and the tests
 * build the same text. Each snippet names the protocol endpoint our edges serve: the REST API under
 * /api/v1, dyndns2 at /nic/update, acme-dns at /acme-dns/update, DNS UPDATE (TSIG) on the DNS server.
 */
import { isIP } from 'node:net';
import type { Config } from '../../../config.js';
import { acmeDnsCredentials } from '../../../domain/tokens/acme-dns.js';
import type { TokenScope } from '../../../domain/tokens/scope.js';

export interface SnippetInput {
  appUrl: string;
  rootDomain: string;
  /** The owner's username (dyndns2 login) and DNS label (`{label}.{root}`). */
  username: string;
  dnsLabel: string;
  token: { publicId: string; secret: string; scope: TokenScope };
  tsig: { keyName: string; secret: string };
  /** Where DNS UPDATE goes; null when this service does not take DNS UPDATE (DNS_UPDATE_SERVER=0). */
  dnsServer: { host: string; port: number } | null;
}

export interface Snippet {
  id: string;
  title: string;
  /** One sentence: what the snippet is for. */
  summary: string;
  /** Files or commands, each copyable on its own. */
  parts: { label: string; text: string }[];
}

/**
 * Where clients send DNS UPDATE, or null when the service takes none (DNS_UPDATE_SERVER=0): the
 * built-in server's public name in production (the first of DNS_NAMESERVERS), its bind address
 * elsewhere (development, tests). With Route53 serving the zone the built-in server takes updates
 * only, reached at the app's host.
 */
export function dnsUpdateServer(
  config: Pick<Config, 'appUrl' | 'isProduction'> & {
    dns: Pick<Config['dns'], 'provider' | 'updateServer'> & {
      embeddedServer: Pick<Config['dns']['embeddedServer'], 'host' | 'port' | 'nameservers'>;
    };
  },
): { host: string; port: number } | null {
  if (!config.dns.updateServer) return null;
  const server = config.dns.embeddedServer;
  let host: string;
  if (config.dns.provider === 'route53') host = new URL(config.appUrl).hostname;
  else if (config.isProduction) host = server.nameservers[0] ?? new URL(config.appUrl).hostname;
  else host = ['0.0.0.0', '::', ''].includes(server.host) ? '127.0.0.1' : server.host;
  return { host, port: server.port };
}

/** A name the examples can use: the token's first plain name, else `laptop`. */
function exampleName(scope: TokenScope): string {
  const plain = scope.names?.find((n) => !n.includes('*') && !n.startsWith('_'));
  return plain ?? 'laptop';
}

const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** The snippets that speak DNS UPDATE (left out when the service takes none). */
const DNS_UPDATE_SNIPPETS = new Set(['nsupdate', 'certbot', 'lego-rfc2136']);

export function buildSnippets(input: SnippetInput): Snippet[] {
  const all = allSnippets(input);
  return input.dnsServer ? all : all.filter((s) => !DNS_UPDATE_SNIPPETS.has(s.id));
}

function allSnippets(input: SnippetInput): Snippet[] {
  const app = input.appUrl.replace(/\/+$/, '');
  const appHost = new URL(app).host;
  const base = `${input.dnsLabel}.${input.rootDomain}`;
  const name = exampleName(input.token.scope);
  const fqdn = `${name}.${base}`;
  const { host, port } = input.dnsServer ?? { host: '', port: 0 };
  const secret = input.token.secret;
  const tsigKey = input.tsig.keyName;
  const tsigSecret = input.tsig.secret;
  const acme = (relative: string) =>
    acmeDnsCredentials(
      { appUrl: app, rootDomain: input.rootDomain },
      { dns_label: input.dnsLabel },
      { publicId: input.token.publicId, secret, subnets: input.token.scope.subnets },
      relative,
    );
  const account = acme('@');
  // lego and cert-manager look the account up by the name being validated: the base name and its
  // wildcard share `_acme-challenge.{base}`, so both keys hold the same account.
  const storage = JSON.stringify({ [base]: account, [`*.${base}`]: account }, null, 2);
  const serverIsIp = isIP(host) !== 0;

  return [
    {
      id: 'curl',
      title: 'curl (REST API)',
      summary: 'List and create DNS records from a script or a deployment pipeline.',
      parts: [
        {
          label: 'Shell',
          text: [
            `export STARCHART_TOKEN=${shellQuote(secret)}`,
            '',
            '# List your records',
            `curl -H "Authorization: Bearer $STARCHART_TOKEN" ${app}/api/v1/records`,
            '',
            `# Point ${fqdn} at an address`,
            `curl -H "Authorization: Bearer $STARCHART_TOKEN" \\`,
            `  -H 'Content-Type: application/json' \\`,
            `  -d '{"name":"${name}","type":"A","value":"192.0.2.10"}' \\`,
            `  ${app}/api/v1/records`,
          ].join('\n'),
        },
      ],
    },
    {
      id: 'ddclient',
      title: 'ddclient (dynamic DNS)',
      summary: `Keep ${fqdn} pointing at a machine whose address changes (home server, laptop).`,
      parts: [
        {
          label: '/etc/ddclient.conf',
          text: [
            'protocol=dyndns2',
            'use=web',
            // ddclient speaks plain HTTP only when told to (development instances without TLS).
            `ssl=${app.startsWith('https:') ? 'yes' : 'no'}`,
            `server=${appHost}`,
            `login=${input.username}`,
            `password=${secret}`,
            fqdn,
          ].join('\n'),
        },
        {
          label: 'Or any router or script (dyndns2 URL)',
          text: `curl -u ${shellQuote(`${input.username}:${secret}`)} \\\n  '${app}/nic/update?hostname=${fqdn}&myip=192.0.2.10'`,
        },
      ],
    },
    {
      id: 'nsupdate',
      title: 'nsupdate (RFC 2136 with TSIG)',
      summary: 'Change records with the DNS UPDATE protocol, signed with this token’s TSIG key.',
      parts: [
        {
          label: 'Shell',
          text: [
            `nsupdate -y hmac-sha256:${tsigKey}:${tsigSecret} <<'EOF'`,
            `server ${host} ${port}`,
            `zone ${input.rootDomain}`,
            `update delete ${fqdn} A`,
            `update add ${fqdn} 300 A 192.0.2.10`,
            'send',
            'EOF',
          ].join('\n'),
        },
      ],
    },
    {
      id: 'certbot',
      title: 'certbot (dns-rfc2136)',
      summary: `Get a certificate for ${base} and *.${base} with certbot and python3-certbot-dns-rfc2136.`,
      parts: [
        {
          label: '~/.secrets/starchart-rfc2136.ini (chmod 600)',
          text: [
            ...(serverIsIp ? [] : [`# certbot wants an IP address here: dig +short ${host}`]),
            `dns_rfc2136_server = ${host}`,
            `dns_rfc2136_port = ${port}`,
            `dns_rfc2136_name = ${tsigKey}`,
            `dns_rfc2136_secret = ${tsigSecret}`,
            'dns_rfc2136_algorithm = HMAC-SHA256',
          ].join('\n'),
        },
        {
          label: 'Shell',
          text: [
            'certbot certonly --dns-rfc2136 \\',
            '  --dns-rfc2136-credentials ~/.secrets/starchart-rfc2136.ini \\',
            `  -d ${base} -d '*.${base}'`,
          ].join('\n'),
        },
      ],
    },
    {
      id: 'lego-rfc2136',
      title: 'lego (rfc2136)',
      summary: `Get a certificate for ${base} and *.${base} with lego over DNS UPDATE.`,
      parts: [
        {
          label: 'Shell',
          text: [
            `export RFC2136_NAMESERVER=${host}:${port}`,
            `export RFC2136_TSIG_KEY=${tsigKey}`,
            `export RFC2136_TSIG_SECRET=${tsigSecret}`,
            'export RFC2136_TSIG_ALGORITHM=hmac-sha256.',
            `lego --email you@example.edu --dns rfc2136 -d ${base} -d '*.${base}' run`,
          ].join('\n'),
        },
      ],
    },
    {
      id: 'lego-acmedns',
      title: 'lego (acme-dns)',
      summary:
        'The same with lego’s acme-dns provider, over HTTPS instead of DNS UPDATE (use lego’s own release build: Debian’s lego 4.9.1 package lacks this provider).',
      parts: [
        { label: 'acme-dns.json (chmod 600)', text: storage },
        {
          label: 'Shell',
          text: [
            `export ACME_DNS_API_BASE=${account.server_url}`,
            'export ACME_DNS_STORAGE_PATH=./acme-dns.json',
            `lego --email you@example.edu --dns acme-dns -d ${base} -d '*.${base}' run`,
          ].join('\n'),
        },
      ],
    },
    {
      id: 'caddy',
      title: 'Caddy (acmedns module)',
      summary: `Let Caddy obtain and renew *.${base} itself (Caddy built with caddy-dns/acmedns).`,
      parts: [
        {
          label: 'Caddyfile',
          text: [
            `*.${base}, ${base} {`,
            '\ttls {',
            '\t\tdns acmedns {',
            `\t\t\tusername ${account.username}`,
            `\t\t\tpassword ${account.password}`,
            `\t\t\tsubdomain ${account.subdomain}`,
            `\t\t\tserver_url ${account.server_url}`,
            '\t\t}',
            '\t}',
            '\trespond "Hello from Caddy"',
            '}',
          ].join('\n'),
        },
      ],
    },
    {
      id: 'cert-manager',
      title: 'cert-manager (acmeDNS solver)',
      summary:
        'Certificates for a Kubernetes cluster: a Secret with the account and an Issuer solver.',
      parts: [
        {
          label: 'secret.yaml',
          text: [
            'apiVersion: v1',
            'kind: Secret',
            'metadata:',
            '  name: starchart-acme-dns',
            'type: Opaque',
            'stringData:',
            '  acmedns.json: |',
            ...storage.split('\n').map((l) => `    ${l}`),
          ].join('\n'),
        },
        {
          label: 'Issuer solver',
          text: [
            'solvers:',
            '  - dns01:',
            '      acmeDNS:',
            `        host: ${account.server_url}`,
            '        accountSecretRef:',
            '          name: starchart-acme-dns',
            '          key: acmedns.json',
          ].join('\n'),
        },
      ],
    },
  ];
}

/** The placeholder values README's "Automate it" shows (a test checks README has these snippets). */
export const README_EXAMPLE: SnippetInput = {
  appUrl: 'https://starchart.example.edu',
  rootDomain: 'example.edu',
  username: 'jdoe',
  dnsLabel: 'jdoe',
  token: {
    publicId: 'abcdefghijkl',
    secret: 'stc_abcdefghijklYOUR-TOKEN-SECRET',
    scope: { permissions: ['records:write'], names: null, types: null, subnets: null },
  },
  tsig: { keyName: 'abcdefghijkl.tsig', secret: 'YOUR-TSIG-SECRET-BASE64=' },
  dnsServer: { host: 'ns1.example.edu', port: 53 },
};
