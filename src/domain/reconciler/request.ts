/**
 * How other features tell the reconciler that DNS data changed: mark the user labels dirty inside the
 * change's own transaction (markDnsChanged), then ask for a prompt push after commit (requestReconcile).
 */
import type { Db } from '../../db/client.js';
import type { DbOrTrx } from '../../db/repos/dns-records.js';
import { updateDnsSerial, upsertDirtyLabels } from '../../db/repos/dns-sync.js';
import type { Logger } from '../../logger.js';
import type { JobQueue } from '../../ports/job-queue.js';

export const RECONCILE_JOB = 'dns.reconcile';
export const RECONCILE_DEDUPE_ID = 'dns.reconcile:changes';
/**
 * A prompt push waits this long, so a burst of changes (many users creating records at once) is pushed
 * by one run instead of one run per change; well inside the "live within a second" promise.
 */
export const RECONCILE_DEBOUNCE_MS = 50;

/**
 * Record that names under these user labels changed (call in the same transaction as the change).
 * Bumps the zone serial and returns it. Never throws for valid labels.
 */
export async function markDnsChanged(
  db: DbOrTrx,
  labels: readonly string[],
  now: number,
): Promise<number> {
  const serial = await updateDnsSerial(db, now);
  await upsertDirtyLabels(db, labels, serial);
  return serial;
}

/**
 * Ask for a prompt reconciliation after a committed change. Duplicate requests collapse into one
 * job. Never throws: if the queue is down the periodic pass picks the change up (it is in the DB).
 */
export async function requestReconcile(deps: { queue: JobQueue; logger?: Logger }): Promise<void> {
  try {
    await deps.queue.enqueue(
      RECONCILE_JOB,
      { mode: 'changes' },
      { dedupeId: RECONCILE_DEDUPE_ID, delayMs: RECONCILE_DEBOUNCE_MS },
    );
  } catch (err) {
    deps.logger?.warn(
      { err },
      'could not enqueue DNS reconciliation; the periodic pass will run it',
    );
  }
}

/**
 * Convenience for features outside a transaction (e.g. certificates after inserting challenge rows):
 * mark the labels dirty and request a prompt push.
 */
export async function notifyDnsChanged(
  deps: { db: Db; queue: JobQueue; logger?: Logger },
  labels: readonly string[],
  now: number,
): Promise<void> {
  await markDnsChanged(deps.db, labels, now);
  await requestReconcile(deps);
}
