/** Reading the audit log: admins browse and filter everything; each user sees their own history. */
import type { Db } from '../../db/client.js';
import { type AuditFilter, findAuditActions, findAuditPage } from '../../db/repos/admin.js';
import type { AuditRow, User } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import { type AdminActor, assertAdmin } from './admin-actor.js';

export const AUDIT_PAGE_SIZE = 50;
const DAY_MS = 86_400_000;

export interface AuditPage {
  rows: AuditRow[];
  total: number;
  page: number;
  pages: number;
}

/** Raw filter values as they come from a query string. */
export interface AuditQuery {
  user?: string | undefined;
  action?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  /** Already a whole number ≥ 1 (the web edge parses and clamps it). */
  page?: number | undefined;
}

const parseDay = (v: string) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return null;
  const t = Date.parse(`${v}T00:00:00Z`);
  return Number.isNaN(t) ? null : t;
};

/** Validate filter values; throws INVALID_INPUT with field errors. Dates are whole UTC days, `to` inclusive. */
export function parseAuditQuery(q: AuditQuery): AuditFilter {
  const fields: Record<string, string> = {};
  const user = (q.user ?? '').trim();
  const action = (q.action ?? '').trim();
  if (user.length > 191) fields.user = 'Use at most 191 characters.';
  if (action.length > 64) fields.action = 'Use at most 64 characters.';
  let from: number | null = null;
  let to: number | null = null;
  if (q.from) {
    from = parseDay(q.from);
    if (from === null) fields.from = 'Use a date like 2026-01-31.';
  }
  if (q.to) {
    const t = parseDay(q.to);
    if (t === null) fields.to = 'Use a date like 2026-01-31.';
    else to = t + DAY_MS;
  }
  if (from !== null && to !== null && from >= to) fields.to = 'The end date is before the start.';
  if (Object.keys(fields).length > 0)
    throw new AppError('INVALID_INPUT', 'Please correct the highlighted filters.', fields);
  return { username: user || null, action: action || null, from, to };
}

async function page(db: Db, filter: AuditFilter, requested = 1): Promise<AuditPage> {
  const wanted = Math.max(1, Math.floor(requested) || 1);
  let res = await findAuditPage(db, filter, (wanted - 1) * AUDIT_PAGE_SIZE, AUDIT_PAGE_SIZE);
  const pages = Math.max(1, Math.ceil(res.total / AUDIT_PAGE_SIZE));
  const p = Math.min(wanted, pages);
  if (p !== wanted)
    res = await findAuditPage(db, filter, (p - 1) * AUDIT_PAGE_SIZE, AUDIT_PAGE_SIZE);
  return { rows: res.rows, total: res.total, page: p, pages };
}

/** One page of the whole audit log, newest first, filtered. Throws INVALID_INPUT for bad filters. */
export async function browseAuditLog(
  deps: { db: Db },
  actor: AdminActor,
  query: AuditQuery,
): Promise<AuditPage & { filter: AuditFilter; actions: string[] }> {
  assertAdmin(actor);
  const filter = parseAuditQuery(query);
  const [result, actions] = await Promise.all([
    page(deps.db, filter, query.page),
    findAuditActions(deps.db),
  ]);
  return { ...result, filter, actions };
}

/** One page of what happened to or was done by this user (as actor or effective user), newest first. */
export async function listOwnHistory(
  deps: { db: Db },
  user: Pick<User, 'id'>,
  requested?: number,
): Promise<AuditPage> {
  return page(deps.db, { userId: user.id }, requested);
}
