/**
 * The DNS reconciler: the database is the desired state and the provider converges to it.
 *
 * - Only one reconciliation per zone runs at a time across replicas (a lease row with an expiry).
 * - "changes" mode pushes what changed (dirty user labels) promptly; "full" mode lists every owned
 *   name at the provider and repairs drift. Owned names are `{x}.{label}.{root}` for user labels
 *   (current users and labels ever published); the apex and every other name are never touched.
 * - Batches respect the provider's request limits; throttling and "prior request not complete" back
 *   off exponentially; a rejected batch is split until the bad change is isolated while the rest apply.
 * - Each record shows pending (sent, not yet INSYNC), live, or error with the provider's message.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Db } from '../../db/client.js';
import {
  acquireLease,
  countDirtyLabels,
  findDirtyLabels,
  findDnsSerial,
  findOwnedLabels,
  findPendingChangeIds,
  releaseLease,
  updateChangesLive,
  updateLabelsClean,
  updateLabelsPublished,
  updatePendingLive,
  updateReconciledAt,
  updateSyncStatus,
} from '../../db/repos/dns-sync.js';
import type { Logger } from '../../logger.js';
import type { Clock } from '../../ports/clock.js';
import {
  type DnsProvider,
  DnsProviderError,
  type RecordSet,
  zoneOrderKey,
} from '../../ports/dns-provider.js';
import { type DesiredSet, loadDesiredState, ownerLabel } from './desired-state.js';
import {
  type PlannedChange,
  type SizeOf,
  changeSize,
  diffRecordSets,
  groupByName,
  packBatches,
} from './plan.js';

export interface ReconcilerDeps {
  db: Db;
  provider: DnsProvider;
  clock: Clock;
  logger: Logger;
  rootDomain: string;
  sleep?: (ms: number) => Promise<void>;
  /** Identifies this runner in the lease (default host:pid:random). */
  holderId?: string;
  leaseMs?: number;
  /** How long one run keeps polling for INSYNC before leaving records pending for the next run. */
  syncWaitMs?: number;
  /** Above this many dirty labels a "changes" pass lists the whole zone instead of each label. */
  maxScopedLabels?: number;
  /** Labels per chunk of a whole-zone pass (default ZONE_CHUNK_LABELS). */
  zoneChunkLabels?: number;
  /** Retries of one request on Throttling / PriorRequestNotComplete. */
  maxBackoffAttempts?: number;
  backoffBaseMs?: number;
  signal?: AbortSignal;
}

export type ReconcileMode = 'changes' | 'full';

export interface ReconcileReport {
  mode: ReconcileMode;
  skipped: 'lease' | null;
  passes: number;
  listCalls: number;
  changeRequests: number;
  acceptedBatches: number;
  changesApplied: number;
  minimumRequests: number;
  rejectedChanges: number;
  throttled: number;
  syncChecks: number;
  stillPending: number;
}

const sleepReal = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Run one reconciliation of the zone. Returns a report; `skipped: 'lease'` when another runner holds
 * the zone (it picks up pending work before it lets go). Throws DnsProviderError when the provider is
 * unavailable (the job retries) — work stays recorded in the database either way.
 */
export async function reconcileDns(
  deps: ReconcilerDeps,
  mode: ReconcileMode,
): Promise<ReconcileReport> {
  const report: ReconcileReport = {
    mode,
    skipped: null,
    passes: 0,
    listCalls: 0,
    changeRequests: 0,
    acceptedBatches: 0,
    changesApplied: 0,
    minimumRequests: 0,
    rejectedChanges: 0,
    throttled: 0,
    syncChecks: 0,
    stillPending: 0,
  };
  for (let round = 0; round < 3; round++) {
    const holder = deps.holderId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    const ran = await withLease(deps, holder, () =>
      runRounds(deps, holder, round === 0 ? mode : 'changes', report),
    );
    if (!ran) {
      if (round === 0) report.skipped = 'lease';
      return report;
    }
    // A change committed while we held the lease may have had its job skip us: look once more.
    if ((await countDirtyLabels(deps.db)) === 0) break;
  }
  return report;
}

async function withLease(
  deps: ReconcilerDeps,
  holder: string,
  fn: () => Promise<void>,
): Promise<boolean> {
  const leaseMs = deps.leaseMs ?? 60_000;
  if (!(await acquireLease(deps.db, deps.rootDomain, holder, deps.clock.now(), leaseMs)))
    return false;
  try {
    await fn();
  } finally {
    await releaseLease(deps.db, deps.rootDomain, holder);
  }
  return true;
}

async function runRounds(
  deps: ReconcilerDeps,
  holder: string,
  mode: ReconcileMode,
  report: ReconcileReport,
): Promise<void> {
  const { db, provider, clock } = deps;
  const sleep = deps.sleep ?? sleepReal;
  const renew = async () => {
    if (!(await acquireLease(db, deps.rootDomain, holder, clock.now(), deps.leaseMs ?? 60_000)))
      throw new Error('Lost the DNS reconciliation lease to another runner');
  };
  let current: ReconcileMode = mode;
  const submitted: string[] = [];
  let syncDeadline: number | null = null;
  let poll = 250;
  let checkedOld = false;
  for (let guard = 0; guard < 10_000; guard++) {
    if (deps.signal?.aborted) return;
    const serial = await findDnsSerial(db);
    const dirty = await findDirtyLabels(db, serial);
    if (current === 'full' || dirty.length > 0) {
      report.passes++;
      const ids = await runPass(deps, current === 'full' ? null : dirty, serial, report, renew);
      submitted.push(...ids);
      current = 'changes';
      continue;
    }
    if (provider.servesFromDatabase) return;
    // Nothing left to push: wait for what we sent to be INSYNC (and check older pending changes once).
    if (!checkedOld) {
      checkedOld = true;
      const old = (await findPendingChangeIds(db)).filter((id) => !submitted.includes(id));
      for (const id of old.slice(0, 20)) {
        report.syncChecks++;
        if (await withBackoff(deps, report, () => provider.isChangeInSync(id)))
          await updateChangesLive(db, [id], clock.now());
      }
    }
    if (submitted.length === 0) return;
    syncDeadline ??= clock.now() + (deps.syncWaitMs ?? 30_000);
    // Route53 applies changes in order: the newest INSYNC means all earlier ones are too.
    report.syncChecks++;
    const last = submitted[submitted.length - 1]!;
    if (await withBackoff(deps, report, () => provider.isChangeInSync(last))) {
      await updateChangesLive(db, submitted, clock.now());
      return;
    }
    if (clock.now() >= syncDeadline) {
      report.stillPending = submitted.length;
      deps.logger.info(
        { changes: submitted.length },
        'DNS changes not yet in sync; records stay pending until the next pass',
      );
      return;
    }
    // Wait before asking again (backing off to 2 s so GetChange stays well under Route53's rate), but
    // look for new changes every 250 ms so a record edited meanwhile is pushed without that delay.
    for (let waited = 0; waited < poll; waited += 250) {
      await sleep(Math.min(250, poll - waited));
      if ((await findDirtyLabels(db, await findDnsSerial(db))).length > 0) break;
    }
    poll = Math.min(poll * 2, 2000);
    await renew();
  }
}

/** Labels per chunk of a whole-zone pass (each chunk's desired state and listing are in memory). */
export const ZONE_CHUNK_LABELS = 250;

/** One pass over `labels` (null = whole zone). Returns the change ids the provider accepted. */
async function runPass(
  deps: ReconcilerDeps,
  labels: string[] | null,
  serial: number,
  report: ReconcileReport,
  renew: () => Promise<void>,
): Promise<string[]> {
  const { db, provider, clock, rootDomain: root } = deps;
  if (provider.servesFromDatabase) {
    await updatePendingLive(db, labels, clock.now());
    provider.notifyChanged();
    await updateLabelsClean(db, labels, serial);
    await updateReconciledAt(db, serial, clock.now());
    return [];
  }
  const scoped = labels !== null && labels.length <= (deps.maxScopedLabels ?? 20) ? labels : null;
  const pusher = new Pusher(deps, report, renew);
  if (scoped) {
    const desired = await loadDesiredState(db, root, scoped);
    const actual: RecordSet[] = [];
    for (const label of scoped) {
      report.listCalls++;
      const sets = await provider.listRecordSets(`${label}.${root}`, (r) =>
        withBackoff(deps, report, r),
      );
      actual.push(...sets.filter((s) => ownerLabel(s.name, root) === label));
    }
    await pusher.push(desired, actual);
  } else {
    await walkZone(deps, report, pusher);
  }
  await pusher.finish();
  if (!deps.signal?.aborted) {
    await updateLabelsClean(db, labels, serial);
    await updateReconciledAt(db, serial, clock.now());
  }
  if (pusher.changes > 0)
    deps.logger.info(
      {
        scope: scoped ? scoped.length : 'zone',
        changes: pusher.changes,
        batches: pusher.accepted.length,
        rejected: report.rejectedChanges,
      },
      'DNS changes pushed',
    );
  return pusher.accepted;
}

/**
 * The whole zone in chunks of labels, in the provider's list order: for each chunk the desired state
 * of its labels from the database and the provider's sets for them from one walk of the zone listing
 * (which reaches each chunk's names after the previous chunk's). Memory is bounded by a chunk and a
 * listing page, not the zone. Every label the reconciler owns is covered (so names no longer desired
 * under a published label are deleted, and a suspended user's records withdrawn).
 */
async function walkZone(deps: ReconcilerDeps, report: ReconcileReport, pusher: Pusher) {
  const { db, provider, rootDomain: root } = deps;
  const rootKey = zoneOrderKey(root);
  const labelKey = (l: string) => `${rootKey}.${l}.`;
  const owned = [...(await findOwnedLabels(db))].sort((a, b) =>
    labelKey(a) < labelKey(b) ? -1 : labelKey(a) > labelKey(b) ? 1 : 0,
  );
  const size = Math.max(1, deps.zoneChunkLabels ?? ZONE_CHUNK_LABELS);
  const chunkOf = new Map<string, number>();
  owned.forEach((l, i) => chunkOf.set(l, Math.floor(i / size)));
  const chunks = Math.ceil(owned.length / size);

  const walk = provider.walkRecordSets((r) => withBackoff(deps, report, r));
  const pages = walk[Symbol.asyncIterator]();
  let buffered: { set: RecordSet; chunk: number }[] = [];
  let listed = false;
  let lastKey = '';
  let outOfOrder = 0;
  report.listCalls++;
  for (let c = 0; c < chunks && !deps.signal?.aborted; c++) {
    const chunkLabels = owned.slice(c * size, (c + 1) * size);
    const next = owned[(c + 1) * size];
    // Read the listing until past this chunk's names (or its end).
    while (!listed && (next === undefined || lastKey < labelKey(next))) {
      const page = await pages.next();
      if (page.done) {
        listed = true;
        break;
      }
      for (const set of page.value) {
        lastKey = zoneOrderKey(set.name);
        const l = ownerLabel(set.name, root);
        const at = l === null ? undefined : chunkOf.get(l);
        if (at === undefined) continue; // not a name the reconciler owns
        if (at < c) outOfOrder++;
        else buffered.push({ set, chunk: at });
      }
    }
    const actual = buffered.filter((b) => b.chunk === c).map((b) => b.set);
    buffered = buffered.filter((b) => b.chunk !== c);
    await pusher.push(await loadDesiredState(db, root, chunkLabels), actual);
  }
  await pages.return?.();
  if (outOfOrder > 0)
    deps.logger.warn(
      { sets: outOfOrder },
      'DNS provider listed record sets out of the expected order; they were not compared this pass',
    );
}

/**
 * Sends the changes of one pass in as few requests as the limits allow, chunk after chunk: the last,
 * partly filled batch of a chunk waits for the next chunk's changes (at most one batch is held).
 */
class Pusher {
  readonly accepted: string[] = [];
  changes = 0;
  private held: PlannedChange[][] = [];
  private readonly sizeOf: SizeOf;
  private readonly total = { records: 0, chars: 0, changes: 0 };

  constructor(
    private readonly deps: ReconcilerDeps,
    private readonly report: ReconcileReport,
    private readonly renew: () => Promise<void>,
  ) {
    this.sizeOf = changeSize((t, v) => deps.provider.encodedLength(t, v));
  }

  async push(desired: Map<string, DesiredSet>, actual: readonly RecordSet[]): Promise<void> {
    const { db, clock } = this.deps;
    const diff = diffRecordSets(desired, actual);
    this.changes += diff.changes.length;
    for (const c of diff.changes) {
      const s = this.sizeOf(c);
      this.total.records += s.records;
      this.total.chars += s.chars;
      this.total.changes++;
    }
    // Sets already published as wanted: their rows are live.
    await updateSyncStatus(db, staleRows(diff.inSync), {
      status: 'live',
      status_message: null,
      change_id: null,
      status_at: clock.now(),
    });
    this.held.push(...groupByName(diff.changes));
    const batches = packBatches(this.held, this.deps.provider.limits, this.sizeOf);
    this.held = batches.pop() ?? [];
    await this.send(batches);
  }

  async finish(): Promise<void> {
    const limits = this.deps.provider.limits;
    this.report.minimumRequests += Math.max(
      Math.ceil(this.total.records / limits.maxRecords),
      Math.ceil(this.total.chars / limits.maxValueChars),
      Math.ceil(this.total.changes / limits.maxChanges),
    );
    const last = this.held;
    this.held = [];
    if (last.length > 0) await this.send([last]);
  }

  private async send(batches: PlannedChange[][][]): Promise<void> {
    const published = new Set<string>();
    for (const batch of batches) {
      if (this.deps.signal?.aborted) break;
      await this.apply(batch, published);
      await this.renew();
    }
    if (published.size > 0)
      await updateLabelsPublished(this.deps.db, [...published], this.deps.clock.now());
  }

  private async apply(groups: PlannedChange[][], published: Set<string>): Promise<void> {
    const { deps, report } = this;
    const { db, provider, clock, rootDomain: root } = deps;
    const changes = groups.flat();
    try {
      report.changeRequests++;
      const id = await withBackoff(deps, report, () => provider.applyChanges(changes));
      report.acceptedBatches++;
      report.changesApplied += changes.length;
      this.accepted.push(id);
      for (const c of changes) {
        const l = ownerLabel(c.set.name, root);
        if (l) published.add(l);
      }
      const targets = sets(changes.map((c) => c.desired));
      await updateSyncStatus(db, targets, {
        status: 'pending',
        status_message: null,
        change_id: id,
        status_at: clock.now(),
      });
    } catch (e) {
      if (!(e instanceof DnsProviderError) || e.kind !== 'rejected') throw e;
      if (groups.length > 1) {
        const mid = Math.ceil(groups.length / 2);
        await this.apply(groups.slice(0, mid), published);
        await this.apply(groups.slice(mid), published);
        return;
      }
      report.rejectedChanges += changes.length;
      deps.logger.warn(
        { names: changes.map((c) => `${c.action} ${c.set.name} ${c.set.type}`), err: e.message },
        'DNS provider rejected a change',
      );
      await updateSyncStatus(db, sets(changes.map((c) => c.desired)), {
        status: 'error',
        status_message: `The DNS provider rejected this record: ${e.message}`.slice(0, 1000),
        change_id: null,
        status_at: clock.now(),
      });
    }
  }
}

function sets(desired: readonly (DesiredSet | null)[]) {
  const records: number[] = [];
  const challenges: number[] = [];
  for (const d of desired) {
    if (!d) continue;
    records.push(...d.recordIds);
    challenges.push(...d.challengeIds);
  }
  return { records, challenges };
}

function staleRows(desired: readonly DesiredSet[]) {
  const records: number[] = [];
  const challenges: number[] = [];
  for (const d of desired) {
    records.push(...d.staleRecordIds);
    challenges.push(...d.staleChallengeIds);
  }
  return { records, challenges };
}

/** Retry on throttling and busy zone with exponential backoff and jitter; anything else propagates. */
async function withBackoff<T>(
  deps: ReconcilerDeps,
  report: ReconcileReport,
  fn: () => Promise<T>,
): Promise<T> {
  const sleep = deps.sleep ?? sleepReal;
  const max = deps.maxBackoffAttempts ?? 10;
  const base = deps.backoffBaseMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (
        !(e instanceof DnsProviderError) ||
        (e.kind !== 'throttled' && e.kind !== 'busy') ||
        attempt >= max
      )
        throw e;
      report.throttled++;
      const delay = Math.min(base * 2 ** (attempt - 1), 20_000);
      await sleep(delay / 2 + Math.random() * (delay / 2));
    }
  }
}
