/**
 * The issuance queue under Let's Encrypt's production limits, in simulated time: BENCH_QUEUE_USERS
 * (default 1,000) students request their first certificate in one burst on the first morning of term.
 * The real queue and budget (domain/certificates/queue.ts, budget.ts) run on a real database
 * (MariaDB by default, the production path; BENCH_DIALECT=sqlite for the embedded one) with a
 * simulated clock that jumps to the next event. Issued certificates live 90 days (Let's Encrypt's
 * classic lifetime today) and get the spread renewal time issuance gives them (renewal-timing.ts:
 * random in a band ending when a third of the lifetime remains); the real renewal scan starts them.
 *
 * The simulated CA enforces Let's Encrypt's documented limits with its own GCRA token buckets (the
 * algorithm Let's Encrypt publishes, written separately from ours) and answers `rateLimited` when an
 * order exceeds one. It counts those answers: the proof is that there are none.
 *
 * Prints, for a shared root and for a root on the Public Suffix List: orders sent per simulated week
 * (first certificates and renewals), the longest and median wait from request to order, the number
 * of rateLimited answers, and the real time the simulation took. Asserts nothing.
 *   npx tsx bench/issuance-queue.ts        (or npm run bench issuance-queue)
 */
import { requestCertificate, startDueRenewals } from '../src/domain/certificates/certificates.js';
import { fallbackRenewAt } from '../src/domain/certificates/renewal-timing.js';
import { exactSetHash } from '../src/domain/certificates/budget.js';
import type { CertificateDeps } from '../src/domain/certificates/issuance.js';
import { dispatchQueue } from '../src/domain/certificates/queue.js';
import { certificateDeps } from '../src/jobs/certificate-deps.js';
import { CaError } from '../src/ports/certificate-authority.js';
import { createTestApp } from '../test/support/app.js';
import type { Dialect } from '../test/support/db.js';
import { insertUser } from '../test/support/factories.js';
import { OrderOnlyCa } from '../test/support/stub-ca.js';

const USERS = Number(process.env.BENCH_QUEUE_USERS ?? 1000);
const dialect = (process.env.BENCH_DIALECT ?? 'mysql') as Dialect;
const ROOT = 'starchart.test';
const T0 = Date.UTC(2027, 0, 4, 9, 0, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const LIFETIME = 90 * DAY;
const HORIZON = 26 * WEEK;
/** CERTIFICATE_RENEW_REMAINING_PERCENT's default. */
const RENEW_FRACTION = 0.33;

/** Let's Encrypt's GCRA (Boulder's ratelimits package): allow if the new TAT is within the burst. */
class Gcra {
  private tat = new Map<string, number>();
  constructor(
    private readonly burst: number,
    private readonly periodMs: number,
  ) {}
  allow(key: string, now: number): boolean {
    const emission = this.periodMs / this.burst;
    const tat = Math.max(this.tat.get(key) ?? now, now);
    const next = tat + emission;
    if (next - now > this.burst * emission) return false;
    this.tat.set(key, next);
    return true;
  }
}

/** Stands in for Let's Encrypt production: enforces its limits, records what it was sent. */
class SimulatedLetsEncrypt extends OrderOnlyCa {
  readonly newOrdersPerAccount = new Gcra(300, 3 * HOUR);
  readonly perRegisteredDomain = new Gcra(50, WEEK);
  readonly perExactSet = new Gcra(5, WEEK);
  rateLimited = 0;
  orders: { at: number; renewal: boolean }[] = [];
  issuedSets = new Set<string>();
  constructor(
    private readonly now: () => number,
    private readonly psl: boolean,
  ) {
    super();
  }
  async createOrder(identifiers: string[], o: { replaces?: string | null } = {}) {
    const now = this.now();
    const set = exactSetHash(identifiers);
    const renewal = this.issuedSets.has(set);
    if (!o.replaces) {
      const base = identifiers[0]!.replace(/^\*\./, '');
      const registered = this.psl ? base : ROOT;
      // Renewals of the same set are exempt from these two (limits.md §5).
      const ok =
        renewal ||
        (this.newOrdersPerAccount.allow('account', now) &&
          this.perRegisteredDomain.allow(registered, now));
      if (!ok || !this.perExactSet.allow(set, now)) {
        this.rateLimited++;
        throw new CaError('rateLimited', 'too many certificates', null, HOUR);
      }
    }
    this.issuedSets.add(set);
    this.orders.push({ at: now, renewal });
    return `sim://order/${this.orders.length}`;
  }
}

async function simulate(psl: boolean) {
  let now = T0;
  const clock = { now: () => now };
  const t = await createTestApp({
    dialect,
    clock,
    env: {
      ROOT_DOMAIN: ROOT,
      ACME_LIMIT_PROFILE: 'letsencrypt',
      ROOT_DOMAIN_ON_PSL: psl ? '1' : '0',
    },
  });
  const started = performance.now();
  try {
    const ca = new SimulatedLetsEncrypt(clock.now, psl);
    const base = certificateDeps(t.container.jobDeps);
    const deps: CertificateDeps = {
      ...base,
      clock,
      ca,
      queue: { ...base.queue, enqueue: async () => {} },
    };
    const db = t.container.dbh.db;
    const users = [];
    for (let i = 0; i < USERS; i++) users.push(await insertUser(db));

    const waits: { ms: number; renewal: boolean }[] = [];
    for (const u of users) await requestCertificate(deps, null, u);
    // The advance job, reduced to what matters here: the order is sent (or refused) now, and an
    // accepted one is issued at once with a 90-day lifetime.
    const advance = async (id: number) => {
      const row = await db
        .selectFrom('certificates')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      try {
        await ca.createOrder([row.domain, `*.${row.domain}`], { replaces: row.replaces });
      } catch {
        return; // counted by the CA; the proof is that it never happens
      }
      waits.push({ ms: now - Number(row.queued_at), renewal: row.renewal_of !== null });
      await db
        .updateTable('certificates')
        .set({ status: 'superseded' })
        .where('user_id', '=', row.user_id)
        .where('status', '=', 'issued')
        .execute();
      await db
        .updateTable('certificates')
        .set({
          status: 'issued',
          step: 'issued',
          inflight_user_id: null,
          valid_from: now,
          valid_to: now + LIFETIME,
          renew_at: fallbackRenewAt(now, now + LIFETIME, RENEW_FRACTION, Math.random()),
          certificate: 'sim',
          chain: 'sim',
          updated_at: now,
        })
        .where('id', '=', id)
        .execute();
    };
    let passes = 0;
    while (now < T0 + HORIZON) {
      passes++;
      const r = await dispatchQueue(deps, advance);
      // Renewals whose time has come, started by the real renewal scan.
      if ((await startDueRenewals(deps)) > 0) continue; // dispatch them at this same instant
      const nextRenewal = await db
        .selectFrom('certificates')
        .select((eb) => eb.fn.min<number>('renew_at').as('v'))
        .where('status', '=', 'issued')
        .executeTakeFirst();
      const candidates = [r.nextAt, nextRenewal?.v != null ? Number(nextRenewal.v) : null].filter(
        (x): x is number => x !== null && x > now,
      );
      if (candidates.length === 0) break;
      now = Math.min(...candidates);
    }
    const perWeek: { week: number; first: number; renewals: number }[] = [];
    for (const o of ca.orders) {
      const w = Math.floor((o.at - T0) / WEEK) + 1;
      let row = perWeek.find((x) => x.week === w);
      if (!row) perWeek.push((row = { week: w, first: 0, renewals: 0 }));
      if (o.renewal) row.renewals++;
      else row.first++;
    }
    const firsts = ca.orders.filter((o) => !o.renewal).length;
    const firstWaits = waits
      .filter((w) => !w.renewal)
      .map((w) => w.ms)
      .sort((a, b) => a - b);
    const renewalWaits = waits.filter((w) => w.renewal).map((w) => w.ms);
    const hours = (ms: number) => Math.round((ms / HOUR) * 10) / 10;
    console.log(
      JSON.stringify({
        root: psl ? 'on the Public Suffix List' : 'shared (not on the PSL)',
        dialect,
        users: USERS,
        firstCertificatesIssued: firsts,
        renewalsSent: ca.orders.length - firsts,
        ordersPerWeek: perWeek
          .sort((a, b) => a.week - b.week)
          .map((w) => `w${w.week}: ${w.first} first + ${w.renewals} renewals`),
        firstCertificateWaitHours: {
          max: hours(firstWaits[firstWaits.length - 1] ?? 0),
          median: hours(firstWaits[Math.floor(firstWaits.length / 2)] ?? 0),
        },
        renewalMaxWaitHours: hours(Math.max(0, ...renewalWaits)),
        rateLimitedAnswers: ca.rateLimited,
        dispatchPasses: passes,
        realSeconds: Math.round((performance.now() - started) / 100) / 10,
      }),
    );
  } finally {
    await t.cleanup();
  }
}

await simulate(false);
await simulate(true);
