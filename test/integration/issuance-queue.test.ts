/**
 * The issuance queue (issue 18) on both dialects, with Let's Encrypt's production limits and a
 * controllable clock: 120 students request at once under the 50-per-week registered-domain limit →
 * exactly 50 orders go, 70 wait with strictly increasing estimates that come true to the minute as the
 * clock reaches them; a renewal does not wait behind first certificates; a `rateLimited` answer holds
 * everything until its Retry-After; a PSL-listed root lifts the shared limit. Then two workers on
 * MariaDB + Redis (BullMQ) dispatching at once never send more than the budget.
 *
 * The CA here is a stand-in that records new orders and refuses to go further (the order workflow
 * itself is Pebble's, tested in certificates-pebble and acme-proxy tests): what is under test is how
 * many orders are sent and when.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requestCertificate } from '../../src/domain/certificates/certificates.js';
import type { CertificateDeps } from '../../src/domain/certificates/issuance.js';
import {
  DISPATCH_JOB,
  dispatchQueue,
  queueOverview,
  queuePlace,
  recordRateLimit,
} from '../../src/domain/certificates/queue.js';
import type { User } from '../../src/db/schema.js';
import { certificateDeps } from '../../src/jobs/certificate-deps.js';
import { startJobs } from '../../src/jobs/worker.js';
import { type TestApp, createTestApp } from '../support/app.js';
import { DIALECTS, silentLogger, uniqueDatabaseConfig } from '../support/db.js';
import { insertUser } from '../support/factories.js';
import { OrderOnlyCa } from '../support/stub-ca.js';
import { createToken } from '../../src/domain/tokens/tokens.js';

const T0 = Date.UTC(2027, 0, 4, 9, 0, 0); // a Monday morning, first day of term
const IV = 201.6 * 60_000; // one new certificate per registered domain every 7 days / 50

/** Records new orders; any later step is refused (the request then fails, quietly). */
class RecordingCa extends OrderOnlyCa {
  orders: { identifiers: string[]; replaces: string | null }[] = [];
  async createOrder(identifiers: string[], o: { replaces?: string | null } = {}) {
    this.orders.push({ identifiers, replaces: o.replaces ?? null });
    return `stub://order/${this.orders.length}`;
  }
}

describe.each(DIALECTS)('issuance queue on %s', (dialect) => {
  let t: TestApp;
  let now = T0;
  let ca: RecordingCa;
  let deps: CertificateDeps;
  const psl = { on: false };

  beforeAll(async () => {
    t = await createTestApp({ dialect, clock: { now: () => now } });
  });
  afterAll(async () => t?.cleanup());
  beforeEach(async () => {
    now = T0;
    ca = new RecordingCa();
    const db = t.container.dbh.db;
    for (const table of ['issuance_budget', 'ca_rate_limits', 'certificates'] as const)
      await db.deleteFrom(table).execute();
    const base = certificateDeps(t.container.jobDeps);
    deps = {
      ...base,
      clock: { now: () => now },
      ca,
      // No worker: the test runs the dispatcher itself.
      queue: { ...base.queue, enqueue: async () => {} },
      config: {
        ...base.config,
        acme: {
          ...base.config.acme,
          limits: { profile: 'letsencrypt', rootDomainOnPsl: psl.on, overrides: {} },
        },
      },
    };
  });

  const students = (n: number) =>
    Promise.all(Array.from({ length: n }, () => insertUser(t.container.dbh.db)));
  const requestAll = async (users: User[]) => {
    const ids: number[] = [];
    for (const u of users) ids.push((await requestCertificate(deps, null, u)).certificate.id);
    return ids;
  };
  const dispatch = () => dispatchQueue(deps, async () => {});

  it('120 at once under 50 per week: 50 orders, 70 wait with increasing estimates that come true', async () => {
    const ids = await requestAll(await students(120));
    const first = await dispatch();
    expect(first.sent).toEqual(ids.slice(0, 50));
    expect(ca.orders).toHaveLength(0); // the dispatcher only lets them go; the advance job orders
    expect(first.waiting).toBe(70);
    expect(first.nextAt).toBe(T0 + IV);

    // Everyone waiting knows their place and an estimate: one more certificate every 201.6 min.
    const places = await Promise.all(ids.slice(50).map((id) => queuePlace(deps, id)));
    places.forEach((p, i) => {
      expect(p).toMatchObject({
        place: i + 1,
        length: 70,
        limit: 'certificates-per-registered-domain',
      });
      expect(p!.estimate).toBe(T0 + (i + 1) * IV);
    });
    // Dispatching again before the refill sends nothing.
    now = T0 + IV - 1;
    expect((await dispatch()).sent).toEqual([]);

    // The estimates come true: at each estimate exactly the next request goes, and nobody else.
    for (let k = 0; k < 3; k++) {
      now = places[k]!.estimate;
      expect((await dispatch()).sent).toEqual([ids[50 + k]]);
    }
    // The others moved up; their estimates did not change.
    const later = await queuePlace(deps, ids[60]!);
    expect(later).toMatchObject({ place: 8, estimate: places[10]!.estimate });

    // Admins see the same on /admin/certificates and a card on the dashboard.
    const root = await insertUser(t.container.dbh.db, { role: 'admin' });
    const adminAgent = await t.agent(root);
    const page = await (await adminAgent.get('/admin/certificates')).text();
    expect(page).toMatch(/data-metric="queue-length">\s*67/);
    expect(page).toContain('data-bucket="certificates-per-registered-domain"');
    expect(await (await adminAgent.get('/admin')).text()).toMatch(
      /data-metric="issuance-waiting">\s*67 waiting/,
    );
    const admin = await queueOverview(deps);
    expect(admin.waiting).toBe(67);
    expect(admin.oldestQueuedAt).toBe(T0);
    expect(admin.newRequestEstimate).toBe(T0 + 71 * IV);
    expect(
      admin.buckets.find((b) => b.limit === 'certificates-per-registered-domain'),
    ).toMatchObject({ capacity: 50, remaining: 0, used: 50 });
  });

  it('a queued student sees their place and estimate on the page and through the API', async () => {
    const users = await students(53);
    const ids = await requestAll(users);
    await dispatch();
    const third = users[52]!;
    const html = await (await (await t.agent(third)).get('/certificate')).text();
    expect(html).toContain('Your request is in the queue');
    expect(html).toMatch(/data-queue-place="3">No\. 3</);
    expect(html).toContain('3 requests waiting');
    // T0 + 3 × 201.6 min = Monday 19:04.8 → rounded up to 5 minutes.
    expect(html).toMatch(/We expect to send your request for .* about Monday 4 January, 19:05 UTC/);
    expect(html).toContain('data-queue-reason="certificates-per-registered-domain"');
    expect(html).toContain('hx-trigger="every 60s"');
    const created = await createToken(
      { db: t.container.dbh.db, clock: { now: () => now }, config: t.config },
      { user: third, effectiveUser: third, requestId: 'test' },
      {
        name: 'queue',
        expiresInDays: 30,
        permissions: ['certificate:read'],
        names: [],
        types: [],
        subnets: [],
      },
    );
    const api = await t.request('/api/v1/certificate', {
      headers: { authorization: `Bearer ${created.secret}` },
    });
    expect(api.status).toBe(200);
    expect(await api.json()).toMatchObject({
      status: 'pending',
      queue: {
        place: 3,
        length: 3,
        estimate: new Date(T0 + 3 * IV).toISOString(),
        reason: 'certificates-per-registered-domain',
      },
    });
    // Once sent, no queue any more.
    now = T0 + 3 * IV;
    expect((await dispatch()).waiting).toBe(0);
    expect(ids).toHaveLength(53);
    const after = await t.request('/api/v1/certificate', {
      headers: { authorization: `Bearer ${created.secret}` },
    });
    expect((await after.json()).queue).toBeNull();
  });

  it('a renewal of a certificate in use does not wait behind first certificates', async () => {
    const [veteran, ...rest] = await students(61);
    // The veteran's certificate, issued last term (a renewal has the same names again).
    const db = t.container.dbh.db;
    await db
      .insertInto('certificates')
      .values({
        user_id: veteran!.id,
        domain: `${veteran!.dns_label}.${t.config.rootDomain}`,
        status: 'issued',
        step: 'issued',
        certificate: 'x',
        chain: 'x',
        valid_from: T0 - 80 * 86_400_000,
        valid_to: T0 + 10 * 86_400_000,
        created_at: T0 - 80 * 86_400_000,
        updated_at: T0 - 80 * 86_400_000,
        order_sent_at: T0 - 80 * 86_400_000,
      })
      .execute();
    await requestAll(rest);
    const renewal = (await requestCertificate(deps, null, veteran!)).certificate;
    expect(renewal).toMatchObject({ order_kind: 'renewal', queue_priority: 0 });
    expect((await queuePlace(deps, renewal.id))?.place).toBe(1);
    const r = await dispatch();
    expect(r.sent[0]).toBe(renewal.id);
    expect(r.sent).toHaveLength(51);
  });

  it('a rateLimited answer holds the whole queue until Retry-After, even when the budget refills', async () => {
    const ids = await requestAll(await students(52));
    expect((await dispatch()).sent).toHaveLength(50);
    await recordRateLimit(deps, {
      certificateId: ids[3]!,
      operation: 'new-order',
      detail: 'too many new orders',
      retryAfterMs: 5 * IV,
    });
    now = T0 + 2 * IV; // two tokens have come back
    const held = await dispatch();
    expect(held.sent).toEqual([]);
    expect(held.pausedUntil).toBe(T0 + 5 * IV);
    expect((await queuePlace(deps, ids[50]!))?.estimate).toBe(T0 + 5 * IV);
    expect((await queueOverview(deps)).rateLimits[0]).toMatchObject({
      detail: 'too many new orders',
    });
    now = T0 + 5 * IV;
    expect((await dispatch()).sent).toEqual([ids[50], ids[51]]);
  });

  it('the pass for the end of a pause that runs a moment early asks again under a key of its own', async () => {
    const ids = await requestAll(await students(1));
    await recordRateLimit(deps, {
      certificateId: ids[0]!,
      operation: 'new-order',
      detail: 'too many new orders',
      retryAfterMs: 1_200,
    });
    const paused = T0 + 1_200;
    // A queue keeps a job's dedupe id until the job finishes (in-process and BullMQ alike): the pass
    // scheduled for the pause's end, keyed by its second, is running and holds that id.
    const running = `${DISPATCH_JOB}:${Math.ceil(paused / 1000)}`;
    const asked: { dedupeId: string; delayMs: number }[] = [];
    const queue = {
      ...deps.queue,
      enqueue: async (
        _name: string,
        _payload: unknown,
        o: { delayMs?: number; dedupeId?: string },
      ) => {
        if (o.dedupeId !== running) asked.push({ dedupeId: o.dedupeId!, delayMs: o.delayMs ?? 0 });
      },
    };
    now = paused - 1; // the timer fired a millisecond before the clock reached the end
    const held = await dispatchQueue({ ...deps, queue }, async () => {});
    expect(held.sent).toEqual([]);
    expect(asked).toHaveLength(1);
    expect(asked[0]!.delayMs).toBeGreaterThan(1);
    now = paused + asked[0]!.delayMs - 1;
    expect((await dispatchQueue(deps, async () => {})).sent).toEqual(ids);
  });

  it('a limit the CA adjusted (ACME_LIMIT_OVERRIDES) replaces the published one', async () => {
    deps.config.acme.limits.overrides = {
      'certificates-per-registered-domain': { capacity: 100, periodMs: 7 * 86_400_000 },
    };
    const ids = await requestAll(await students(120));
    const r = await dispatch();
    expect(r.sent).toEqual(ids.slice(0, 100));
    // 7 days / 100 = one more every 100.8 minutes.
    expect(r.nextAt).toBe(T0 + 100.8 * 60_000);
  });

  it('with the root on the Public Suffix List every student has their own limit: all 120 go', async () => {
    psl.on = true;
    try {
      deps.config.acme.limits.rootDomainOnPsl = true;
      const ids = await requestAll(await students(120));
      expect((await dispatch()).sent).toEqual(ids);
    } finally {
      psl.on = false;
    }
  });
});

describe('two workers on MariaDB + Redis dispatching at once', () => {
  const apps: TestApp[] = [];
  const ca = new RecordingCa();
  let now = T0;
  const clock = { now: () => now };
  afterAll(async () => {
    for (const a of apps) await a.cleanup();
  });

  it('never send more than the budget, and the next goes when the budget refills', async () => {
    const db = uniqueDatabaseConfig('mysql');
    const prefix = `starchart-queue-${process.pid}-${Date.now()}`;
    for (let i = 0; i < 2; i++)
      apps.push(
        await createTestApp({
          dialect: 'mysql',
          redis: true,
          redisPrefix: prefix,
          clock,
          env: { DATABASE_URL: db.url, ACME_LIMIT_PROFILE: 'letsencrypt' },
          wrapCa: () => ca,
        }),
      );
    const watchdogs = await Promise.all(
      apps.map((a) =>
        startJobs({
          config: a.config,
          queue: a.container.queue,
          registry: a.container.registry,
          deps: a.container.jobDeps,
          logger: silentLogger,
          concurrency: 8,
        }),
      ),
    );
    try {
      const users = await Promise.all(
        Array.from({ length: 120 }, () => insertUser(apps[0]!.container.dbh.db)),
      );
      // Requests arrive at both replicas at once.
      await Promise.all(
        users.map((u, i) =>
          requestCertificate(certificateDeps(apps[i % 2]!.container.jobDeps), null, u),
        ),
      );
      const until = async (cond: () => boolean, ms = 30_000) => {
        const end = Date.now() + ms;
        while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      };
      await until(() => ca.orders.length >= 50);
      // Both dispatchers keep being asked (every request enqueues one): still 50.
      await Promise.all(
        apps.flatMap((a) =>
          [0, 1, 2].map(() => dispatchQueue(certificateDeps(a.container.jobDeps), async () => {})),
        ),
      );
      await new Promise((r) => setTimeout(r, 1_000));
      expect(ca.orders).toHaveLength(50);
      const waiting = await queueOverview(certificateDeps(apps[0]!.container.jobDeps));
      expect(waiting.waiting).toBe(70);
      // A week's fraction later one more token is there; either worker sends exactly one order.
      now = T0 + IV;
      await apps[1]!.container.queue.enqueue('certificate.dispatch', {});
      await until(() => ca.orders.length > 50, 10_000);
      await new Promise((r) => setTimeout(r, 500));
      expect(ca.orders).toHaveLength(51);
    } finally {
      for (const w of watchdogs) w.stop();
    }
  });
});
