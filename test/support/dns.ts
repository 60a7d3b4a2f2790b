/** Helpers for DNS tests: direct record rows and a reconciler bound to a test app. */
import type { Db } from '../../src/db/client.js';
import type { User } from '../../src/db/schema.js';
import {
  type ReconcileMode,
  reconcileDns,
  type ReconcilerDeps,
} from '../../src/domain/reconciler/reconcile.js';
import type { RecordType } from '../../src/domain/dns-records/types.js';
import type { DnsProvider } from '../../src/ports/dns-provider.js';
import { silentLogger } from './db.js';

export async function insertRecord(
  db: Db,
  user: User,
  subdomain: string,
  type: RecordType,
  value: string,
  priority: number | null = null,
): Promise<number> {
  const now = Date.now();
  const res = await db
    .insertInto('dns_records')
    .values({
      user_id: user.id,
      subdomain,
      type,
      value,
      priority,
      ports: null,
      course: null,
      description: null,
      expires_at: now + 1e10,
      status_message: null,
      change_id: null,
      status_at: null,
      created_at: now,
      updated_at: now,
    })
    .executeTakeFirstOrThrow();
  return Number(res.insertId);
}

/** ACME challenge values (one per name the certificate covers) on a new pending certificate row. */
export async function insertChallenge(
  db: Db,
  user: User,
  values: string | string[],
  root = 'starchart.test',
): Promise<void> {
  const now = Date.now();
  const cert = await db
    .insertInto('certificates')
    .values({
      user_id: user.id,
      domain: `${user.dns_label}.${root}`,
      created_at: now,
      updated_at: now,
    })
    .executeTakeFirstOrThrow();
  for (const value of Array.isArray(values) ? values : [values])
    await db
      .insertInto('acme_challenges')
      .values({
        certificate_id: Number(cert.insertId),
        user_id: user.id,
        name: `_acme-challenge.${user.dns_label}.${root}`,
        value,
        created_at: now,
        status_message: null,
        change_id: null,
        status_at: null,
      })
      .execute();
}

export function reconciler(
  db: Db,
  provider: DnsProvider,
  rootDomain: string,
  extra: Partial<ReconcilerDeps> = {},
) {
  return (mode: ReconcileMode, more: Partial<ReconcilerDeps> = {}) =>
    reconcileDns(
      {
        db,
        provider,
        clock: { now: () => Date.now() },
        logger: silentLogger,
        rootDomain,
        backoffBaseMs: 20,
        syncWaitMs: 5000,
        ...extra,
        ...more,
      },
      mode,
    );
}
