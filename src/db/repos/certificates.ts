/** Queries for certificates and their ACME challenge rows (rules live in domain/certificates). */
import { type Insertable, type Updateable, sql } from 'kysely';
import type { Db } from '../client.js';
import type { CertificateRow, CertificatesTable } from '../schema.js';
import type { DbOrTrx } from './dns-records.js';

export async function findCertificate(
  db: DbOrTrx,
  id: number,
): Promise<CertificateRow | undefined> {
  return db.selectFrom('certificates').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The user's rows, newest first (a handful per user: requests, renewals, failures). */
export async function findCertificatesForUser(
  db: DbOrTrx,
  userId: number,
  limit = 20,
): Promise<CertificateRow[]> {
  return db
    .selectFrom('certificates')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

export async function findInflightCertificate(
  db: DbOrTrx,
  userId: number,
): Promise<CertificateRow | undefined> {
  return db
    .selectFrom('certificates')
    .selectAll()
    .where('inflight_user_id', '=', userId)
    .executeTakeFirst();
}

export async function insertCertificate(
  db: DbOrTrx,
  row: Omit<Insertable<CertificatesTable>, 'id'>,
): Promise<number> {
  const res = await db.insertInto('certificates').values(row).executeTakeFirstOrThrow();
  return Number(res.insertId);
}

/** Update a row; with `step` given, only while it is still at that step (compare-and-set). */
export async function updateCertificate(
  db: DbOrTrx,
  id: number,
  set: Updateable<CertificatesTable>,
  expect?: { step?: string; status?: CertificateRow['status'] },
): Promise<boolean> {
  let q = db.updateTable('certificates').set(set).where('id', '=', id);
  if (expect?.step !== undefined) q = q.where('step', '=', expect.step);
  if (expect?.status !== undefined) q = q.where('status', '=', expect.status);
  const res = await q.executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Take the advancing lease if free or expired. */
export async function claimCertificateLease(
  db: Db,
  id: number,
  now: number,
  until: number,
): Promise<boolean> {
  const res = await db
    .updateTable('certificates')
    .set({ lease_until: until })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Pending certificates whose order was sent (recovery re-enqueues their advance job). */
export async function findPendingCertificateIds(db: Db): Promise<number[]> {
  const rows = await db
    .selectFrom('certificates')
    .select('id')
    .where('status', '=', 'pending')
    .where('order_sent_at', 'is not', null)
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Pending certificates no worker holds (no lease, or one that has run out): their job is gone — it
 * failed for good, or was lost with the queue — or waits for a retry (enqueueing again is then a no-op).
 * Requests still waiting in the issuance queue are the dispatcher's, not stranded.
 */
export async function findStrandedCertificateIds(db: Db, now: number): Promise<number[]> {
  const rows = await db
    .selectFrom('certificates')
    .select('id')
    .where('status', '=', 'pending')
    .where('order_sent_at', 'is not', null)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
    .execute();
  return rows.map((r) => r.id);
}

export async function findChallengesForCertificate(
  db: DbOrTrx,
  certificateId: number,
): Promise<{ id: number; name: string; value: string }[]> {
  return db
    .selectFrom('acme_challenges')
    .select(['id', 'name', 'value'])
    .where('certificate_id', '=', certificateId)
    .orderBy('id')
    .execute();
}

export async function insertChallenges(
  db: DbOrTrx,
  certificateId: number,
  rows: { name: string; value: string }[],
  now: number,
): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('acme_challenges')
    .values(
      rows.map((r) => ({
        certificate_id: certificateId,
        user_id: (eb) =>
          eb.selectFrom('certificates').select('user_id').where('id', '=', certificateId),
        ...r,
        created_at: now,
      })),
    )
    .execute();
}

export async function deleteChallenges(db: DbOrTrx, certificateId: number): Promise<number> {
  const res = await db
    .deleteFrom('acme_challenges')
    .where('certificate_id', '=', certificateId)
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}

/**
 * Issued certificates that may be due for renewal: `renew_at` reached, or no `renew_at` stored (issued
 * before renewal times were; the domain computes their fallback point). Only owners who are not
 * suspended and have no request in flight and no renewal attempt in the last `retryAfterMs`.
 */
export async function findCertificatesDueForRenewal(
  db: Db,
  now: number,
  retryAfterMs: number,
  limit = 500,
): Promise<CertificateRow[]> {
  return (
    db
      .selectFrom('certificates as c')
      .innerJoin('users as u', 'u.id', 'c.user_id')
      .selectAll('c')
      .where('c.status', '=', 'issued')
      .where('u.suspended_at', 'is', null)
      .where('c.valid_to', '>', now)
      .where((eb) => eb.or([eb('c.renew_at', '<=', now), eb('c.renew_at', 'is', null)]))
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('certificates as p')
              .select('p.id')
              .whereRef('p.inflight_user_id', '=', 'c.user_id'),
          ),
        ),
      )
      // A renewal attempt in the last `retryAfterMs` (e.g. a failed one) waits: no hourly retry storms.
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('certificates as r')
              .select('r.id')
              .whereRef('r.renewal_of', '=', 'c.id')
              .where('r.created_at', '>', now - retryAfterMs),
          ),
        ),
      )
      // Rows whose renew_at has come first; then rows without one, nearest expiry first (most likely due).
      .orderBy(sql`case when c.renew_at is null then 1 else 0 end`)
      .orderBy('c.valid_to')
      .limit(limit)
      .execute()
  );
}

/**
 * Issued, unexpired certificates with an RFC 9773 id whose renewal information is due
 * (`ari_next_check_at <= now`), soonest first.
 */
export async function findCertificatesDueForAriCheck(
  db: Db,
  now: number,
  limit: number,
): Promise<CertificateRow[]> {
  return db
    .selectFrom('certificates')
    .selectAll()
    .where('status', '=', 'issued')
    .where('ari_next_check_at', '<=', now)
    .where('ari_cert_id', 'is not', null)
    .where('valid_to', '>', now)
    .orderBy('ari_next_check_at')
    .limit(limit)
    .execute();
}

/**
 * Take a due renewal-information check: move `ari_next_check_at` from the value read to `until`, so a
 * second poller (another replica) skips the row. Returns whether this caller got it.
 */
export async function claimAriCheck(
  db: Db,
  id: number,
  expected: number,
  until: number,
): Promise<boolean> {
  const res = await db
    .updateTable('certificates')
    .set({ ari_next_check_at: until })
    .where('id', '=', id)
    .where('status', '=', 'issued')
    .where('ari_next_check_at', '=', expected)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/**
 * Note that the files of certificate `id` left the service (`page` by hand, `api` through a token).
 * Written at most once every `quietMs` for the same channel, so API polling does not write per request.
 */
export async function updateCertificateDownload(
  db: DbOrTrx,
  id: number,
  via: 'page' | 'api',
  now: number,
  quietMs: number,
): Promise<void> {
  await db
    .updateTable('certificates')
    .set({ downloaded_at: now, downloaded_via: via })
    .where('id', '=', id)
    .where((eb) =>
      eb.or([
        eb('downloaded_at', 'is', null),
        eb('downloaded_via', 'is', null),
        eb('downloaded_via', '<>', via),
        eb('downloaded_at', '<=', now - quietMs),
      ]),
    )
    .execute();
}

/** Drop the stored keys of superseded certificates past `valid_to`. Returns how many. */
export async function clearExpiredSupersededKeys(db: DbOrTrx, now: number): Promise<number> {
  const res = await db
    .updateTable('certificates')
    .set({ private_key_enc: null, updated_at: now })
    .where('status', '=', 'superseded')
    .where('valid_to', '<=', now)
    .where('private_key_enc', 'is not', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/** Rows holding a stored private key, in id order after `afterId`, a page at a time (key rotation). */
export async function findSealedKeys(
  db: Db,
  afterId: number,
  limit: number,
): Promise<{ id: number; private_key_enc: string }[]> {
  const rows = await db
    .selectFrom('certificates')
    .select(['id', 'private_key_enc'])
    .where('private_key_enc', 'is not', null)
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: r.id, private_key_enc: r.private_key_enc! }));
}

/** Replace a stored key only if it is still the value read (compare-and-set). Returns whether it did. */
export async function updateSealedKey(
  db: Db,
  id: number,
  expected: string,
  next: string,
): Promise<boolean> {
  const res = await db
    .updateTable('certificates')
    .set({ private_key_enc: next })
    .where('id', '=', id)
    .where('private_key_enc', '=', expected)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}
