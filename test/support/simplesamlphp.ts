/**
 * Runs a real SimpleSAMLphp IdP (Debian package) under `php -S` on a free loopback port, with config,
 * keys and metadata generated in a temp dir. Test users follow the original's fixture:
 * user1/user1pass student, user2/user2pass faculty, user3/user3pass admin, han.solo/starchart with two
 * groups. Used by vitest integration tests, the benchmark and Playwright's globalSetup.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateSigningKeys } from '../../src/adapters/saml/dev-idp.js';

const SSP_ROOT = '/usr/share/simplesamlphp';

export interface SspUser {
  username: string;
  password: string;
  attributes: Record<string, string[]>;
}

export interface SspServiceProvider {
  entityId: string;
  acsUrl: string;
  sloUrl: string;
}

export const SSP_USERS: SspUser[] = [
  {
    username: 'user1',
    password: 'user1pass',
    attributes: {
      sAMAccountName: ['user1'],
      email: ['user1@myseneca.ca'],
      displayname: ['Johannes Kepler'],
      group: ['mycustomdomain-students'],
    },
  },
  {
    username: 'user2',
    password: 'user2pass',
    attributes: {
      sAMAccountName: ['user2'],
      email: ['user2@myseneca.ca'],
      displayname: ['Galileo Galilei'],
      group: ['mycustomdomain-faculty'],
    },
  },
  {
    username: 'user3',
    password: 'user3pass',
    attributes: {
      sAMAccountName: ['user3'],
      email: ['user3@myseneca.ca'],
      displayname: ['Adam Mason'],
      group: ['mycustomdomain-admins'],
    },
  },
  {
    username: 'han.solo',
    password: 'starchart',
    attributes: {
      sAMAccountName: ['han.solo'],
      email: ['hansolo@myseneca.ca'],
      displayname: ['Hans Solo'],
      group: ['mycustomdomain-faculty', 'mycustomdomain-admins'],
    },
  },
];

export interface SimpleSamlPhp {
  baseUrl: string;
  entityId: string;
  metadataUrl: string;
  /** The IdP metadata XML (fetched once at start). */
  metadataXml: string;
  /** The same XML written to a file, for SAML_IDP_METADATA_PATH. */
  metadataPath: string;
  /** IdP-initiated (unsolicited) SSO start URL for an SP. */
  unsolicitedUrl(spEntityId: string): string;
  /** Register (or re-register) SPs; takes effect on the next request. */
  setServiceProviders(sps: SspServiceProvider[]): void;
  /** Change a user's attributes at the IdP; takes effect on their next sign-in. */
  setUserAttributes(username: string, attributes: Record<string, string[]>): void;
  users(): SspUser[];
  stop(): Promise<void>;
}

export interface StartOptions {
  serviceProviders: SspServiceProvider[];
  users?: SspUser[];
  /** Host name used in URLs (default 127.0.0.1). */
  host?: string;
  port?: number;
}

/** A free TCP port on loopback (asked from the OS, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const php = (v: unknown): string => {
  if (Array.isArray(v)) return `[${v.map(php).join(', ')}]`;
  if (v && typeof v === 'object')
    return `[${Object.entries(v)
      .map(([k, x]) => `${php(k)} => ${php(x)}`)
      .join(', ')}]`;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return String(v);
  return `'${String(v).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
};

/** Start SimpleSAMLphp; fails with a clear message when php or the package is missing. */
export async function startSimpleSamlPhp(options: StartOptions): Promise<SimpleSamlPhp> {
  if (!existsSync(`${SSP_ROOT}/www/index.php`))
    throw new Error(
      `SimpleSAMLphp is not installed (${SSP_ROOT} missing). Install it: apt-get install -y simplesamlphp php-cli php-xml php-mbstring (or bash .ci/services.sh all)`,
    );
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort());
  const baseUrl = `http://${host}:${port}`;
  const entityId = `${baseUrl}/saml2/idp/metadata.php`;
  const dir = mkdtempSync(path.join(tmpdir(), 'starchart-ssp-'));
  const d = (p: string) => path.join(dir, p);
  for (const sub of ['config', 'cert', 'log', 'data', 'tmp', 'metadata']) mkdirSync(d(sub));
  cpSync('/etc/simplesamlphp/acl.php', d('config/acl.php'));
  cpSync('/etc/simplesamlphp/attributemap', d('config/attributemap'), { recursive: true });
  const keys = await generateSigningKeys('SimpleSAMLphp test IdP');
  writeFileSync(d('cert/idp.key'), keys.keyPem, { mode: 0o600 });
  writeFileSync(d('cert/idp.crt'), keys.certPem);

  writeFileSync(
    d('config/config.php'),
    `<?php $config = ${php({
      baseurlpath: `${baseUrl}/`,
      certdir: `${d('cert')}/`,
      loggingdir: `${d('log')}/`,
      datadir: `${d('data')}/`,
      tempdir: d('tmp'),
      metadatadir: `${d('metadata')}/`,
      technicalcontact_name: 'Test',
      technicalcontact_email: 'test@example.com',
      timezone: 'UTC',
      secretsalt: 'starchart-test-salt-0123456789',
      'auth.adminpassword': 'admin-test',
      showerrors: true,
      'logging.handler': 'file',
      'logging.logfile': 'simplesamlphp.log',
      'enable.saml20-idp': true,
      'module.enable': { exampleauth: true, core: true, saml: true, admin: true },
      'session.cookie.secure': false,
      'session.phpsession.cookiename': 'SSPSESSID',
      'store.type': 'phpsession',
      'language.default': 'en',
      usenewui: false,
    }).replace(
      /\]$/,
      ", 'logging.level' => SimpleSAML\\Logger::INFO, 'session.cookie.samesite' => null]",
    )};\n`,
  );
  writeFileSync(
    d('metadata/saml20-idp-hosted.php'),
    `<?php $metadata[${php(entityId)}] = ${php({
      host: '__DEFAULT__',
      privatekey: 'idp.key',
      certificate: 'idp.crt',
      auth: 'example-userpass',
      NameIDFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
      'saml20.sign.response': true,
      'saml20.sign.assertion': true,
      authproc: {
        3: {
          class: 'saml:AttributeNameID',
          attribute: 'sAMAccountName',
          Format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
        },
      },
    })};\n`,
  );

  let users = (options.users ?? SSP_USERS).map((u) => ({
    ...u,
    attributes: { ...u.attributes },
  }));
  const writeUsers = () => {
    const entries: Record<string, unknown> = { 0: 'exampleauth:UserPass' };
    for (const u of users) entries[`${u.username}:${u.password}`] = u.attributes;
    writeFileSync(
      d('config/authsources.php'),
      `<?php $config = ${php({ admin: ['core:AdminPassword'], 'example-userpass': entries })};\n`,
    );
  };
  const writeSps = (sps: SspServiceProvider[]) => {
    const body = sps
      .map(
        (sp) =>
          `$metadata[${php(sp.entityId)}] = ${php({
            AssertionConsumerService: sp.acsUrl,
            SingleLogoutService: sp.sloUrl,
            NameIDFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
            'validate.authnrequest': false,
          })};`,
      )
      .join('\n');
    writeFileSync(d('metadata/saml20-sp-remote.php'), `<?php\n${body}\n`);
  };
  writeUsers();
  writeSps(options.serviceProviders);

  // Files tests rewrite while the server runs must never come from the opcode cache.
  writeFileSync(
    d('opcache-blacklist.txt'),
    `${d('config/authsources.php')}\n${d('metadata/saml20-sp-remote.php')}\n`,
  );
  const args = ['-d', `opcache.blacklist_filename=${d('opcache-blacklist.txt')}`];
  const child: ChildProcess = spawn(
    'php',
    [...args, '-S', `${host}:${port}`, '-t', `${SSP_ROOT}/www`],
    {
      env: { ...process.env, SIMPLESAMLPHP_CONFIG_DIR: d('config') },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let spawnError: Error | null = null;
  child.once('error', (e) => {
    spawnError = e;
  });

  const metadataUrl = `${baseUrl}/saml2/idp/metadata.php`;
  let metadataXml = '';
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (spawnError)
      throw new Error(
        `Could not start php (${(spawnError as Error).message}). Install it: apt-get install -y php-cli php-xml simplesamlphp`,
      );
    if (child.exitCode !== null)
      throw new Error(`php -S exited with ${child.exitCode}: ${stderr.trim()}`);
    try {
      const res = await fetch(metadataUrl);
      const text = await res.text();
      if (res.ok && text.includes('EntityDescriptor')) {
        metadataXml = text;
        break;
      }
      if (res.status >= 500)
        throw new Error(`SimpleSAMLphp answered ${res.status}: ${text.slice(0, 500)}`);
    } catch (e) {
      if (e instanceof Error && e.message.startsWith('SimpleSAMLphp answered')) {
        child.kill();
        throw e;
      }
    }
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`SimpleSAMLphp did not become ready at ${metadataUrl}: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const metadataPath = d('idp-metadata.xml');
  writeFileSync(metadataPath, metadataXml);

  return {
    baseUrl,
    entityId,
    metadataUrl,
    metadataXml,
    metadataPath,
    unsolicitedUrl: (sp) =>
      `${baseUrl}/saml2/idp/SSOService.php?spentityid=${encodeURIComponent(sp)}`,
    setServiceProviders: writeSps,
    setUserAttributes(username, attributes) {
      users = users.map((u) =>
        u.username === username ? { ...u, attributes: { ...u.attributes, ...attributes } } : u,
      );
      writeUsers();
    },
    users: () => users,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
