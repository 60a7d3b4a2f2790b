/**
 * Expiry: superseded certificates' private keys are dropped at their `valid_to` (until then the previous
 * certificate stays downloadable, key included); records past `expires_at` and certificates past
 * `valid_to` are removed, each owner gets one
 * email listing what expired, and DNS is told in the same transaction (markDnsChanged), so the name
 * leaves the built-in server at its next reload and Route53 at the prompt reconciliation that follows.
 * Each deletion is conditional on the item still being expired, so a renewal racing the job wins.
 */
import { insertAuditLog } from '../../db/repos/audit-log.js';
import { clearExpiredSupersededKeys } from '../../db/repos/certificates.js';
import type { Db } from '../../db/client.js';
import { queueEmail } from '../notifications/outbox.js';
import { type EmailContext, composeEmail } from '../notifications/templates.js';
import { markDnsChanged } from '../reconciler/request.js';

export interface ExpiryDeps {
  db: Db;
  now: number;
  email: EmailContext;
  rootDomain: string;
}

export interface ExpiryResult {
  /** Outbox ids of the "expired" emails queued. */
  emailIds: number[];
  recordsRemoved: number;
  certificatesRemoved: number;
  /** Private keys of expired superseded certificates dropped. */
  keysCleared: number;
  /** True when DNS data changed and a reconciliation should be requested. */
  dnsChanged: boolean;
}

interface Owner {
  userId: number;
  label: string;
  email: string;
  name: string;
  records: { id: number; subdomain: string; type: string }[];
  certificates: { id: number; domain: string; current: boolean }[];
}

/** Remove everything expired at `now`; never throws for data it finds, only for database errors. */
export async function expireItems(deps: ExpiryDeps): Promise<ExpiryResult> {
  const { db, now } = deps;
  // First and on its own: whatever happens to the rows below, no expired previous key stays stored.
  const keysCleared = await clearExpiredSupersededKeys(db, now);
  const owners = new Map<number, Owner>();
  const owner = (r: {
    user_id: number;
    dns_label: string;
    email: string;
    display_name: string;
  }) => {
    let o = owners.get(r.user_id);
    if (!o) {
      o = {
        userId: r.user_id,
        label: r.dns_label,
        email: r.email,
        name: r.display_name,
        records: [],
        certificates: [],
      };
      owners.set(r.user_id, o);
    }
    return o;
  };

  const records = await db
    .selectFrom('dns_records as r')
    .innerJoin('users as u', 'u.id', 'r.user_id')
    .select([
      'r.id',
      'r.user_id',
      'r.subdomain',
      'r.type',
      'u.dns_label',
      'u.email',
      'u.display_name',
    ])
    .where('r.expires_at', '<=', now)
    .execute();
  for (const r of records)
    owner(r).records.push({ id: r.id, subdomain: r.subdomain, type: r.type });

  // Issued certificates are the owner's current one; superseded ones expire silently.
  const certificates = await db
    .selectFrom('certificates as c')
    .innerJoin('users as u', 'u.id', 'c.user_id')
    .select([
      'c.id',
      'c.user_id',
      'c.domain',
      'c.status',
      'u.dns_label',
      'u.email',
      'u.display_name',
    ])
    .where('c.valid_to', '<=', now)
    .where('c.status', 'in', ['issued', 'superseded'])
    .execute();
  for (const c of certificates)
    owner(c).certificates.push({ id: c.id, domain: c.domain, current: c.status === 'issued' });

  const result: ExpiryResult = {
    emailIds: [],
    recordsRemoved: 0,
    certificatesRemoved: 0,
    keysCleared,
    dnsChanged: false,
  };
  for (const o of owners.values()) {
    const outcome = await db.transaction().execute(async (trx) => {
      const removedRecords: Owner['records'] = [];
      for (const r of o.records) {
        const res = await trx
          .deleteFrom('dns_records')
          .where('id', '=', r.id)
          .where('expires_at', '<=', now)
          .executeTakeFirst();
        if (Number(res.numDeletedRows) === 1) removedRecords.push(r);
      }
      const removedCerts: Owner['certificates'] = [];
      for (const c of o.certificates) {
        const res = await trx
          .deleteFrom('certificates')
          .where('id', '=', c.id)
          .where('valid_to', '<=', now)
          .where('status', 'in', ['issued', 'superseded'])
          .executeTakeFirst();
        if (Number(res.numDeletedRows) === 1) removedCerts.push(c);
      }
      if (removedRecords.length > 0)
        await markDnsChanged(
          trx,
          removedRecords.map((r) => ({ label: o.label, name: r.subdomain })),
          now,
        );
      for (const r of removedRecords)
        await audit(trx, o, 'dns-record.expire', 'dns_record', r.id, r, now);
      for (const c of removedCerts)
        await audit(trx, o, 'certificate.expire', 'certificate', c.id, c, now);
      const told = [
        ...removedRecords.map(
          (r) => `DNS record ${r.subdomain}.${o.label}.${deps.rootDomain} (${r.type})`,
        ),
        ...removedCerts
          .filter((c) => c.current)
          .map((c) => `certificate for ${c.domain} and *.${c.domain}`),
      ];
      let emailId: number | null = null;
      if (told.length > 0) {
        const content = composeEmail(deps.email, {
          subject:
            told.length === 1
              ? `${told[0]!.startsWith('DNS') ? 'DNS record' : 'certificate'} expired`
              : `${told.length} items expired`,
          greeting: `Hi ${o.name}`,
          paragraphs: [
            told.length === 1
              ? 'The following has expired and was removed. You can create it again at any time.'
              : 'The following have expired and were removed. You can create them again at any time.',
          ],
          items: told,
          action: {
            label: `Open ${deps.email.productName}`,
            path: removedRecords.length > 0 ? '/dns-records' : '/certificate',
          },
        });
        emailId = await queueEmail(trx, deps.email.appUrl, { to: o.email, ...content }, now);
      }
      return { records: removedRecords.length, certs: removedCerts.length, emailId };
    });
    result.recordsRemoved += outcome.records;
    result.certificatesRemoved += outcome.certs;
    if (outcome.records > 0) result.dnsChanged = true;
    if (outcome.emailId !== null) result.emailIds.push(outcome.emailId);
  }
  return result;
}

async function audit(
  db: Parameters<typeof insertAuditLog>[0],
  o: Owner,
  action: string,
  targetType: string,
  id: number,
  before: unknown,
  now: number,
) {
  await insertAuditLog(db, {
    at: now,
    actor_user_id: null,
    actor_username: 'system',
    effective_user_id: o.userId,
    effective_username: null,
    action,
    target_type: targetType,
    target_id: String(id),
    request_id: null,
    before_json: JSON.stringify(before),
    after_json: null,
  });
}
