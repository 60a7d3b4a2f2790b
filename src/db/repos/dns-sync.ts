/**
 * Queries behind DNS synchronisation: the zone serial, dirty/owned labels, the per-zone lease, the
 * desired state (records + ACME challenge values) and per-record sync status.
 */
import { sql } from 'kysely';
import { isMysql } from '../dialect.js';
import { preparedQuery } from '../prepared.js';
import type { Db } from '../client.js';
import type { DbOrTrx } from './dns-records.js';

/** Bump the zone serial and flag reconciliation; returns the new serial (call inside the change's transaction). */
// Prepared (compiled once): every DNS change runs these, and every replica polls the serial.
const bumpSerial = preparedQuery((db, now: number) =>
  db
    .updateTable('system_state')
    .set((eb) => ({
      dns_serial: eb('dns_serial', '+', 1),
      reconciliation_needed: 1,
      updated_at: now,
    }))
    .where('id', '=', 1),
);
const serialRow = preparedQuery((db) =>
  db.selectFrom('system_state').select('dns_serial').where('id', '=', 1),
);
const markLabelDirty = preparedQuery((db, label: string, serial: number) => {
  const q = db.insertInto('dns_labels').values({ label, dirty_serial: serial, published_at: null });
  // The serial goes in twice (insert and update): the same placeholder, used twice.
  return isMysql(db)
    ? q.onDuplicateKeyUpdate({ dirty_serial: serial })
    : q.onConflict((oc) => oc.column('label').doUpdateSet({ dirty_serial: serial }));
});

const insertZoneChange = preparedQuery(
  (db, serial: number, label: string, name: string | null, now: number) =>
    db.insertInto('dns_zone_changes').values({ serial, label, name, created_at: now }),
);

/** Log which names a change touched (`name` null = everything under the label), for the DNS servers. */
export async function insertZoneChanges(
  db: DbOrTrx,
  serial: number,
  changes: readonly { label: string; name: string | null }[],
  now: number,
): Promise<void> {
  const seen = new Set<string>();
  for (const c of changes) {
    const key = `${c.label} ${c.name ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    await insertZoneChange(db, serial, c.label, c.name, now);
  }
}

export interface ZoneChanges {
  /** The zone serial, read before the changes. */
  serial: number;
  /** What changed after the given serial; null when the log no longer reaches back that far. */
  changes: { label: string; name: string | null }[] | null;
}

/** The zone serial and the names changed after `since` (see dns_zone_changes). */
export async function findZoneChangesSince(db: Db, since: number): Promise<ZoneChanges> {
  const state = await db
    .selectFrom('system_state')
    .select(['dns_serial', 'dns_changes_pruned_serial'])
    .where('id', '=', 1)
    .executeTakeFirst();
  const serial = Number(state?.dns_serial ?? 0);
  if (!state || Number(state.dns_changes_pruned_serial) > since || serial < since)
    return { serial, changes: null };
  const rows = await db
    .selectFrom('dns_zone_changes')
    .select(['label', 'name'])
    .distinct()
    .where('serial', '>', since)
    .execute();
  return { serial, changes: rows };
}

/** Forget zone changes older than `before` (ms); servers further behind reload the whole zone. */
export async function deleteZoneChangesBefore(db: Db, before: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const last = await trx
      .selectFrom('dns_zone_changes')
      .select((eb) => eb.fn.max('serial').as('serial'))
      .where('created_at', '<', before)
      .executeTakeFirst();
    const through = Number(last?.serial ?? 0);
    if (!through) return 0;
    await trx
      .updateTable('system_state')
      .set((eb) => ({
        dns_changes_pruned_serial: sql<number>`case when ${eb.ref('dns_changes_pruned_serial')} > ${through} then ${eb.ref('dns_changes_pruned_serial')} else ${through} end`,
      }))
      .where('id', '=', 1)
      .execute();
    const res = await trx
      .deleteFrom('dns_zone_changes')
      .where('serial', '<=', through)
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  });
}

export async function updateDnsSerial(db: DbOrTrx, now: number): Promise<number> {
  if (isMysql(db)) {
    // One round trip instead of two: LAST_INSERT_ID(expr) hands the new value back in the UPDATE's OK
    // packet. The row stays locked until COMMIT and every change takes it, so each trip counts.
    const res =
      await sql`update system_state set dns_serial = LAST_INSERT_ID(dns_serial + 1), reconciliation_needed = 1, updated_at = ${now} where id = 1`.execute(
        db,
      );
    if (res.insertId !== undefined && res.insertId > 0n) return Number(res.insertId);
    return findDnsSerial(db);
  }
  await bumpSerial(db, now);
  return findDnsSerial(db);
}

export async function findDnsSerial(db: DbOrTrx): Promise<number> {
  const [row] = await serialRow(db);
  return Number(row?.dns_serial ?? 0);
}

/** Clear the reconciliation flag only if no change arrived since `serial` was read. */
export async function updateReconciledAt(db: Db, serial: number, now: number): Promise<void> {
  await db
    .updateTable('system_state')
    .set({ reconciliation_needed: 0, updated_at: now })
    .where('id', '=', 1)
    .where('dns_serial', '=', serial)
    .execute();
}

export async function upsertDirtyLabels(
  db: DbOrTrx,
  labels: readonly string[],
  serial: number,
): Promise<void> {
  for (const label of new Set(labels)) await markLabelDirty(db, label, serial);
}

export async function findDirtyLabels(db: Db, maxSerial: number): Promise<string[]> {
  const rows = await db
    .selectFrom('dns_labels')
    .select('label')
    .where('dirty_serial', 'is not', null)
    .where('dirty_serial', '<=', maxSerial)
    .execute();
  return rows.map((r) => r.label);
}

export async function countDirtyLabels(db: Db): Promise<number> {
  const row = await db
    .selectFrom('dns_labels')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('dirty_serial', 'is not', null)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Mark labels clean unless they changed again after `serial`. `labels` null = every label. */
export async function updateLabelsClean(
  db: Db,
  labels: readonly string[] | null,
  serial: number,
): Promise<void> {
  let q = db
    .updateTable('dns_labels')
    .set({ dirty_serial: null })
    .where('dirty_serial', '<=', serial);
  if (labels) {
    if (labels.length === 0) return;
    for (let i = 0; i < labels.length; i += 500) {
      await q.where('label', 'in', labels.slice(i, i + 500)).execute();
    }
    return;
  }
  q = q.where('dirty_serial', 'is not', null);
  await q.execute();
}

export async function updateLabelsPublished(
  db: Db,
  labels: readonly string[],
  now: number,
): Promise<void> {
  const unique = [...new Set(labels)];
  for (let i = 0; i < unique.length; i += 500) {
    const chunk = unique.slice(i, i + 500);
    const existing = new Set(
      (await db.selectFrom('dns_labels').select('label').where('label', 'in', chunk).execute()).map(
        (r) => r.label,
      ),
    );
    const missing = chunk.filter((l) => !existing.has(l));
    if (missing.length > 0)
      await db
        .insertInto('dns_labels')
        .values(missing.map((label) => ({ label, dirty_serial: null, published_at: now })))
        .execute();
    await db
      .updateTable('dns_labels')
      .set({ published_at: now })
      .where('label', 'in', chunk)
      .where('published_at', 'is', null)
      .execute();
  }
}

/** Labels the reconciler owns: every user's label plus every label it ever published under. */
export async function findOwnedLabels(db: Db): Promise<Set<string>> {
  const users = await db.selectFrom('users').select('dns_label').execute();
  const published = await db
    .selectFrom('dns_labels')
    .select('label')
    .where((eb) => eb.or([eb('published_at', 'is not', null), eb('dirty_serial', 'is not', null)]))
    .execute();
  return new Set([...users.map((u) => u.dns_label), ...published.map((p) => p.label)]);
}

// ---------- lease ----------

/** Take or renew the zone lease; true when `holder` holds it until `now + ttlMs`. */
export async function acquireLease(
  db: Db,
  zone: string,
  holder: string,
  now: number,
  ttlMs: number,
): Promise<boolean> {
  const res = await db
    .updateTable('dns_reconcile_leases')
    .set({ holder, expires_at: now + ttlMs })
    .where('zone', '=', zone)
    .where((eb) => eb.or([eb('holder', '=', holder), eb('expires_at', '<', now)]))
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) > 0) return true;
  try {
    await db
      .insertInto('dns_reconcile_leases')
      .values({ zone, holder, expires_at: now + ttlMs })
      .execute();
    return true;
  } catch {
    // Someone else holds it (the row exists and is not expired).
    return false;
  }
}

export async function releaseLease(db: Db, zone: string, holder: string): Promise<void> {
  await db
    .deleteFrom('dns_reconcile_leases')
    .where('zone', '=', zone)
    .where('holder', '=', holder)
    .execute();
}

// ---------- desired state ----------

export interface DesiredRecordRow {
  id: number;
  label: string;
  subdomain: string;
  type: string;
  value: string;
  priority: number | null;
  status: string;
  status_at: number | null;
  updated_at: number;
  change_id: string | null;
}

/**
 * Records that should be published: those of users who are not suspended (suspension withdraws them).
 * `labels` null = every user; `subdomains` narrows to those names under the labels.
 */
export async function findDesiredRecords(
  db: Db,
  labels: readonly string[] | null,
  subdomains?: readonly string[],
): Promise<DesiredRecordRow[]> {
  let q = db
    .selectFrom('dns_records as r')
    .innerJoin('users as u', 'u.id', 'r.user_id')
    .where('u.suspended_at', 'is', null)
    .select([
      'r.id',
      'u.dns_label as label',
      'r.subdomain',
      'r.type',
      'r.value',
      'r.priority',
      'r.status',
      'r.status_at',
      'r.updated_at',
      'r.change_id',
    ]);
  if (labels) {
    if (labels.length === 0) return [];
    q = q.where('u.dns_label', 'in', labels);
  }
  if (subdomains) {
    if (subdomains.length === 0) return [];
    q = q.where('r.subdomain', 'in', subdomains);
  }
  const rows = await q.execute();
  return rows.map((r) => ({
    ...r,
    id: Number(r.id),
    priority: r.priority === null ? null : Number(r.priority),
    status_at: r.status_at === null ? null : Number(r.status_at),
    updated_at: Number(r.updated_at),
  }));
}

export interface ChallengeRow {
  id: number;
  name: string;
  value: string;
  status: string;
  status_at: number | null;
  created_at: number;
  change_id: string | null;
}

/**
 * ACME challenge values to publish (the service's own and those users' clients wrote), except those in
 * suspended users' namespaces. Filtered by exact names and/or by owner labels (every challenge name
 * under them); null = no filter.
 */
export async function findChallengeRows(
  db: Db,
  names: readonly string[] | null,
  labels: readonly string[] | null = null,
): Promise<ChallengeRow[]> {
  let q = db
    .selectFrom('acme_challenges as a')
    .innerJoin('users as u', 'u.id', 'a.user_id')
    .where('u.suspended_at', 'is', null)
    .select([
      'a.id',
      'a.name',
      'a.value',
      'a.status',
      'a.status_at',
      'a.created_at',
      'a.change_id',
    ]);
  if (names && labels) {
    if (names.length === 0 && labels.length === 0) return [];
    q = q.where((eb) =>
      eb.or([
        ...(names.length ? [eb('a.name', 'in', names)] : []),
        ...(labels.length ? [eb('u.dns_label', 'in', labels)] : []),
      ]),
    );
  } else if (names) {
    if (names.length === 0) return [];
    q = q.where('a.name', 'in', names);
  } else if (labels) {
    if (labels.length === 0) return [];
    q = q.where('u.dns_label', 'in', labels);
  }
  const rows = await q.execute();
  return rows.map((r) => ({
    ...r,
    id: Number(r.id),
    status_at: r.status_at === null ? null : Number(r.status_at),
    created_at: Number(r.created_at),
  }));
}

// ---------- status ----------

export type SyncTarget = { records: number[]; challenges: number[] };

export async function updateSyncStatus(
  db: Db,
  target: SyncTarget,
  values: {
    status: 'pending' | 'live' | 'error';
    status_message: string | null;
    change_id: string | null;
    status_at: number;
  },
): Promise<void> {
  for (let i = 0; i < target.records.length; i += 500) {
    await db
      .updateTable('dns_records')
      .set(values)
      .where('id', 'in', target.records.slice(i, i + 500))
      .execute();
  }
  for (let i = 0; i < target.challenges.length; i += 500) {
    await db
      .updateTable('acme_challenges')
      .set(values)
      .where('id', 'in', target.challenges.slice(i, i + 500))
      .execute();
  }
}

/** Change ids still awaiting INSYNC, oldest first. */
export async function findPendingChangeIds(db: Db): Promise<string[]> {
  const a = await db
    .selectFrom('dns_records')
    .select('change_id')
    .distinct()
    .where('status', '=', 'pending')
    .where('change_id', 'is not', null)
    .execute();
  const b = await db
    .selectFrom('acme_challenges')
    .select('change_id')
    .distinct()
    .where('status', '=', 'pending')
    .where('change_id', 'is not', null)
    .execute();
  return [...new Set([...a, ...b].map((r) => r.change_id!))];
}

/** Mark everything carried by these changes live. */
export async function updateChangesLive(db: Db, changeIds: readonly string[], now: number) {
  if (changeIds.length === 0) return;
  for (const table of ['dns_records', 'acme_challenges'] as const) {
    await db
      .updateTable(table)
      .set({ status: 'live', status_message: null, change_id: null, status_at: now })
      .where('status', '=', 'pending')
      .where('change_id', 'in', [...changeIds])
      .execute();
  }
}

/** Embedded provider: everything pending is live once committed. `labels` null = all. */
export async function updatePendingLive(db: Db, labels: readonly string[] | null, now: number) {
  if (labels && labels.length === 0) return;
  // Suspended users' records are withdrawn, not live.
  let owners = db.selectFrom('users').select('id').where('suspended_at', 'is', null);
  if (labels) owners = owners.where('dns_label', 'in', [...labels]);
  const q = db
    .updateTable('dns_records')
    .set({ status: 'live', status_message: null, change_id: null, status_at: now })
    .where('status', '!=', 'live')
    .where('user_id', 'in', owners);
  await q.execute();
  await db
    .updateTable('acme_challenges')
    .set({ status: 'live', status_message: null, change_id: null, status_at: now })
    .where('status', '!=', 'live')
    .execute();
}

export { sql };
