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
import { type DnsProvider, DnsProviderError, type RecordSet } from '../../ports/dns-provider.js';
import { type DesiredSet, loadDesiredState, ownerLabel } from './desired-state.js';
import {
  type PlannedChange,
  changeSize,
  diffRecordSets,
  groupByName,
  minimumRequests,
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
  const desired = await loadDesiredState(db, root, scoped);
  let actual: RecordSet[] = [];
  if (scoped) {
    for (const label of scoped) {
      report.listCalls++;
      const sets = await provider.listRecordSets(`${label}.${root}`, (r) =>
        withBackoff(deps, report, r),
      );
      actual.push(...sets.filter((s) => ownerLabel(s.name, root) === label));
    }
  } else {
    const owned = await findOwnedLabels(db);
    report.listCalls++;
    const sets = await provider.listRecordSets(undefined, (r) => withBackoff(deps, report, r));
    actual = sets.filter((s) => {
      const l = ownerLabel(s.name, root);
      return l !== null && owned.has(l);
    });
  }
  const diff = diffRecordSets(desired, actual);
  const sizeOf = changeSize((t, v) => provider.encodedLength(t, v));
  report.minimumRequests += minimumRequests(diff.changes, provider.limits, sizeOf);
  const batches = packBatches(groupByName(diff.changes), provider.limits, sizeOf);
  const accepted: string[] = [];
  const publishedLabels: string[] = [];

  const apply = async (groups: PlannedChange[][]): Promise<void> => {
    const changes = groups.flat();
    try {
      report.changeRequests++;
      const id = await withBackoff(deps, report, () => provider.applyChanges(changes));
      report.acceptedBatches++;
      report.changesApplied += changes.length;
      accepted.push(id);
      for (const c of changes) {
        const l = ownerLabel(c.set.name, root);
        if (l) publishedLabels.push(l);
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
        await apply(groups.slice(0, mid));
        await apply(groups.slice(mid));
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
  };
  for (const batch of batches) {
    if (deps.signal?.aborted) break;
    await apply(batch);
    await renew();
  }
  // Sets already published as wanted: their rows are live.
  await updateSyncStatus(db, staleRows(diff.inSync), {
    status: 'live',
    status_message: null,
    change_id: null,
    status_at: clock.now(),
  });
  if (publishedLabels.length > 0) await updateLabelsPublished(db, publishedLabels, clock.now());
  if (!deps.signal?.aborted) {
    await updateLabelsClean(db, labels, serial);
    await updateReconciledAt(db, serial, clock.now());
  }
  if (diff.changes.length > 0)
    deps.logger.info(
      {
        scope: scoped ? scoped.length : 'zone',
        changes: diff.changes.length,
        batches: batches.length,
        rejected: report.rejectedChanges,
      },
      'DNS changes pushed',
    );
  return accepted;
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
