/**
 * The issuance budget (issue 18): Let's Encrypt's published rate limits as token buckets held in the
 * database, so every replica and worker spends from the same budget before an order is sent.
 *
 * A bucket of capacity C over period P starts full and regains one token every P/C (300 orders per
 * 3 h = one per 36 s). The arithmetic is pure (`refill`, `availableAt`) and a function of the stored
 * level, the time the level was last brought up to date and now; the database part locks the order's
 * rows in one transaction so concurrent takes never spend more than there is.
 *
 * Which buckets an order draws from (../shared/reference/limits.md §5):
 *   new         → new orders per account, certificates per registered domain, per exact set;
 *                 failed authorizations per identifier are checked (only failures spend them)
 *   renewal     → the same names again: exempt from new orders and registered domain
 *   ari-renewal → carries `replaces`: exempt from every limit
 */
import { createHash } from 'node:crypto';
import type { Config } from '../../config.js';
import type { Db } from '../../db/client.js';
import { isDeadlock } from '../../db/dialect.js';
import {
  type BudgetRow,
  findBuckets,
  findBucketsForUpdate,
  insertMissingBuckets,
  updateBucket,
} from '../../db/repos/issuance-budget.js';
import { AppError } from '../../errors.js';
import type { Clock } from '../../ports/clock.js';

export type LimitName =
  | 'new-orders-per-account'
  | 'certificates-per-registered-domain'
  | 'certificates-per-exact-set'
  | 'failed-authorizations-per-identifier';

export interface BucketSpec {
  capacity: number;
  periodMs: number;
}

export type LimitProfile = Record<LimitName, BucketSpec>;
export type LimitProfileName = Config['acme']['limits']['profile'];

const HOUR = 3_600_000;
const WEEK = 7 * 24 * HOUR;

/**
 * Published values (limits.md §5). Staging's registered-domain limit reads "30,000 per second" in
 * Let's Encrypt's page; we budget 30,000 per week, which never binds a college anyway.
 */
export const LIMIT_PROFILES: Record<Exclude<LimitProfileName, 'none'>, LimitProfile> = {
  letsencrypt: {
    'new-orders-per-account': { capacity: 300, periodMs: 3 * HOUR },
    'certificates-per-registered-domain': { capacity: 50, periodMs: WEEK },
    'certificates-per-exact-set': { capacity: 5, periodMs: WEEK },
    'failed-authorizations-per-identifier': { capacity: 5, periodMs: HOUR },
  },
  'letsencrypt-staging': {
    'new-orders-per-account': { capacity: 1500, periodMs: 3 * HOUR },
    'certificates-per-registered-domain': { capacity: 30_000, periodMs: WEEK },
    'certificates-per-exact-set': { capacity: 30_000, periodMs: WEEK },
    'failed-authorizations-per-identifier': { capacity: 200, periodMs: HOUR },
  },
};

export type OrderKind = 'new' | 'renewal' | 'ari-renewal';

export interface BudgetOrder {
  /** DNS names of the order, e.g. ['alice.example.edu', '*.alice.example.edu']. */
  identifiers: string[];
  kind: OrderKind;
}

// ---------------------------------------------------------------------------------------------------
// Pure bucket arithmetic.

export interface BucketState {
  /** Whole tokens at `refilledAt`; negative when orders were booked ahead of the refill. */
  level: number;
  /** When the level was last brought up to date (epoch ms); the next token comes one interval later. */
  refilledAt: number;
}

/** Milliseconds between two tokens (7 days / 50 = 201.6 min). */
export function refillIntervalMs(spec: BucketSpec): number {
  return Math.ceil(spec.periodMs / spec.capacity);
}

/**
 * The bucket brought up to `now`: whole tokens gained since `refilledAt` are added, the part of an
 * interval already elapsed is kept (refilledAt moves by whole intervals only), and a full bucket stops
 * accruing. No stored state means a new, full bucket. A clock that went backwards gains nothing.
 */
export function refill(state: BucketState | null, spec: BucketSpec, now: number): BucketState {
  if (!state) return { level: spec.capacity, refilledAt: now };
  const interval = refillIntervalMs(spec);
  const gained = Math.floor(Math.max(0, now - state.refilledAt) / interval);
  const level = state.level + gained;
  if (level >= spec.capacity)
    return { level: spec.capacity, refilledAt: Math.max(now, state.refilledAt) };
  return { level, refilledAt: state.refilledAt + gained * interval };
}

/**
 * When the bucket will hold `tokens` tokens (now if it already does), assuming nothing else spends
 * them. With tokens = n + 1 it is the estimate for an order with n others ahead of it.
 */
export function availableAt(
  state: BucketState | null,
  spec: BucketSpec,
  now: number,
  tokens = 1,
): number {
  const s = refill(state, spec, now);
  if (s.level >= tokens) return now;
  return s.refilledAt + (tokens - s.level) * refillIntervalMs(spec);
}

/** The registered domain (eTLD+1) that Let's Encrypt counts a name under. */
export function registeredDomain(
  identifier: string,
  rootDomain: string,
  rootOnPsl: boolean,
): string {
  const name = normaliseName(identifier).replace(/^\*\./, '');
  const root = normaliseName(rootDomain);
  if (name === root) return root;
  if (!name.endsWith(`.${root}`))
    throw new AppError('INVALID_INPUT', `${identifier} is not under ${rootDomain}`);
  // Without the PSL entry every name below the root shares the root's registered domain (or the
  // college's, if the root is itself a subdomain: one bucket either way).
  if (!rootOnPsl) return root;
  const labels = name.slice(0, -(root.length + 1)).split('.');
  return `${labels[labels.length - 1]}.${root}`;
}

const normaliseName = (n: string) => n.trim().toLowerCase().replace(/\.$/, '');

export type BucketMode = 'spend' | 'check';
export interface PlannedBucket {
  key: string;
  limit: LimitName;
  spec: BucketSpec;
  /** `spend` takes a token; `check` only needs one (failed authorizations are spent by failures). */
  mode: BucketMode;
}

export interface BudgetSettings {
  profile: LimitProfileName;
  rootDomain: string;
  rootDomainOnPsl: boolean;
  /** Limits the CA adjusted for this account or domain, replacing the profile's (ACME_LIMIT_OVERRIDES). */
  overrides?: Partial<LimitProfile>;
}

/** The limits in force: the profile's published values with the operator's adjustments. */
export function limitsOf(
  settings: Pick<BudgetSettings, 'profile' | 'overrides'>,
): LimitProfile | null {
  if (settings.profile === 'none') return null;
  return { ...LIMIT_PROFILES[settings.profile], ...settings.overrides };
}

/** The buckets an order draws from, with Let's Encrypt's renewal exemptions applied; sorted by key. */
export function bucketsForOrder(order: BudgetOrder, settings: BudgetSettings): PlannedBucket[] {
  const p = limitsOf(settings);
  if (!p || order.kind === 'ari-renewal') return [];
  const names = [...new Set(order.identifiers.map(normaliseName))].sort();
  if (names.length === 0) throw new AppError('INVALID_INPUT', 'an order needs at least one name');
  const out: PlannedBucket[] = [];
  if (order.kind === 'new') {
    out.push({
      key: 'orders:account',
      limit: 'new-orders-per-account',
      spec: p['new-orders-per-account'],
      mode: 'spend',
    });
    const domains = new Set(
      names.map((n) => registeredDomain(n, settings.rootDomain, settings.rootDomainOnPsl)),
    );
    for (const d of domains)
      out.push({
        key: `domain:${d}`,
        limit: 'certificates-per-registered-domain',
        spec: p['certificates-per-registered-domain'],
        mode: 'spend',
      });
  }
  out.push({
    key: `set:${exactSetHash(names)}`,
    limit: 'certificates-per-exact-set',
    spec: p['certificates-per-exact-set'],
    mode: 'spend',
  });
  for (const n of new Set(names.map((x) => x.replace(/^\*\./, '')))) out.push(authzBucket(n, p));
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** A wildcard's authorization is for its base name, so both share one failed-authorization bucket. */
function authzBucket(name: string, p: LimitProfile): PlannedBucket {
  return {
    key: `authz:${name}`,
    limit: 'failed-authorizations-per-identifier',
    spec: p['failed-authorizations-per-identifier'],
    mode: 'check',
  };
}

/** Order-independent key of an exact identifier set (hashed: sets can be longer than a key column). */
export function exactSetHash(names: string[]): string {
  const sorted = [...new Set(names.map(normaliseName))].sort();
  return createHash('sha256').update(sorted.join(',')).digest('hex');
}

export type Decision =
  | { ok: true; next: BucketState[] }
  | { ok: false; limit: LimitName; availableAt: number; booked: boolean; next: BucketState[] };

/**
 * Decide one order against its buckets' stored states (same order as `buckets`), purely. When every
 * bucket has a token the spend buckets lose one each. Otherwise the order is refused with the binding
 * limit and the time it could go; with `book` the tokens are spent anyway (levels go negative), which
 * holds the order's place: the time returned is when its booking is covered, and later orders see
 * the debt and wait behind it.
 */
export function decide(
  buckets: PlannedBucket[],
  stored: (BucketState | null)[],
  now: number,
  book = false,
): Decision {
  const states = buckets.map((b, i) => refill(stored[i] ?? null, b.spec, now));
  const short = buckets.findIndex((_, i) => states[i]!.level < 1);
  if (short === -1) {
    return {
      ok: true,
      next: states.map((s, i) => (buckets[i]!.mode === 'spend' ? { ...s, level: s.level - 1 } : s)),
    };
  }
  let limit = buckets[short]!.limit;
  let at = -Infinity;
  const next = states.map((s, i) => {
    const b = buckets[i]!;
    const spent = book && b.mode === 'spend' ? { ...s, level: s.level - 1 } : s;
    // A booking is covered when its own token arrives; an unbooked order when the next one does.
    const when =
      book && b.mode === 'spend'
        ? availableAt(spent, b.spec, now, 0)
        : availableAt(s, b.spec, now, 1);
    if (when > at) {
      at = when;
      limit = b.limit;
    }
    return spent;
  });
  return { ok: false, limit, availableAt: at, booked: book, next };
}

// ---------------------------------------------------------------------------------------------------
// The shared budget in the database.

export interface BudgetDeps {
  db: Db;
  clock: Clock;
  config: Pick<Config, 'rootDomain'> & { acme: Pick<Config['acme'], 'limits'> };
}

export type TakeResult =
  { ok: true } | { ok: false; limit: LimitName; availableAt: number; booked: boolean };

const settingsOf = (deps: BudgetDeps): BudgetSettings => ({
  profile: deps.config.acme.limits.profile,
  rootDomain: deps.config.rootDomain,
  rootDomainOnPsl: deps.config.acme.limits.rootDomainOnPsl,
  overrides: deps.config.acme.limits.overrides,
});

/**
 * Spend the budget for one order, atomically across replicas: `{ ok: true }` means send it now. A
 * refusal names the limit and when the order could go. With `book: true` a refusal also holds the
 * order's place (send it at `availableAt` without taking again, or `refund` if it is abandoned).
 * Throws INVALID_INPUT for a name outside the root domain.
 */
export async function tryTake(
  deps: BudgetDeps,
  order: BudgetOrder,
  opts: { book?: boolean } = {},
): Promise<TakeResult> {
  const buckets = bucketsForOrder(order, settingsOf(deps));
  if (buckets.length === 0) return { ok: true };
  const d = await withBuckets(deps, buckets, (stored, now) =>
    decide(buckets, stored, now, opts.book ?? false),
  );
  if (d.ok) return { ok: true };
  return { ok: false, limit: d.limit, availableAt: d.availableAt, booked: d.booked };
}

/**
 * When an order of this kind for these names could be sent, without spending anything: now if it
 * could go at once. `ahead` orders waiting before it (a queue's place) are assumed to spend first.
 */
export async function whenAvailable(
  deps: BudgetDeps,
  order: BudgetOrder,
  opts: { ahead?: number } = {},
): Promise<{ at: number; limit: LimitName | null }> {
  const now = deps.clock.now();
  const buckets = bucketsForOrder(order, settingsOf(deps));
  const rows = await findBuckets(
    deps.db,
    buckets.map((b) => b.key),
  );
  const byKey = new Map(rows.map((r) => [r.key, r]));
  let best: { at: number; limit: LimitName | null } = { at: now, limit: null };
  for (const b of buckets) {
    const tokens = b.mode === 'spend' ? (opts.ahead ?? 0) + 1 : 1;
    const at = availableAt(byKey.get(b.key) ?? null, b.spec, now, tokens);
    if (at > best.at) best = { at, limit: b.limit };
  }
  return best;
}

/**
 * Count a failed authorization for one identifier (Let's Encrypt counts them per account and name):
 * while its bucket is empty, orders naming it are refused. Never throws for an empty bucket.
 */
export async function recordFailedAuthorization(
  deps: BudgetDeps,
  identifier: string,
): Promise<void> {
  const limits = limitsOf(settingsOf(deps));
  if (!limits) return;
  const bucket = authzBucket(normaliseName(identifier).replace(/^\*\./, ''), limits);
  await withBuckets(deps, [bucket], (stored, now) => {
    const st = refill(stored[0] ?? null, bucket.spec, now);
    return { next: [st.level > 0 ? { ...st, level: st.level - 1 } : st] };
  });
}

/**
 * Give back what an order spent (a booking abandoned, or an order the CA never counted), up to each
 * bucket's capacity.
 */
export async function refund(deps: BudgetDeps, order: BudgetOrder): Promise<void> {
  const buckets = bucketsForOrder(order, settingsOf(deps)).filter((b) => b.mode === 'spend');
  if (buckets.length === 0) return;
  await withBuckets(deps, buckets, (stored, now) => ({
    next: buckets.map((b, i) => {
      const st = refill(stored[i] ?? null, b.spec, now);
      return { ...st, level: Math.min(b.spec.capacity, st.level + 1) };
    }),
  }));
}

/**
 * Run `decideFn` on the buckets' rows inside one transaction, rows locked in key order (MySQL
 * `for update`; SQLite's BEGIN IMMEDIATE makes the transaction the only writer), and store its new
 * states. `now` is read after the locks are held. InnoDB deadlocks are retried.
 */
async function withBuckets<T extends { next: BucketState[] }>(
  deps: BudgetDeps,
  buckets: PlannedBucket[],
  decideFn: (stored: (BucketState | null)[], now: number) => T,
): Promise<T> {
  await insertMissingBuckets(
    deps.db,
    buckets.map((b) => ({ key: b.key, level: b.spec.capacity })),
    deps.clock.now(),
  );
  for (let attempt = 1; ; attempt++) {
    try {
      return await deps.db.transaction().execute(async (trx) => {
        const rows = await findBucketsForUpdate(
          trx,
          buckets.map((b) => b.key),
        );
        const byKey = new Map(rows.map((r) => [r.key, r]));
        const now = deps.clock.now();
        const stored = buckets.map((b) => byKey.get(b.key) ?? null);
        const result = decideFn(stored, now);
        for (let i = 0; i < buckets.length; i++) {
          const before = stored[i];
          const after = result.next[i]!;
          if (before && before.level === after.level && before.refilledAt === after.refilledAt)
            continue;
          const row: BudgetRow = { key: buckets[i]!.key, ...after };
          await updateBucket(trx, row, now);
        }
        return result;
      });
    } catch (err) {
      if (attempt < 5 && isDeadlock(err)) continue;
      throw err;
    }
  }
}
