/**
 * The issuance queue (issue 18): a certificate request waits here until the issuance budget
 * (budget.ts) lets its order go to the CA. The queue is durable (pending rows whose order was not sent)
 * and fair: renewals of certificates in use first, then everyone else in arrival order. A request
 * never overtakes an earlier one that waits for the same shared bucket (the account's new orders, the
 * registered domain's certificates); a request held only by its own limits (its exact set of names,
 * its failed validations) does not hold anyone else up.
 *
 * A `rateLimited` answer from the CA pauses the whole queue until its Retry-After: nothing is sent
 * until then, so a limit we did not model (or an operator's shared account) never becomes a storm.
 *
 * Estimates are honest arithmetic: for each bucket a request draws from, the time the bucket holds
 * enough tokens for every waiting request ahead of it that draws from the same bucket, plus its own.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../../config.js';
import { acquireLease, releaseLease } from '../../db/repos/dns-sync.js';
import { findBuckets } from '../../db/repos/issuance-budget.js';
import {
  type RateLimitRow,
  type WaitingRow,
  countWaitingCertificates,
  findWaitingCertificates,
  insertRateLimit,
  markOrderSent,
  pausedUntil,
  recentRateLimits,
} from '../../db/repos/issuance-queue.js';
import type { Db } from '../../db/client.js';
import type { Logger } from '../../logger.js';
import type { Clock } from '../../ports/clock.js';
import type { JobQueue } from '../../ports/job-queue.js';
import {
  type BudgetOrder,
  type LimitName,
  type OrderKind,
  type PlannedBucket,
  availableAt,
  bucketsForOrder,
  refill,
  tryTake,
} from './budget.js';

export const DISPATCH_JOB = 'certificate.dispatch';
/** How long after a CA pause ends the queue looks again. */
const PAUSE_MARGIN_MS = 250;
/** The most waiting requests one dispatch looks at (the rest wait for the next pass). */
const DISPATCH_BATCH = 5_000;
const LEASE = 'issuance-queue';
const LEASE_MS = 60_000;

export interface QueueDeps {
  db: Db;
  clock: Clock;
  queue: JobQueue;
  logger: Logger;
  config: Pick<Config, 'rootDomain'> & { acme: Pick<Config['acme'], 'limits'> };
}

const identifiersOf = (domain: string) => [domain, `*.${domain}`];

export const orderOf = (row: Pick<WaitingRow, 'domain' | 'order_kind'>): BudgetOrder => ({
  identifiers: identifiersOf(row.domain),
  kind: (row.order_kind ?? 'new') as OrderKind,
});

const settingsOf = (deps: QueueDeps) => ({
  profile: deps.config.acme.limits.profile,
  rootDomain: deps.config.rootDomain,
  rootDomainOnPsl: deps.config.acme.limits.rootDomainOnPsl,
  overrides: deps.config.acme.limits.overrides,
});

/**
 * Run the dispatcher soon. Timed runs are deduplicated per second. A new request passes its own id
 * (`forRequest`) so its run is never collapsed into one that is already running and may have read
 * the queue before the request was stored; the lease makes the extra runs cheap. Never throws.
 */
export async function requestDispatch(
  deps: Pick<QueueDeps, 'queue' | 'logger' | 'clock'>,
  delayMs = 0,
  forRequest: number | null = null,
  /** A dedupe key of its own (instead of the second the pass runs in). */
  key: string | null = null,
): Promise<void> {
  const at = deps.clock.now() + Math.max(0, delayMs);
  const dedupeId =
    key !== null
      ? `${DISPATCH_JOB}:${key}`
      : forRequest !== null
        ? `${DISPATCH_JOB}:request:${forRequest}`
        : `${DISPATCH_JOB}:${Math.ceil(at / 1000)}`;
  try {
    await deps.queue.enqueue(DISPATCH_JOB, {}, { delayMs: Math.max(0, delayMs), dedupeId });
  } catch (err) {
    deps.logger.warn({ err }, 'could not enqueue the certificate queue; its sweep will run it');
  }
}

export interface DispatchResult {
  /** Orders let go to the CA in this pass. */
  sent: number[];
  /** Requests still waiting. */
  waiting: number;
  /** When the next request could go (null: nothing waits), or the end of a CA pause. */
  nextAt: number | null;
  pausedUntil: number | null;
}

/**
 * Send every waiting request the budget allows now, in queue order, and schedule the next pass for
 * when the next token arrives. One dispatcher runs at a time across replicas (a lease); the budget's
 * row locks would keep concurrent ones within the limits anyway. `advance(id)` starts a sent request.
 */
export async function dispatchQueue(
  deps: QueueDeps,
  advance: (certificateId: number) => Promise<void>,
): Promise<DispatchResult> {
  const now = deps.clock.now();
  const paused = await pausedUntil(deps.db, now);
  if (paused !== null) {
    // The pass for the pause's end may itself run a moment early (timers and the clock differ by a
    // millisecond or so) and land here: a queue keeps a job's dedupe id until it finishes, so asking
    // again under the time-based id of the running pass would be dropped and the queue would wait
    // for the next sweep. A key of the pause's own, a little after it ends, never collides.
    await requestDispatch(deps, paused - now + PAUSE_MARGIN_MS, null, `after-pause:${paused}`);
    return {
      sent: [],
      waiting: await countWaitingCertificates(deps.db),
      nextAt: paused,
      pausedUntil: paused,
    };
  }
  const holder = randomUUID();
  if (!(await acquireLease(deps.db, LEASE, holder, now, LEASE_MS))) {
    // Another replica is dispatching; look again shortly in case it started before our request.
    await requestDispatch(deps, 2_000);
    return {
      sent: [],
      waiting: await countWaitingCertificates(deps.db),
      nextAt: null,
      pausedUntil: null,
    };
  }
  const sent: number[] = [];
  let nextAt: number | null = null;
  let waiting = 0;
  try {
    const blocked = new Set<string>();
    const seen = new Set<number>();
    // Requests that arrive while a pass runs may have had their own dispatch collapsed into this one
    // (same dedupe id): look again until a pass finds nothing new.
    for (let pass = 0; pass < 10; pass++) {
      const rows = await findWaitingCertificates(deps.db, DISPATCH_BATCH);
      const fresh = rows.filter((r) => !seen.has(r.id));
      waiting = rows.length - fresh.length;
      if (rows.length === DISPATCH_BATCH)
        waiting += (await countWaitingCertificates(deps.db)) - rows.length;
      if (fresh.length === 0) break;
      for (const row of fresh) {
        seen.add(row.id);
        const order = orderOf(row);
        const buckets = bucketsForOrder(order, settingsOf(deps));
        if (buckets.some((b) => blocked.has(b.key))) {
          waiting++;
          continue;
        }
        const r = await tryTake(deps, order);
        if (r.ok) {
          if (await markOrderSent(deps.db, row.id, deps.clock.now())) {
            sent.push(row.id);
            await advance(row.id);
          }
          continue;
        }
        waiting++;
        // Whoever comes later and needs the bucket that refused this one waits behind it.
        for (const b of buckets) if (b.limit === r.limit) blocked.add(b.key);
        nextAt = nextAt === null ? r.availableAt : Math.min(nextAt, r.availableAt);
      }
    }
  } finally {
    await releaseLease(deps.db, LEASE, holder);
  }
  if (nextAt !== null) await requestDispatch(deps, Math.max(1_000, nextAt - deps.clock.now()));
  if (sent.length > 0 || waiting > 0)
    deps.logger.info({ sent: sent.length, waiting, nextAt }, 'certificate queue dispatched');
  return { sent, waiting, nextAt, pausedUntil: null };
}

/**
 * Remember a `rateLimited` answer from the CA: the queue sends nothing until `retryAfterMs` has
 * passed (an hour when the CA did not say), and admins see it.
 */
export async function recordRateLimit(
  deps: Pick<QueueDeps, 'db' | 'clock' | 'logger'>,
  answer: {
    certificateId: number | null;
    operation: string;
    detail: string;
    retryAfterMs: number | null;
  },
): Promise<number> {
  const now = deps.clock.now();
  const retryUntil = now + Math.max(1_000, answer.retryAfterMs ?? 3_600_000);
  await insertRateLimit(deps.db, {
    at: now,
    retry_until: retryUntil,
    certificate_id: answer.certificateId,
    operation: answer.operation.slice(0, 32),
    detail: answer.detail.slice(0, 1000),
  });
  deps.logger.warn(
    {
      certificateId: answer.certificateId,
      operation: answer.operation,
      retryUntil,
      detail: answer.detail,
    },
    'certificate authority rate limit: the issuance queue pauses',
  );
  return retryUntil;
}

export interface QueuePlace {
  /** 1 = next in line. */
  place: number;
  /** Everyone waiting, this request included. */
  length: number;
  /** When we expect to send the order (epoch ms). */
  estimate: number;
  /** The limit that holds it (null when only the queue ahead or a CA pause does). */
  limit: LimitName | null;
  pausedUntil: number | null;
}

/**
 * Where a waiting request stands: its place and when its order should go. Null when it is not
 * waiting (sent, finished, or unknown).
 */
export async function queuePlace(
  deps: QueueDeps,
  certificateId: number,
): Promise<QueuePlace | null> {
  const rows = await findWaitingCertificates(deps.db, DISPATCH_BATCH);
  const index = rows.findIndex((r) => r.id === certificateId);
  if (index === -1) return null;
  const est = await estimateAfter(deps, rows.slice(0, index), orderOf(rows[index]!));
  return { place: index + 1, length: rows.length, ...est };
}

/** When an order would go with `ahead` waiting before it, and the limit that decides it. */
async function estimateAfter(
  deps: QueueDeps,
  ahead: Pick<WaitingRow, 'domain' | 'order_kind'>[],
  order: BudgetOrder,
): Promise<{ estimate: number; limit: LimitName | null; pausedUntil: number | null }> {
  const now = deps.clock.now();
  const settings = settingsOf(deps);
  const mine = bucketsForOrder(order, settings);
  const counts = new Map<string, number>(mine.map((b) => [b.key, 0]));
  for (const a of ahead)
    for (const b of bucketsForOrder(orderOf(a), settings))
      if (b.mode === 'spend' && counts.has(b.key)) counts.set(b.key, counts.get(b.key)! + 1);
  const stored = new Map(
    (
      await findBuckets(
        deps.db,
        mine.map((b) => b.key),
      )
    ).map((r) => [r.key, r]),
  );
  let estimate = now;
  let limit: LimitName | null = null;
  for (const b of mine) {
    const tokens = b.mode === 'spend' ? counts.get(b.key)! + 1 : 1;
    const at = availableAt(stored.get(b.key) ?? null, b.spec, now, tokens);
    if (at > estimate) {
      estimate = at;
      limit = b.limit;
    }
  }
  const paused = await pausedUntil(deps.db, now);
  if (paused !== null && paused > estimate) estimate = paused;
  return { estimate, limit, pausedUntil: paused };
}

export interface BucketView {
  limit: LimitName;
  key: string;
  capacity: number;
  periodMs: number;
  /** Tokens left now (negative never: booked debt shows as 0 with a later refill). */
  remaining: number;
  used: number;
  /** When the next token arrives (null when full). */
  nextTokenAt: number | null;
}

export interface QueueOverview {
  profile: Config['acme']['limits']['profile'];
  rootDomainOnPsl: boolean;
  waiting: number;
  oldestQueuedAt: number | null;
  /** When a first certificate requested now would be sent. */
  newRequestEstimate: number;
  newRequestLimit: LimitName | null;
  pausedUntil: number | null;
  buckets: BucketView[];
  rateLimits: RateLimitRow[];
}

/**
 * The budget and queue for admins: the shared buckets (account and root domain), the waiting
 * requests, a new request's projected wait and the CA's recent rate-limit answers.
 */
export async function queueOverview(deps: QueueDeps): Promise<QueueOverview> {
  const now = deps.clock.now();
  const rows = await findWaitingCertificates(deps.db, DISPATCH_BATCH);
  const total =
    rows.length < DISPATCH_BATCH ? rows.length : await countWaitingCertificates(deps.db);
  // A hypothetical first certificate for a new user at the end of the queue.
  const probe: BudgetOrder = {
    identifiers: identifiersOf(`new-user.${deps.config.rootDomain}`),
    kind: 'new',
  };
  const est = await estimateAfter(deps, rows, probe);
  const shared = bucketsForOrder(probe, settingsOf(deps)).filter(
    (b) =>
      b.limit === 'new-orders-per-account' ||
      (b.limit === 'certificates-per-registered-domain' &&
        !deps.config.acme.limits.rootDomainOnPsl),
  );
  const stored = new Map(
    (
      await findBuckets(
        deps.db,
        shared.map((b) => b.key),
      )
    ).map((r) => [r.key, r]),
  );
  return {
    profile: deps.config.acme.limits.profile,
    rootDomainOnPsl: deps.config.acme.limits.rootDomainOnPsl,
    waiting: total,
    oldestQueuedAt: rows.length ? Math.min(...rows.map((r) => r.queued_at)) : null,
    newRequestEstimate: est.estimate,
    newRequestLimit: est.limit,
    pausedUntil: est.pausedUntil,
    buckets: shared.map((b) => bucketView(b, stored.get(b.key) ?? null, now)),
    rateLimits: await recentRateLimits(deps.db, 20),
  };
}

function bucketView(
  b: PlannedBucket,
  state: { level: number; refilledAt: number } | null,
  now: number,
): BucketView {
  const s = refill(state, b.spec, now);
  const remaining = Math.max(0, s.level);
  return {
    limit: b.limit,
    key: b.key,
    capacity: b.spec.capacity,
    periodMs: b.spec.periodMs,
    remaining,
    used: b.spec.capacity - remaining,
    nextTokenAt: s.level >= b.spec.capacity ? null : availableAt(s, b.spec, now, s.level + 1),
  };
}
