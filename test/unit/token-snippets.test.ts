/**
 * The client snippets the Tokens page shows once after creation: the values each client needs, in
 * the shape it stores them, and README's "Automate it" showing the very same text (built from
 * README_EXAMPLE), so the documentation cannot drift from the page.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  README_EXAMPLE,
  buildSnippets,
  dnsUpdateServer,
} from '../../src/web/views/tokens/snippets.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('token snippets', () => {
  it('README "Automate it" has every snippet the page shows, verbatim', () => {
    const section = readme.slice(readme.indexOf('## Automate it'));
    expect(section.length).toBeGreaterThan(100);
    const snippets = buildSnippets(README_EXAMPLE);
    expect(snippets.map((s) => s.id)).toEqual([
      'curl',
      'ddclient',
      'nsupdate',
      'certbot',
      'lego-rfc2136',
      'lego-acmedns',
      'caddy',
      'cert-manager',
    ]);
    for (const s of snippets) {
      expect(section, s.id).toContain(`### ${s.title}`);
      for (const p of s.parts) expect(section, `${s.id}: ${p.label}`).toContain(p.text);
    }
  });

  it('acme-dns clients get one account for the base name and its wildcard', () => {
    const lego = buildSnippets(README_EXAMPLE).find((s) => s.id === 'lego-acmedns')!;
    const storage = JSON.parse(lego.parts[0]!.text) as Record<string, Record<string, unknown>>;
    expect(Object.keys(storage)).toEqual(['jdoe.example.edu', '*.jdoe.example.edu']);
    for (const account of Object.values(storage))
      expect(account).toEqual({
        username: 'abcdefghijkl',
        password: README_EXAMPLE.token.secret,
        subdomain: '@',
        fulldomain: '_acme-challenge.jdoe.example.edu',
        server_url: 'https://starchart.example.edu/acme-dns',
        allowfrom: [],
      });
  });

  it('examples use a name the token may write, and its address ranges', () => {
    const scoped = buildSnippets({
      ...README_EXAMPLE,
      token: {
        ...README_EXAMPLE.token,
        scope: {
          permissions: ['records:write'],
          names: ['_acme-challenge', 'home'],
          types: null,
          subnets: ['192.0.2.0/24'],
        },
      },
    });
    expect(scoped.find((s) => s.id === 'nsupdate')!.parts[0]!.text).toContain(
      'update add home.jdoe.example.edu 300 A',
    );
    expect(scoped.find((s) => s.id === 'lego-acmedns')!.parts[0]!.text).toContain(
      '"allowfrom": [\n      "192.0.2.0/24"\n    ]',
    );
  });

  it('DNS UPDATE goes to the public name server in production, the bind address elsewhere', () => {
    const embeddedServer = {
      host: '0.0.0.0',
      port: 53,
      nameservers: ['ns1.example.edu', 'ns2.example.edu'],
    };
    const cfg = (provider: 'embedded' | 'route53', isProduction: boolean, updateServer = true) => ({
      appUrl: 'https://starchart.example.edu',
      isProduction,
      dns: { provider, updateServer, embeddedServer },
    });
    expect(dnsUpdateServer(cfg('embedded', true))).toEqual({ host: 'ns1.example.edu', port: 53 });
    expect(dnsUpdateServer(cfg('embedded', false))).toEqual({ host: '127.0.0.1', port: 53 });
    expect(dnsUpdateServer(cfg('route53', true))).toEqual({
      host: 'starchart.example.edu',
      port: 53,
    });
    expect(dnsUpdateServer(cfg('route53', true, false))).toBeNull();
  });

  it('without a DNS UPDATE server the DNS UPDATE set-ups are left out', () => {
    const ids = buildSnippets({ ...README_EXAMPLE, dnsServer: null }).map((s) => s.id);
    expect(ids).toEqual(['curl', 'ddclient', 'lego-acmedns', 'caddy', 'cert-manager']);
  });

  it('the curl example posts the fields the API accepts', async () => {
    const { RecordCreateSchema } = await import('../../src/web/api/schemas.js');
    const curl = buildSnippets(README_EXAMPLE)[0]!.parts[0]!.text;
    const body = /-d '([^']+)'/.exec(curl)![1]!;
    expect(RecordCreateSchema.safeParse(JSON.parse(body)).success).toBe(true);
  });
});
