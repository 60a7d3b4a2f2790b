/**
 * DNS record use-cases for the signed-in (effective) user: list, view, create, edit, renew, delete.
 * Every read and write is scoped to the owner: another user's id is NOT_FOUND. Mutations write an
 * audit row, mark the user's label dirty in the same transaction and ask for a prompt DNS push.
 */
import type { Config } from '../../config.js';
import type { Db } from '../../db/client.js';
import { inTransaction } from '../../db/group-commit.js';
import {
  countDnsRecords,
  countDnsRecordsFiltered,
  deleteDnsRecord as deleteRow,
  findBlockedLabel,
  findDnsRecordForUser,
  findDnsRecordStatuses,
  findDnsRecordsAtName,
  findDnsRecordsFiltered,
  findDnsRecordsPage,
  type DnsRecordListItem,
  insertDnsRecord,
  lockUserRow,
  updateDnsRecord as updateRow,
} from '../../db/repos/dns-records.js';
import type { DnsRecordRow, User } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import { type RecordPolicy, recordPolicy } from './record-policy.js';
import type { Logger } from '../../logger.js';
import type { Clock } from '../../ports/clock.js';
import type { JobQueue } from '../../ports/job-queue.js';
import { markDnsChanged, requestReconcile } from '../reconciler/request.js';
import { type Actor, auditDnsRecord as audit, recordSnapshot as snapshot } from './audit.js';
import { type RecordListQuery, containsPattern, isDefaultListQuery } from './record-list.js';
import { type FieldErrors, checkRecordForm, consistencyProblem, toRecordForm } from './rules.js';
import type { RecordForm, RecordInput, RecordType } from './types.js';

export interface DnsRecordDeps {
  db: Db;
  config: Pick<Config, 'rootDomain' | 'dns'>;
  clock: Clock;
  queue: JobQueue;
  logger?: Logger;
}

export type { Actor };

export const PAGE_SIZE = 50;

export const baseDomainOf = (user: Pick<User, 'dns_label'>, rootDomain: string) =>
  `${user.dns_label}.${rootDomain}`;

/** True when `raw` is a record id: a positive integer that fits the id column. */
const isRecordId = (raw: string): boolean =>
  /^\d{1,10}$/.test(raw) && Number(raw) >= 1 && Number(raw) <= 2_147_483_647;

/** Parse an id from a URL; anything that is not a positive integer is treated as not found. */
export function parseRecordId(raw: string | undefined): number {
  if (!raw || !isRecordId(raw))
    throw new AppError('NOT_FOUND', 'Sorry, we could not find that DNS record.');
  return Number(raw);
}

/** The most record ids one status request may name. */
export const MAX_STATUS_IDS = 100;

/** Parse `ids=1,2,3` (1–100 record ids); throws INVALID_INPUT with a message saying what is wrong. */
export function parseRecordIds(raw: string | undefined): number[] {
  const parts = (raw ?? '').split(',').filter((p) => p !== '');
  if (parts.length === 0)
    throw new AppError('INVALID_INPUT', 'Give the record ids to check, e.g. ?ids=12,13.');
  if (parts.length > MAX_STATUS_IDS)
    throw new AppError('INVALID_INPUT', `Ask about at most ${MAX_STATUS_IDS} records at a time.`);
  if (!parts.every(isRecordId))
    throw new AppError('INVALID_INPUT', 'Record ids are whole numbers separated by commas.');
  return [...new Set(parts.map(Number))];
}

/** The status of each of the owner's records among `ids`; ids of other users' records are left out. */
export function getDnsRecordStatuses(
  deps: Pick<DnsRecordDeps, 'db'>,
  owner: User,
  ids: readonly number[],
): Promise<Pick<DnsRecordRow, 'id' | 'status' | 'status_message'>[]> {
  return findDnsRecordStatuses(deps.db, owner.id, ids);
}

export interface RecordPage {
  records: DnsRecordListItem[];
  total: number;
  page: number;
  pages: number;
  pageSize: number;
  limit: number | null;
}

/** One page of the owner's records sorted by name, type, creation; page numbers are clamped. */
export async function listDnsRecords(
  deps: Pick<DnsRecordDeps, 'db' | 'config'>,
  owner: User,
  page = 1,
  pageSize = PAGE_SIZE,
): Promise<RecordPage> {
  const wanted = Math.max(1, Math.floor(page) || 1);
  let records = await findDnsRecordsPage(deps.db, owner.id, (wanted - 1) * pageSize, pageSize);
  // A non-empty page shorter than a full one is the last page, so it already tells the total; count
  // only when the page is full (there may be more) or empty (past the end, or no records at all).
  let total = (wanted - 1) * pageSize + records.length;
  if (records.length === 0 || records.length === pageSize)
    total = await countDnsRecords(deps.db, owner.id);
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const p = Math.min(wanted, pages);
  if (p !== wanted)
    records = await findDnsRecordsPage(deps.db, owner.id, (p - 1) * pageSize, pageSize);
  const { limit } = await recordPolicy(deps.db, deps.config, owner);
  return { records, total, page: p, pages, pageSize, limit };
}

/**
 * One page of the owner's records matching a list query (search by name or value, type filter, sort).
 * `total` counts the matches; `all` counts every record (for the limit shown beside it). The default
 * query takes the prepared path of listDnsRecords.
 */
export async function searchDnsRecords(
  deps: Pick<DnsRecordDeps, 'db' | 'config'>,
  owner: User,
  query: RecordListQuery,
  page = 1,
  pageSize = PAGE_SIZE,
): Promise<RecordPage & { all: number }> {
  if (isDefaultListQuery(query)) {
    const list = await listDnsRecords(deps, owner, page, pageSize);
    return { ...list, all: list.total };
  }
  const filter = {
    pattern: query.search === '' ? null : containsPattern(query.search),
    type: query.type,
    sort: query.sort,
  };
  const [total, all] = await Promise.all([
    countDnsRecordsFiltered(deps.db, owner.id, filter),
    countDnsRecords(deps.db, owner.id),
  ]);
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const p = Math.min(Math.max(1, Math.floor(page) || 1), pages);
  const records =
    total === 0
      ? []
      : await findDnsRecordsFiltered(deps.db, owner.id, filter, (p - 1) * pageSize, pageSize);
  const { limit } = await recordPolicy(deps.db, deps.config, owner);
  return { records, total, all, page: p, pages, pageSize, limit };
}

/** The owner's record with this id; NOT_FOUND for anyone else's or a missing one. */
export async function getDnsRecord(
  deps: Pick<DnsRecordDeps, 'db'>,
  owner: User,
  id: number,
): Promise<DnsRecordRow> {
  const row = await findDnsRecordForUser(deps.db, owner.id, id);
  if (!row) throw new AppError('NOT_FOUND', 'Sorry, we could not find that DNS record.');
  return row;
}

/** Per-record rules plus the database's blocked labels; throws INVALID_INPUT with field errors. */
async function checkInput(db: Db, body: Record<string, unknown>): Promise<RecordInput> {
  const form = toRecordForm(body);
  const blocked = new Set<string>();
  if (form.subdomain && (await findBlockedLabel(db, form.subdomain))) blocked.add(form.subdomain);
  const res = checkRecordForm(form, blocked);
  if (!res.ok) throw invalid(res.errors);
  return res.input;
}

const invalid = (fields: FieldErrors) =>
  new AppError('INVALID_INPUT', 'Please correct the highlighted fields.', fields);

/**
 * Field errors for a draft without saving it (inline validation). Consistency rules are checked
 * against the owner's records, ignoring `editingId`. Empty object = valid.
 */
export async function validateDnsRecordDraft(
  deps: Pick<DnsRecordDeps, 'db'>,
  owner: User,
  body: Record<string, unknown>,
  editingId: number | null,
): Promise<FieldErrors> {
  try {
    const input = await checkInput(deps.db, body);
    const others = (await findDnsRecordsAtName(deps.db, owner.id, input.subdomain)).filter(
      (r) => r.id !== editingId,
    );
    return consistencyProblem(input, others) ?? {};
  } catch (e) {
    if (e instanceof AppError && e.code === 'INVALID_INPUT') return e.fields;
    throw e;
  }
}

/** Status of a new or edited record: live at once with the built-in server, pending until pushed otherwise. */
export function initialStatus(deps: Pick<DnsRecordDeps, 'config'>): 'live' | 'pending' {
  return deps.config.dns.provider === 'embedded' ? 'live' : 'pending';
}

/**
 * Insert a new record for `owner` inside the caller's transaction, expiring one record lifetime from
 * `now`, and write its create audit row. The caller has checked the rules, the limit and consistency,
 * and marks the name changed. Shared by the forms and API, dyndns2 and DNS UPDATE.
 */
export async function insertNewRecord(
  trx: Parameters<typeof insertDnsRecord>[0],
  deps: Pick<DnsRecordDeps, 'config'>,
  actor: Actor,
  input: RecordInput,
  now: number,
  policy: Pick<RecordPolicy, 'expiresAt'>,
): Promise<DnsRecordRow> {
  const values = {
    user_id: actor.effectiveUser.id,
    ...input,
    expires_at: policy.expiresAt(now),
    reminders_sent: '[]',
    status: initialStatus(deps),
    status_message: null,
    change_id: null,
    status_at: now,
    created_at: now,
    updated_at: now,
  } as const;
  const id = await insertDnsRecord(trx, values);
  await audit(trx, actor, 'dns-record.create', id, null, snapshot(values), now);
  return { id, ...values };
}

/**
 * Create a record for the actor's effective user. Enforces the rules, the per-user limit atomically
 * (concurrent creates never exceed it) and DNS consistency. Throws INVALID_INPUT or LIMIT_EXCEEDED.
 */
export async function createDnsRecord(
  deps: DnsRecordDeps,
  actor: Actor,
  body: Record<string, unknown>,
): Promise<DnsRecordRow> {
  const owner = actor.effectiveUser;
  const input = await checkInput(deps.db, body);
  const now = deps.clock.now();
  const policy = await recordPolicy(deps.db, deps.config, owner);
  const limit = policy.limit;
  const row = await inTransaction(deps.db, async (trx) => {
    await lockUserRow(trx, owner.id);
    if (limit !== null && (await countDnsRecords(trx, owner.id)) >= limit) {
      throw new AppError('LIMIT_EXCEEDED', policy.limitMessage());
    }
    const clash = consistencyProblem(
      input,
      await findDnsRecordsAtName(trx, owner.id, input.subdomain),
    );
    if (clash) throw invalid(clash);
    const created = await insertNewRecord(trx, deps, actor, input, now, policy);
    // Last before COMMIT: it locks the one zone-serial row, which every change waits for (MariaDB).
    await markDnsChanged(trx, [{ label: owner.dns_label, name: input.subdomain }], now);
    return created;
  });
  await requestReconcile(deps);
  return row;
}

/**
 * Replace the fields of the owner's record `id` (the id in the URL), reset its expiry and reminders.
 * Throws NOT_FOUND, INVALID_INPUT.
 */
export async function updateDnsRecord(
  deps: DnsRecordDeps,
  actor: Actor,
  id: number,
  body: Record<string, unknown>,
): Promise<DnsRecordRow> {
  const owner = actor.effectiveUser;
  await getDnsRecord(deps, owner, id);
  const input = await checkInput(deps.db, body);
  const now = deps.clock.now();
  const policy = await recordPolicy(deps.db, deps.config, owner);
  const row = await inTransaction(deps.db, async (trx) => {
    await lockUserRow(trx, owner.id);
    const before = await findDnsRecordForUser(trx, owner.id, id);
    if (!before) throw new AppError('NOT_FOUND', 'Sorry, we could not find that DNS record.');
    const others = (await findDnsRecordsAtName(trx, owner.id, input.subdomain)).filter(
      (r) => r.id !== id,
    );
    const clash = consistencyProblem(input, others);
    if (clash) throw invalid(clash);
    const values = {
      ...input,
      expires_at: policy.expiresAt(now),
      reminders_sent: '[]',
      status: initialStatus(deps),
      status_message: null,
      change_id: null,
      status_at: now,
      updated_at: now,
    } as const;
    await updateRow(trx, owner.id, id, values);
    await audit(trx, actor, 'dns-record.update', id, snapshot(before), snapshot(values), now);
    await markDnsChanged(
      trx,
      [
        { label: owner.dns_label, name: before.subdomain },
        { label: owner.dns_label, name: input.subdomain },
      ],
      now,
    ); // last: see create
    return { ...before, ...values };
  });
  await requestReconcile(deps);
  return row;
}

/** Push the owner's record expiry to now + lifetime and re-arm reminders. Throws NOT_FOUND. */
export async function renewDnsRecord(
  deps: DnsRecordDeps,
  actor: Actor,
  id: number,
): Promise<DnsRecordRow> {
  const owner = actor.effectiveUser;
  const now = deps.clock.now();
  const policy = await recordPolicy(deps.db, deps.config, owner);
  return inTransaction(deps.db, async (trx) => {
    const before = await findDnsRecordForUser(trx, owner.id, id);
    if (!before) throw new AppError('NOT_FOUND', 'Sorry, we could not find that DNS record.');
    const expires_at = policy.expiresAt(now);
    await updateRow(trx, owner.id, id, { expires_at, reminders_sent: '[]', updated_at: now });
    await audit(
      trx,
      actor,
      'dns-record.renew',
      id,
      JSON.stringify({ expires_at: before.expires_at }),
      JSON.stringify({ expires_at }),
      now,
    );
    return { ...before, expires_at, reminders_sent: '[]', updated_at: now };
  });
}

/** Delete the owner's record; the DNS name disappears at the provider shortly after. Throws NOT_FOUND. */
export async function deleteDnsRecord(
  deps: DnsRecordDeps,
  actor: Actor,
  id: number,
): Promise<DnsRecordRow> {
  const owner = actor.effectiveUser;
  const now = deps.clock.now();
  const before = await inTransaction(deps.db, async (trx) => {
    const row = await findDnsRecordForUser(trx, owner.id, id);
    if (!row) throw new AppError('NOT_FOUND', 'Sorry, we could not find that DNS record.');
    await deleteRow(trx, owner.id, id);
    await audit(trx, actor, 'dns-record.delete', id, snapshot(row), null, now);
    await markDnsChanged(trx, [{ label: owner.dns_label, name: row.subdomain }], now); // last: see create
    return row;
  });
  await requestReconcile(deps);
  return before;
}

export type { RecordForm, RecordType, FieldErrors };
