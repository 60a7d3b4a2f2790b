/**
 * The owner's records filtered and paginated for the REST API: by name and type, by what the caller
 * may see (a token's scope), a page at a time by page number or by cursor (the last id seen). The
 * owner's records are read whole and filtered here because a token's name patterns (`*.lab`) are not
 * SQL; the per-user record limit bounds them (a user without a limit and with thousands of records pays
 * one indexed read of them per call).
 */
import { findDnsRecordsOfUser } from '../../db/repos/dns-records.js';
import type { DnsRecordRow, User } from '../../db/schema.js';
import type { DnsRecordDeps } from './dns-records.js';

export interface RecordQuery {
  name?: string;
  type?: string;
  /** Whether the caller may see a record (e.g. a token's scope); default all. */
  visible?: (r: Pick<DnsRecordRow, 'subdomain' | 'type'>) => boolean;
  /** Records after this id (cursor pagination); wins over `page`. */
  after?: number;
  page?: number;
  limit: number;
}

export interface RecordQueryPage {
  records: DnsRecordRow[];
  /** Matching records in all. */
  total: number;
  page: number;
  pages: number;
  /** The id to pass as `after` for the next page; null on the last page. */
  nextAfter: number | null;
}

/** One page of the owner's matching records in id order. Never throws for a valid user. */
export async function queryDnsRecords(
  deps: Pick<DnsRecordDeps, 'db'>,
  owner: Pick<User, 'id'>,
  q: RecordQuery,
): Promise<RecordQueryPage> {
  const all = (await findDnsRecordsOfUser(deps.db, owner.id)).filter(
    (r) =>
      (q.name === undefined || r.subdomain === q.name) &&
      (q.type === undefined || r.type === q.type) &&
      (q.visible === undefined || q.visible(r)),
  );
  const total = all.length;
  const pages = Math.max(1, Math.ceil(total / q.limit));
  let start: number;
  let page: number;
  if (q.after !== undefined) {
    const after = q.after;
    start = all.findIndex((r) => r.id > after);
    if (start === -1) start = total;
    page = Math.floor(start / q.limit) + 1;
  } else {
    page = Math.min(Math.max(1, q.page ?? 1), pages);
    start = (page - 1) * q.limit;
  }
  const records = all.slice(start, start + q.limit);
  const nextAfter = start + q.limit < total ? records[records.length - 1]!.id : null;
  return { records, total, page, pages, nextAfter };
}
