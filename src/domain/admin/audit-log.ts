/** Reading the audit log: admins browse and filter everything; each user sees their own history. */
import type { Config } from '../../config.js';
import type { Db } from '../../db/client.js';
import { type AuditFilter, findAuditActions, findAuditPage } from '../../db/repos/admin.js';
import { type AuditTargetLookup, findAuditTargets } from '../../db/repos/audit-log.js';
import type { AuditRow, User } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import { type AdminActor, assertAdmin } from './admin-actor.js';

export const AUDIT_PAGE_SIZE = 50;
const DAY_MS = 86_400_000;

/** An audit row's target as people know it, resolved when the log is read. */
export interface AuditTarget {
  /** "DNS record", "user", "certificate", "access token", "blocked label", "ACME challenge"… */
  kind: string;
  /** "www.jdoe.example.edu", "jdoe", a certificate's domain, a token's name. */
  name: string;
  /** More about it, e.g. the record type. */
  detail: string | null;
  /** False when it no longer exists: the name then comes from the row's stored JSON (or its id). */
  exists: boolean;
  /** The user it is or belongs to, and the record id (for links), while it exists. */
  userId: number | null;
  recordId: number | null;
}

export type AuditEntry = AuditRow & { target: AuditTarget | null };

export interface AuditPage {
  rows: AuditEntry[];
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

const parseJson = (json: string | null): Record<string, unknown> => {
  if (json === null) return {};
  try {
    const v: unknown = JSON.parse(json);
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
};
const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
const numericId = (id: string | null) => (id !== null && /^\d{1,15}$/.test(id) ? Number(id) : null);

/** The first string found under these keys (a dotted key looks one level down) in before, then after. */
function fromJson(row: AuditRow, ...keys: string[]): string | null {
  for (const json of [parseJson(row.before_json), parseJson(row.after_json)])
    for (const key of keys) {
      const [a, b] = key.split('.');
      const v = b === undefined ? json[a!] : (json[a!] as Record<string, unknown> | undefined)?.[b];
      if (text(v)) return text(v);
    }
  return null;
}

const KINDS: Record<string, string> = {
  dns_record: 'DNS record',
  user: 'user',
  certificate: 'certificate',
  api_token: 'access token',
  blocked_label: 'blocked label',
  acme_challenge: 'ACME challenge',
};

/**
 * Name each row's target as it is called today (a record's full name, a username, a certificate's
 * domain, a token's name); for something since deleted, the name the row's own JSON kept, else its id.
 */
export async function describeAuditTargets(
  deps: { db: Db; config: Pick<Config, 'rootDomain'> },
  rows: AuditRow[],
): Promise<AuditEntry[]> {
  const ids = (type: string) =>
    rows.flatMap((r) => {
      const id = r.target_type === type ? numericId(r.target_id) : null;
      return id === null ? [] : [id];
    });
  const found: AuditTargetLookup = await findAuditTargets(deps.db, {
    // Owners of deleted records too: their full name needs the owner's DNS label.
    users: [
      ...ids('user'),
      ...rows.flatMap((r) =>
        r.target_type === 'dns_record' && r.effective_user_id !== null ? [r.effective_user_id] : [],
      ),
    ],
    records: ids('dns_record'),
    certificates: ids('certificate'),
    tokens: ids('api_token'),
  });
  const fqdn = (subdomain: string, label: string | undefined) => {
    const base = label ? `${label}.${deps.config.rootDomain}` : null;
    if (!base) return subdomain;
    return subdomain === '' || subdomain === '@' ? base : `${subdomain}.${base}`;
  };
  const describe = (r: AuditRow): AuditTarget | null => {
    if (!r.target_type) return null;
    const kind = KINDS[r.target_type] ?? r.target_type.replace(/_/g, ' ');
    const id = numericId(r.target_id);
    const gone = (name: string | null, detail: string | null = null): AuditTarget => ({
      kind,
      name: name ?? (r.target_id ? `#${r.target_id}` : '—'),
      detail,
      exists: false,
      userId: null,
      recordId: null,
    });
    switch (r.target_type) {
      case 'dns_record': {
        const rec = id === null ? undefined : found.records.get(id);
        if (rec)
          return {
            kind,
            name: fqdn(rec.subdomain, found.users.get(rec.user_id)?.dns_label),
            detail: rec.type,
            exists: true,
            userId: rec.user_id,
            recordId: id,
          };
        const sub = fromJson(r, 'subdomain');
        const owner =
          r.effective_user_id === null ? undefined : found.users.get(r.effective_user_id);
        return gone(sub === null ? null : fqdn(sub, owner?.dns_label), fromJson(r, 'type'));
      }
      case 'user': {
        const u = id === null ? undefined : found.users.get(id);
        if (u)
          return { kind, name: u.username, detail: null, exists: true, userId: id, recordId: null };
        return gone(
          fromJson(r, 'user.username', 'username', 'impersonating') ??
            (id !== null && r.effective_user_id === id ? r.effective_username : null),
        );
      }
      case 'certificate': {
        const c = id === null ? undefined : found.certificates.get(id);
        if (c)
          return {
            kind,
            name: c.domain,
            detail: null,
            exists: true,
            userId: c.user_id,
            recordId: null,
          };
        return gone(fromJson(r, 'domain'));
      }
      case 'api_token': {
        const t = id === null ? undefined : found.tokens.get(id);
        if (t)
          return {
            kind,
            name: t.name,
            detail: null,
            exists: true,
            userId: t.user_id,
            recordId: null,
          };
        return gone(fromJson(r, 'name'));
      }
      default:
        // Labels and challenge names are their own ids.
        return {
          kind,
          name: r.target_id ?? '—',
          detail: null,
          exists: true,
          userId: null,
          recordId: null,
        };
    }
  };
  return rows.map((r) => ({ ...r, target: describe(r) }));
}

type PageDeps = { db: Db; config: Pick<Config, 'rootDomain'> };

async function page(deps: PageDeps, filter: AuditFilter, requested = 1): Promise<AuditPage> {
  const { db } = deps;
  const wanted = Math.max(1, Math.floor(requested) || 1);
  let res = await findAuditPage(db, filter, (wanted - 1) * AUDIT_PAGE_SIZE, AUDIT_PAGE_SIZE);
  const pages = Math.max(1, Math.ceil(res.total / AUDIT_PAGE_SIZE));
  const p = Math.min(wanted, pages);
  if (p !== wanted)
    res = await findAuditPage(db, filter, (p - 1) * AUDIT_PAGE_SIZE, AUDIT_PAGE_SIZE);
  return { rows: await describeAuditTargets(deps, res.rows), total: res.total, page: p, pages };
}

/** One page of the whole audit log, newest first, filtered. Throws INVALID_INPUT for bad filters. */
export async function browseAuditLog(
  deps: PageDeps,
  actor: AdminActor,
  query: AuditQuery,
): Promise<AuditPage & { filter: AuditFilter; actions: string[] }> {
  assertAdmin(actor);
  const filter = parseAuditQuery(query);
  const [result, actions] = await Promise.all([
    page(deps, filter, query.page),
    findAuditActions(deps.db),
  ]);
  return { ...result, filter, actions };
}

/** One page of what happened to or was done by this user (as actor or effective user), newest first. */
export async function listOwnHistory(
  deps: PageDeps,
  user: Pick<User, 'id'>,
  requested?: number,
): Promise<AuditPage> {
  return page(deps, { userId: user.id }, requested);
}
