/**
 * The reconciler against the Route53-compatible fake, through the real AWS SDK: prompt pushes,
 * INSYNC → live, deletions, ownership (apex and foreign names survive), drift repair, batching
 * limits, throttling, PriorRequestNotComplete, rejected-batch isolation, the zone lease, and ACME
 * challenge values.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { ChangeResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { Route53Provider } from '../../src/adapters/dns/route53.js';
import { encodeTxt } from '../../src/adapters/dns/route53-values.js';
import { acquireLease, releaseLease } from '../../src/db/repos/dns-sync.js';
import { markDnsChanged, notifyDnsChanged } from '../../src/domain/reconciler/request.js';
import { startJobs } from '../../src/jobs/worker.js';
import { type TestApp, createTestApp } from '../support/app.js';
import { DIALECTS, silentLogger } from '../support/db.js';
import { insertChallenge, insertRecord, reconciler } from '../support/dns.js';
import { insertUser } from '../support/factories.js';
import { FakeRoute53 } from '../support/fake-route53.js';
import { dig } from '../support/knot.js';

const ROOT = 'starchart.test';
/** Batches of at most 5 records, so a few dozen records take several requests. */
const SMALL = { maxRecords: 5, maxValueChars: 32_000, maxChanges: 1000 };

describe.each(DIALECTS)('reconciler with fake Route53 (%s)', (dialect) => {
  let fake: FakeRoute53;
  let t: TestApp;

  beforeEach(async () => {
    fake = new FakeRoute53({ origin: ROOT });
    await fake.start();
    t = await createTestApp({
      dialect,
      env: {
        DNS_PROVIDER: 'route53',
        AWS_ROUTE53_HOSTED_ZONE_ID: fake.zoneId,
        AWS_ROUTE53_ENDPOINT: fake.endpoint,
      },
    });
  });
  afterEach(async () => {
    await t.cleanup();
    await fake.stop();
  });

  const db = () => t.container.dbh.db;
  const run = (mode: 'changes' | 'full', more = {}) =>
    reconciler(db(), t.container.dns, ROOT)(mode, more);
  const form = (
    subdomain: string,
    type: string,
    value: string,
    extra: Record<string, string> = {},
  ) => ({
    subdomain,
    type,
    value,
    ...extra,
  });

  test('create → pending → pushed → INSYNC → live, resolvable through the fake; delete removes it', async () => {
    fake.options.insyncDelayMs = 150;
    const user = await insertUser(db(), { username: `u${dialect}a`, dns_label: `u${dialect}a` });
    const agent = await t.agent(user);
    expect((await agent.post('/dns-records/new', form('www', 'A', '192.0.2.10'))).status).toBe(303);
    expect(
      (
        await agent.post(
          '/dns-records/new',
          form('mail', 'MX', 'mx.example.com', { priority: '5' }),
        )
      ).status,
    ).toBe(303);
    expect(
      (await agent.post('/dns-records/new', form('txt', 'TXT', 'say "hi" \\ ok'))).status,
    ).toBe(303);
    let rows = await db().selectFrom('dns_records').selectAll().execute();
    expect(rows.map((r) => r.status)).toEqual(['pending', 'pending', 'pending']);
    const page = await (await agent.get('/dns-records')).text();
    // One poller asks about all three until they are live.
    const ids = rows.map((r) => r.id);
    expect(page).toMatch(new RegExp(`hx-get="/dns-records/status\\?ids=(\\d+,){2}\\d+"`));
    for (const id of ids) expect(page).toContain(`<td id="s${id}" class="warn">pending</td>`);

    const report = await run('changes');
    expect(report.changeRequests).toBe(1);
    rows = await db().selectFrom('dns_records').selectAll().execute();
    expect(rows.map((r) => r.status)).toEqual(['live', 'live', 'live']);
    const fqdn = `www.${user.dns_label}.${ROOT}`;
    expect(fake.get(fqdn, 'A')?.values).toEqual(['192.0.2.10']);
    expect(fake.get(`mail.${user.dns_label}.${ROOT}`, 'MX')?.values).toEqual(['5 mx.example.com']);
    expect(fake.get(`txt.${user.dns_label}.${ROOT}`, 'TXT')?.values).toEqual([
      encodeTxt('say "hi" \\ ok'),
    ]);
    expect((await dig(fake.dnsPort, fqdn, 'A')).answers[0]).toMatch(/192\.0\.2\.10$/);
    const cell = await (await agent.get(`/dns-records/${rows[0]!.id}/status`)).text();
    expect(cell).toContain('live');
    expect(cell).not.toContain('pending');
    const poll = await (await agent.get(`/dns-records/status?ids=${ids.join(',')}`)).text();
    expect(poll.match(/class="ok" hx-swap-oob="true">live/g)).toHaveLength(3);
    expect(poll).not.toContain('status-poller'); // nothing left to poll

    expect(
      (await agent.post(`/dns-records/${rows[0]!.id}/delete`, { confirm: 'yes' })).status,
    ).toBe(303);
    await run('changes');
    expect(fake.get(fqdn, 'A')).toBeUndefined();
    expect((await dig(fake.dnsPort, fqdn, 'A')).status).toBe('NXDOMAIN');
  });

  test('apex and names outside user namespaces survive; drift inside them is repaired; unchanged pass makes 0 change calls', async () => {
    const alice = await insertUser(db(), { username: `al${dialect}`, dns_label: `al${dialect}` });
    const base = `${alice.dns_label}.${ROOT}`;
    await insertRecord(db(), alice, 'www', 'A', '192.0.2.1');
    await markDnsChanged(db(), [alice.dns_label], Date.now());
    const outside = [
      { name: `${ROOT}.`, type: 'TXT', ttl: 300, values: ['"v=spf1 -all"'] },
      { name: `www.${ROOT}.`, type: 'A', ttl: 300, values: ['198.51.100.1'] },
      { name: `a.b.c.${ROOT}.`, type: 'A', ttl: 300, values: ['198.51.100.2'] },
      { name: `x.nobody.${ROOT}.`, type: 'A', ttl: 300, values: ['198.51.100.3'] },
      { name: `${base}.`, type: 'A', ttl: 300, values: ['198.51.100.4'] },
      { name: `caa.${base}.`, type: 'CAA', ttl: 300, values: ['0 issue "letsencrypt.org"'] },
    ];
    for (const s of outside) fake.put(s);
    // Drift inside alice's namespace: a stray name and a tampered value.
    fake.put({ name: `stray.${base}.`, type: 'A', ttl: 300, values: ['203.0.113.9'] });
    await run('full');
    fake.put({ name: `www.${base}.`, type: 'A', ttl: 300, values: ['203.0.113.66'] });
    await run('full');
    expect(fake.get(`www.${base}`, 'A')?.values).toEqual(['192.0.2.1']);
    expect(fake.get(`stray.${base}`, 'A')).toBeUndefined();
    for (const s of outside) expect(fake.get(s.name, s.type)?.values).toEqual(s.values);
    expect(fake.get(ROOT, 'SOA')).toBeDefined();
    expect(fake.get(ROOT, 'NS')).toBeDefined();

    fake.resetStats();
    const again = await run('full');
    expect(fake.stats.change).toBe(0);
    expect(again.changeRequests).toBe(0);
  });

  test('a whole-zone pass in chunks of labels (in Route53 list order) repairs drift in every chunk with the fewest requests', async () => {
    // Labels whose list order differs from plain string order ("x-b" lists before "x.www").
    const labels = ['', '-b', '0', 'b', '-a', 'a', '-', 'z'].map((s) => `ch${dialect}${s}`);
    const users = [];
    for (const label of labels) {
      const u = await insertUser(db(), { username: `u${label}`, dns_label: label });
      users.push(u);
      await insertRecord(db(), u, 'www', 'A', '192.0.2.1');
      await insertRecord(db(), u, 'www', 'A', '192.0.2.2');
      await insertRecord(db(), u, 'txt', 'TXT', `hello ${label}`);
    }
    await insertChallenge(db(), users[3]!, ['token-c'], ROOT);
    await markDnsChanged(db(), labels, Date.now());
    await run('full', { zoneChunkLabels: 3 });
    for (const label of labels)
      expect(fake.get(`www.${label}.${ROOT}`, 'A')?.values.sort()).toEqual([
        '192.0.2.1',
        '192.0.2.2',
      ]);
    // Drift in every chunk: a stray name, a tampered value, a stale TXT; a foreign name stays.
    for (const [i, label] of labels.entries()) {
      const base = `${label}.${ROOT}`;
      if (i % 3 === 0)
        fake.put({ name: `stray.${base}.`, type: 'A', ttl: 300, values: ['203.0.113.9'] });
      if (i % 3 === 1)
        fake.put({ name: `www.${base}.`, type: 'A', ttl: 300, values: ['203.0.113.6'] });
      if (i % 3 === 2)
        fake.put({ name: `txt.${base}.`, type: 'TXT', ttl: 60, values: [encodeTxt('old')] });
    }
    fake.put({ name: `a.b.${labels[2]}.${ROOT}.`, type: 'A', ttl: 300, values: ['198.51.100.2'] });
    fake.resetStats();
    const report = await run('full', { zoneChunkLabels: 3 });
    expect(report.changeRequests).toBe(report.minimumRequests);
    expect(report.changeRequests).toBe(1); // the chunks' changes travel together
    for (const [i, label] of labels.entries()) {
      const base = `${label}.${ROOT}`;
      expect(fake.get(`stray.${base}`, 'A')).toBeUndefined();
      expect(fake.get(`www.${base}`, 'A')?.values.sort()).toEqual(['192.0.2.1', '192.0.2.2']);
      expect(fake.get(`txt.${base}`, 'TXT')?.values).toEqual([encodeTxt(`hello ${label}`)]);
      if (i === 3) expect(fake.get(`_acme-challenge.${base}`, 'TXT')).toBeDefined();
    }
    expect(fake.get(`a.b.${labels[2]}.${ROOT}`, 'A')?.values).toEqual(['198.51.100.2']);
    // A suspended user's names are withdrawn by the chunked pass too.
    await db()
      .updateTable('users')
      .set({ suspended_at: Date.now() })
      .where('id', '=', users[4]!.id)
      .execute();
    await run('full', { zoneChunkLabels: 2 });
    expect(fake.get(`www.${labels[4]}.${ROOT}`, 'A')).toBeUndefined();
    expect(fake.get(`www.${labels[5]}.${ROOT}`, 'A')).toBeDefined();
    fake.resetStats();
    expect((await run('full', { zoneChunkLabels: 1 })).changeRequests).toBe(0);
    expect(fake.stats.list).toBe(1); // the zone fits one page: one listing for all chunks
  });

  test('a deleted user’s published names are removed', async () => {
    const gone = await insertUser(db(), {
      username: `gone${dialect}`,
      dns_label: `gone${dialect}`,
    });
    await insertRecord(db(), gone, 'www', 'A', '192.0.2.5');
    await markDnsChanged(db(), [gone.dns_label], Date.now());
    await run('changes');
    expect(fake.get(`www.${gone.dns_label}.${ROOT}`, 'A')).toBeDefined();
    await db().deleteFrom('users').where('id', '=', gone.id).execute();
    await run('full');
    expect(fake.get(`www.${gone.dns_label}.${ROOT}`, 'A')).toBeUndefined();
  });

  test('ACME challenge values are part of the desired state', async () => {
    const u = await insertUser(db(), { username: `acme${dialect}`, dns_label: `acme${dialect}` });
    const now = Date.now();
    await insertChallenge(db(), u, ['token-a', 'token-b'], ROOT);
    await notifyDnsChanged({ db: db(), queue: t.container.queue }, [u.dns_label], now);
    await run('changes');
    expect(fake.get(`_acme-challenge.${u.dns_label}.${ROOT}`, 'TXT')?.values.sort()).toEqual(
      [encodeTxt('token-a'), encodeTxt('token-b')].sort(),
    );
    const rows = await db().selectFrom('acme_challenges').select('status').execute();
    expect(rows.map((r) => r.status)).toEqual(['live', 'live']);
  });
});

describe('reconciler limits and failures (fake Route53, sqlite)', () => {
  let fake: FakeRoute53;
  let t: TestApp;

  beforeAll(async () => {
    fake = new FakeRoute53({ origin: ROOT });
    await fake.start();
    t = await createTestApp({
      env: {
        DNS_PROVIDER: 'route53',
        AWS_ROUTE53_HOSTED_ZONE_ID: fake.zoneId,
        AWS_ROUTE53_ENDPOINT: fake.endpoint,
      },
    });
  });
  afterAll(async () => {
    await t.cleanup();
    await fake.stop();
  });
  beforeEach(() => {
    fake.options = { origin: ROOT };
    fake.resetStats();
  });
  const db = () => t.container.dbh.db;
  const run = (mode: 'changes' | 'full', more = {}) =>
    reconciler(db(), t.container.dns, ROOT)(mode, more);

  test('batches stay within 1000 ResourceRecord elements and 32000 characters, with the fewest calls', async () => {
    const users = [];
    for (let i = 0; i < 3; i++)
      users.push(await insertUser(db(), { username: `bulk${i}`, dns_label: `bulk${i}` }));
    for (const u of users)
      for (let i = 0; i < 500; i++)
        await insertRecord(db(), u, `h${i}`, 'A', `10.0.${i % 250}.${(i % 200) + 1}`);
    await markDnsChanged(
      db(),
      users.map((u) => u.dns_label),
      Date.now(),
    );
    const report = await run('changes');
    expect(Math.max(...fake.stats.changeElements)).toBeLessThanOrEqual(1000);
    expect(report.changeRequests).toBe(2); // 1500 CREATE elements → 2 requests
    expect(report.changeRequests).toBe(report.minimumRequests);

    // UPSERT counts twice: changing 600 values needs 1200 elements → 2 requests.
    await db()
      .updateTable('dns_records')
      .set({ value: '10.9.9.9' })
      .where('user_id', 'in', [users[0]!.id, users[1]!.id])
      .where(
        'subdomain',
        'in',
        Array.from({ length: 300 }, (_, i) => `h${i}`),
      )
      .execute();
    await markDnsChanged(
      db(),
      users.map((u) => u.dns_label),
      Date.now(),
    );
    fake.resetStats();
    const upserts = await run('changes');
    expect(upserts.changeRequests).toBe(2);
    expect(Math.max(...fake.stats.changeElements)).toBeLessThanOrEqual(1000);

    // Characters: 40 TXT values of 1000 characters (≈1010 encoded) → more than 32000 → 2 requests.
    const txtUser = await insertUser(db(), { username: 'bulktxt', dns_label: 'bulktxt' });
    for (let i = 0; i < 40; i++)
      await insertRecord(db(), txtUser, `t${i}`, 'TXT', `${i}`.padEnd(1000, 'z'));
    await markDnsChanged(db(), [txtUser.dns_label], Date.now());
    fake.resetStats();
    const txt = await run('changes');
    expect(txt.changeRequests).toBe(2);
    expect(fake.stats.rejected).toBe(0);
    expect(fake.get(`t7.bulktxt.${ROOT}`, 'TXT')?.values[0]).toBe(encodeTxt('7'.padEnd(1000, 'z')));
  });

  test('throttling and PriorRequestNotComplete back off and still converge', async () => {
    const u = await insertUser(db(), { username: 'slow', dns_label: 'slow' });
    for (let i = 0; i < 30; i++) await insertRecord(db(), u, `s${i}`, 'A', `192.0.2.${i + 1}`);
    await markDnsChanged(db(), [u.dns_label], Date.now());
    fake.options = { origin: ROOT, throttleRps: 4, busyWhilePending: true, insyncDelayMs: 100 };
    // Unpaced, so requests burst past the fake's rate and meet its Throttling answers.
    const small = new Route53Provider({ ...t.config.dns.route53, requestsPerSecond: 0 }, SMALL);
    const report = await reconciler(db(), small, ROOT)('changes');
    expect(fake.stats.throttled + fake.stats.busy).toBeGreaterThan(0);
    expect(report.throttled).toBeGreaterThan(0);
    expect(report.acceptedBatches).toBe(6);
    for (let i = 0; i < 30; i++)
      expect(fake.get(`s${i}.slow.${ROOT}`, 'A')?.values).toEqual([`192.0.2.${i + 1}`]);
  });

  test('paced at the account rate, the same work is never throttled and sends only the requests it needs', async () => {
    expect(t.config.dns.route53.requestsPerSecond).toBe(5); // the default
    const u = await insertUser(db(), { username: 'paced', dns_label: 'paced' });
    for (let i = 0; i < 30; i++) await insertRecord(db(), u, `p${i}`, 'A', `192.0.2.${i + 1}`);
    await markDnsChanged(db(), [u.dns_label], Date.now());
    fake.options = { origin: ROOT, throttleRps: 5, insyncDelayMs: 0 };
    fake.resetStats();
    const small = new Route53Provider(t.config.dns.route53, SMALL);
    const report = await reconciler(db(), small, ROOT)('changes');
    expect(fake.stats.throttled).toBe(0);
    expect(report.throttled).toBe(0);
    expect(report.acceptedBatches).toBe(6);
    expect(fake.stats.change).toBe(report.minimumRequests);
    for (let i = 0; i < 30; i++)
      expect(fake.get(`p${i}.paced.${ROOT}`, 'A')?.values).toEqual([`192.0.2.${i + 1}`]);
  });

  test('a rejected batch is split: the bad change is isolated and shown, the rest apply, and it is not retried blindly', async () => {
    const u = await insertUser(db(), { username: 'mixed', dns_label: 'mixed' });
    const ids: number[] = [];
    for (let i = 0; i < 10; i++)
      ids.push(await insertRecord(db(), u, `m${i}`, 'TXT', i === 6 ? 'evil' : `fine ${i}`));
    await markDnsChanged(db(), [u.dns_label], Date.now());
    fake.options = {
      origin: ROOT,
      rejectChange: (c) => (c.values.some((v) => v.includes('evil')) ? 'Value refused' : null),
    };
    const report = await run('changes');
    expect(report.rejectedChanges).toBe(1);
    for (let i = 0; i < 10; i++)
      expect(fake.get(`m${i}.mixed.${ROOT}`, 'TXT') !== undefined).toBe(i !== 6);
    const bad = await db()
      .selectFrom('dns_records')
      .selectAll()
      .where('id', '=', ids[6]!)
      .executeTakeFirstOrThrow();
    expect(bad.status).toBe('error');
    expect(bad.status_message).toContain('Value refused');
    const agent = await t.agent(u);
    expect(await (await agent.get('/dns-records')).text()).toContain('Value refused');
    fake.resetStats();
    await run('full');
    expect(fake.stats.change).toBe(0);
  });

  test("the fake refuses a Value over Route53's 4,000 characters (InvalidChangeBatch, 400) and a TXT string over 255 bytes", async () => {
    const client = new Route53Client({
      endpoint: fake.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const change = (value: string) =>
      client.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: fake.zoneId,
          ChangeBatch: {
            Changes: [
              {
                Action: 'CREATE',
                ResourceRecordSet: {
                  Name: `long.${ROOT}`,
                  Type: 'TXT',
                  TTL: 300,
                  ResourceRecords: [{ Value: value }],
                },
              },
            ],
          },
        }),
      );
    const strings = (n: number) => Array.from({ length: n }, () => `"${'x'.repeat(249)}"`);
    // 16 strings of 251 characters + 15 spaces = 4031 > 4000.
    const tooLong = strings(16).join(' ');
    const err = await change(tooLong).then(
      () => null,
      (e: unknown) =>
        e as { name: string; $metadata: { httpStatusCode?: number }; message: string },
    );
    expect(err?.name).toBe('InvalidChangeBatch');
    expect(err?.$metadata.httpStatusCode).toBe(400);
    expect(err?.message).toContain('longer than 4000 characters: 4031');
    expect(fake.get(`long.${ROOT}`, 'TXT')).toBeUndefined();
    const long255 = await change(`"${'y'.repeat(256)}"`).catch((e: Error) => e);
    expect((long255 as Error).name).toBe('InvalidChangeBatch');
    // Exactly 4000 is fine.
    await change([...strings(15), `"${'x'.repeat(218)}"`].join(' '));
    expect(fake.get(`long.${ROOT}`, 'TXT')?.values[0]).toHaveLength(4000);
    client.destroy();
  });

  test('a TXT value over 4,000 characters as written for DNS is refused by the form, so it is never sent', async () => {
    const u = await insertUser(db(), { username: 'longtxt', dns_label: 'longtxt' });
    const agent = await t.agent(u);
    // 2000 characters of text, 4523 once spaces are escaped and strings quoted.
    const res = await agent.post('/dns-records/new', {
      subdomain: 'spf',
      type: 'TXT',
      value: 'a '.repeat(900),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('too long for DNS');
    expect(
      await db().selectFrom('dns_records').select('id').where('user_id', '=', u.id).execute(),
    ).toEqual([]);
    await run('full');
    expect(fake.stats.rejected).toBe(0);
    expect(fake.get(`spf.longtxt.${ROOT}`, 'TXT')).toBeUndefined();
  });

  test('a stored TXT value Route53 refuses as too long (saved before the rule) is isolated and shown; the rest apply', async () => {
    const u = await insertUser(db(), { username: 'legacytxt', dns_label: 'legacytxt' });
    const bad = await insertRecord(db(), u, 'old', 'TXT', 'x'.repeat(4000)); // 4047 as sent
    const good = await insertRecord(db(), u, 'new', 'TXT', 'fine');
    await markDnsChanged(db(), [u.dns_label], Date.now());
    const report = await run('changes');
    expect(report.rejectedChanges).toBe(1);
    expect(fake.get(`new.legacytxt.${ROOT}`, 'TXT')).toBeDefined();
    expect(fake.get(`old.legacytxt.${ROOT}`, 'TXT')).toBeUndefined();
    const rows = await db()
      .selectFrom('dns_records')
      .select(['id', 'status', 'status_message'])
      .where('id', 'in', [bad, good])
      .orderBy('id')
      .execute();
    expect(rows.map((r) => r.status)).toEqual(['error', 'live']);
    expect(rows[0]!.status_message).toContain('The DNS provider rejected this record');
    expect(rows[0]!.status_message).toContain('longer than 4000 characters: 4047');
    const page = await (await (await t.agent(u)).get('/dns-records')).text();
    expect(page).toContain('longer than 4000 characters');
  });

  test('only one runner per zone: a held lease makes another run skip', async () => {
    const u = await insertUser(db(), { username: 'leased', dns_label: 'leased' });
    await insertRecord(db(), u, 'www', 'A', '192.0.2.77');
    await markDnsChanged(db(), [u.dns_label], Date.now());
    expect(await acquireLease(db(), ROOT, 'other-replica', Date.now(), 60_000)).toBe(true);
    const skipped = await run('changes');
    expect(skipped.skipped).toBe('lease');
    expect(fake.stats.change).toBe(0);
    const both = await Promise.all([
      run('changes', { holderId: 'a' }),
      run('changes', { holderId: 'b' }),
    ]);
    expect(both.map((r) => r.skipped)).toEqual(['lease', 'lease']);
    await releaseLease(db(), ROOT, 'other-replica');
    const done = await run('changes');
    expect(done.skipped).toBeNull();
    expect(fake.get(`www.leased.${ROOT}`, 'A')).toBeDefined();
  });

  test('the job pushes a change promptly after the web mutation (no fixed tick)', async () => {
    await startJobs({
      config: t.config,
      queue: t.container.queue,
      registry: t.container.registry,
      deps: t.container.jobDeps,
      logger: silentLogger,
    });
    const u = await insertUser(db(), { username: 'prompt', dns_label: 'prompt' });
    const agent = await t.agent(u);
    await agent.post('/dns-records/new', { subdomain: 'api', type: 'AAAA', value: '2001:DB8::1' });
    let found = false;
    for (let i = 0; i < 200 && !found; i++) {
      found = fake.get(`api.prompt.${ROOT}`, 'AAAA') !== undefined;
      if (!found) await new Promise((r) => setTimeout(r, 25));
    }
    expect(found).toBe(true);
    expect(fake.get(`api.prompt.${ROOT}`, 'AAAA')?.values).toEqual([
      '2001:0db8:0000:0000:0000:0000:0000:0001',
    ]);
  });
});
