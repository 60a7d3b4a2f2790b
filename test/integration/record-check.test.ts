/**
 * The record check page against real DNS: the built-in DNS server as the authoritative one, and Debian's
 * unbound as the public resolver (it stands in for 1.1.1.1 and friends, unreachable here; it caches like
 * them). Live, propagating (the resolver still has the old answer cached), an unreachable resolver, and
 * authorisation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp } from '../support/app.js';
import { freePort } from '../support/process.js';
import { insertRecord } from '../support/dns.js';
import { markDnsChanged } from '../../src/domain/reconciler/request.js';
import { lookupOnce } from '../../src/adapters/dns/lookup.js';
import { insertUser } from '../support/factories.js';
import { type Unbound, startUnbound } from '../support/unbound.js';

describe('record check (built-in DNS server + unbound)', () => {
  let t: TestApp;
  let unbound: Unbound;
  let dead: number;
  beforeAll(async () => {
    const dnsPort = await freePort();
    const resolverPort = await freePort();
    dead = await freePort();
    t = await createTestApp({
      env: {
        DNS_SERVER_PORT: String(dnsPort),
        DNS_CHECK_RESOLVERS: `127.0.0.1:${resolverPort},127.0.0.1:${dead}`,
      },
    });
    await t.container.dnsServer!.start();
    unbound = await startUnbound(
      t.config.rootDomain,
      { host: '127.0.0.1', port: dnsPort },
      resolverPort,
    );
  });
  afterAll(async () => {
    await unbound?.stop();
    await t?.container.dnsServer?.stop();
    await t?.cleanup();
  });

  /** The built-in server answers from worker threads that apply a reload a moment later: wait for it. */
  const served = async (name: string, value: string) => {
    const end = Date.now() + 5_000;
    const server = { host: '127.0.0.1', port: t.container.dnsServer!.port };
    while (Date.now() < end) {
      const r = await lookupOnce(server, name, 'A', false, 500);
      if (r.ok && r.answers.some((a) => a.value === value)) return;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`${name} A ${value} was never served`);
  };

  it('live, then propagating after a change while the resolver keeps its cached answer; someone else gets 404', async () => {
    const db = t.container.dbh.db;
    const user = await insertUser(db);
    const id = await insertRecord(db, user, 'www', 'A', '192.0.2.10');
    await markDnsChanged(db, [user.dns_label], Date.now());
    await t.container.dnsServer!.refresh();
    const name = `www.${user.dns_label}.${t.config.rootDomain}`;
    await served(name, '192.0.2.10');
    const agent = await t.agent(user);
    // The edit page links here.
    expect(await (await agent.get(`/dns-records/${id}`)).text()).toContain(
      `href="/dns-records/${id}/check"`,
    );
    const first = await agent.get(`/dns-records/${id}/check`);
    expect(first.status).toBe(200);
    const html = await first.text();
    expect(html).toContain(`www.${user.dns_label}.${t.config.rootDomain}`);
    expect(html).toContain('data-summary="live"');
    expect(html).toContain('Built-in DNS server');
    expect(html).toMatch(/A 192\.0\.2\.10/);
    // The second resolver does not exist: it is shown as not answering, and does not decide.
    expect(html).toContain('no answer within 2 s');

    // The value changes: the built-in server answers the new one at once, unbound keeps the old one.
    await db.updateTable('dns_records').set({ value: '192.0.2.20' }).where('id', '=', id).execute();
    await markDnsChanged(db, [user.dns_label], Date.now());
    await t.container.dnsServer!.refresh();
    await served(name, '192.0.2.20');
    const later = await (await agent.get(`/dns-records/${id}/check`)).text();
    expect(later).toContain('data-summary="propagating"');
    expect(later).toMatch(/A 192\.0\.2\.20/);
    expect(later).toMatch(/A 192\.0\.2\.10/); // the resolver's cached answer
    expect(later).toContain('different');

    const stranger = await t.agent(await insertUser(db));
    expect((await stranger.get(`/dns-records/${id}/check`)).status).toBe(404);
    expect((await agent.get('/dns-records/abc/check')).status).toBe(404);
  });

  it('a record the authoritative server does not have yet is "not published"', async () => {
    const db = t.container.dbh.db;
    const user = await insertUser(db);
    const id = await insertRecord(db, user, 'new', 'TXT', 'hello world');
    // No refresh: the server still serves the zone as it was.
    const html = await (await (await t.agent(user)).get(`/dns-records/${id}/check`)).text();
    expect(html).toContain('data-summary="not-published"');
  });
});
