/**
 * How other features tell the reconciler that DNS data changed: mark the user labels dirty inside the
 * change's own transaction (markDnsChanged), then ask for a prompt push after commit (requestReconcile).
 */
import type { Db } from '../../db/client.js';
import type { DbOrTrx } from '../../db/repos/dns-records.js';
import { insertZoneChanges, updateDnsSerial, upsertDirtyLabels } from '../../db/repos/dns-sync.js';
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
 * What a change touched: a user label (everything under it), or one owner name under a label, given
 * by its first label (`{ label: 'alice', name: 'www' }` is `www.alice.{root}`; ACME challenges are
 * `_acme-challenge`). Naming the owner name lets DNS servers reload just that name.
 */
export type DnsChange = string | { label: string; name: string };

/**
 * Record that these names changed (call in the same transaction as the change): bumps the zone serial,
 * marks the labels dirty for the reconciler and logs the names for the DNS servers. Returns the serial.
 * Never throws for valid labels.
 */
export async function markDnsChanged(
  db: DbOrTrx,
  changes: readonly DnsChange[],
  now: number,
): Promise<number> {
  // One transaction, so a DNS server never sees the new serial without the names it changed.
  if (!db.isTransaction)
    return db.transaction().execute((trx) => markDnsChanged(trx, changes, now));
  const serial = await updateDnsSerial(db, now);
  const scoped = changes.map((c) =>
    typeof c === 'string' ? { label: c, name: null } : { label: c.label, name: c.name },
  );
  await upsertDirtyLabels(
    db,
    scoped.map((c) => c.label),
    serial,
  );
  await insertZoneChanges(db, serial, scoped, now);
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
  changes: readonly DnsChange[],
  now: number,
): Promise<void> {
  await markDnsChanged(deps.db, changes, now);
  await requestReconcile(deps);
}
