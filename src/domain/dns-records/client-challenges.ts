/**
 * ACME challenge values written by a user's own client (certbot, lego, Caddy, cert-manager…) through a
 * token: the API, acme-dns and DNS UPDATE. They are TXT values at `_acme-challenge.{label}.{root}` (for
 * the user's own name and its wildcard) or `_acme-challenge.{subdomain}.{label}.{root}`, published in
 * the same record set as the service's own challenge values, never counted toward the record limit,
 * and withdrawn on their own CLIENT_CHALLENGE_LIFETIME_S after they were written if the client does
 * not remove them.
 */
import type { Transaction } from 'kysely';
import type { Config } from '../../config.js';
import type { Db } from '../../db/client.js';
import { inTransaction } from '../../db/group-commit.js';
import { insertAuditLog } from '../../db/repos/audit-log.js';
import { lockUserRow } from '../../db/repos/dns-records.js';
import type { Database, User } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { Clock } from '../../ports/clock.js';
import type { JobQueue } from '../../ports/job-queue.js';
import { markDnsChanged, requestReconcile } from '../reconciler/request.js';
import { type Actor, actorColumns } from './audit.js';
import { nameProblem } from './rules.js';
import { ACME_CHALLENGE_LABEL } from './types.js';

export interface ClientChallengeDeps {
  db: Db;
  config: Pick<Config, 'rootDomain' | 'dns'>;
  clock: Clock;
  queue: JobQueue;
  logger?: Logger;
}

/** Values one name may carry from clients at once (a name and its wildcard need two; renewals overlap). */
export const MAX_CLIENT_CHALLENGES_PER_NAME = 8;
export const CHALLENGE_VALUE_MAX = 255;

/** True for `_acme-challenge` and `_acme-challenge.{subdomain}` (names relative to the user's domain). */
export const isChallengeName = (rel: string) =>
  rel === ACME_CHALLENGE_LABEL || rel.startsWith(`${ACME_CHALLENGE_LABEL}.`);

/** Why `rel` is not a challenge name a client may write, or null. */
export function challengeNameProblem(rel: string): string | null {
  if (rel === ACME_CHALLENGE_LABEL) return null;
  if (!rel.startsWith(`${ACME_CHALLENGE_LABEL}.`))
    return `ACME challenge values go at ${ACME_CHALLENGE_LABEL} or ${ACME_CHALLENGE_LABEL}.<name>.`;
  const sub = rel.slice(ACME_CHALLENGE_LABEL.length + 1);
  // The name the certificate is for: the same rules as a record's name (no blocked or reserved names).
  const problem = nameProblem(sub);
  return problem ? `${ACME_CHALLENGE_LABEL}.${sub}: ${problem}` : null;
}

/** Why a challenge value is not acceptable, or null: one DNS text string of printable ASCII. */
export function challengeValueProblem(value: string): string | null {
  if (value.length === 0) return 'The challenge value is empty.';
  if (value.length > CHALLENGE_VALUE_MAX)
    return `A challenge value is at most ${CHALLENGE_VALUE_MAX} characters.`;
  if (!/^[\x20-\x7e]+$/.test(value))
    return 'A challenge value is printable ASCII text (an ACME key authorization digest).';
  return null;
}

const fqdn = (rel: string, owner: Pick<User, 'dns_label'>, root: string) =>
  `${rel}.${owner.dns_label}.${root}`;

function check(rel: string, value: string | null): void {
  const fields: Record<string, string> = {};
  const n = challengeNameProblem(rel);
  if (n) fields.name = n;
  const v = value === null ? null : challengeValueProblem(value);
  if (v) fields.value = v;
  if (n || v) throw new AppError('INVALID_INPUT', n ?? v!, fields);
}

async function auditChallenge(
  db: Parameters<typeof insertAuditLog>[0],
  actor: Actor,
  action: 'acme-challenge.add' | 'acme-challenge.remove',
  name: string,
  values: string[],
  now: number,
) {
  await insertAuditLog(db, {
    ...actorColumns(actor),
    at: now,
    action,
    target_type: 'acme_challenge',
    target_id: name.slice(0, 64),
    before_json: action === 'acme-challenge.remove' ? JSON.stringify({ name, values }) : null,
    after_json: action === 'acme-challenge.add' ? JSON.stringify({ name, values }) : null,
  });
}

export interface AddChallengeOptions {
  /**
   * Keep only this many of the clients' values at the name, newest first, the new one included
   * (acme-dns keeps 2, so a name and its wildcard validate together). Default: keep all, up to
   * MAX_CLIENT_CHALLENGES_PER_NAME.
   */
  keepLatest?: number;
}

/**
 * Publish `value` at the challenge name `rel` (relative to the owner's domain) for the actor's
 * effective user. An existing identical value gets a fresh expiry and no DNS change. Throws
 * INVALID_INPUT, LIMIT_EXCEEDED (too many values at the name).
 */
export async function addClientChallenge(
  deps: ClientChallengeDeps,
  actor: Actor,
  rel: string,
  value: string,
  opts: AddChallengeOptions = {},
): Promise<{ name: string; changed: boolean }> {
  check(rel, value);
  const result = await inTransaction(deps.db, (trx) =>
    addClientChallengeIn(trx, deps, actor, rel, value, opts),
  );
  if (result.changed) await requestReconcile(deps);
  return result;
}

/**
 * addClientChallenge inside the caller's transaction `trx` (DNS UPDATE applies a whole message in
 * one): the same checks and writes, without the reconcile request, which the caller makes after its
 * commit when `changed`.
 */
export async function addClientChallengeIn(
  trx: Transaction<Database>,
  deps: Pick<ClientChallengeDeps, 'config' | 'clock'>,
  actor: Actor,
  rel: string,
  value: string,
  opts: AddChallengeOptions = {},
): Promise<{ name: string; changed: boolean }> {
  const owner = actor.effectiveUser;
  check(rel, value);
  const name = fqdn(rel, owner, deps.config.rootDomain);
  const now = deps.clock.now();
  const expires = now + deps.config.dns.clientChallengeLifetimeMs;
  await lockUserRow(trx, owner.id);
  const existing = await trx
    .selectFrom('acme_challenges')
    .select(['id', 'value', 'created_at'])
    .where('user_id', '=', owner.id)
    .where('name', '=', name)
    .where('certificate_id', 'is', null)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  const same = existing.find((e) => e.value === value);
  if (same) {
    await trx
      .updateTable('acme_challenges')
      .set({ expires_at: expires })
      .where('id', '=', same.id)
      .execute();
    return { name, changed: false };
  }
  const keep = Math.max(0, (opts.keepLatest ?? MAX_CLIENT_CHALLENGES_PER_NAME) - 1);
  const dropped = existing.slice(keep);
  if (opts.keepLatest === undefined && dropped.length > 0)
    throw new AppError(
      'LIMIT_EXCEEDED',
      `${name} already has ${MAX_CLIENT_CHALLENGES_PER_NAME} challenge values from your clients; remove one first (or wait: they expire on their own).`,
    );
  if (dropped.length > 0)
    await trx
      .deleteFrom('acme_challenges')
      .where(
        'id',
        'in',
        dropped.map((d) => d.id),
      )
      .execute();
  await trx
    .insertInto('acme_challenges')
    .values({
      certificate_id: null,
      user_id: owner.id,
      token_id: actor.tokenId ?? null,
      name,
      value,
      created_at: now,
      expires_at: expires,
      status: deps.config.dns.provider === 'embedded' ? 'live' : 'pending',
      status_message: null,
      change_id: null,
      status_at: now,
    })
    .execute();
  await markDnsChanged(trx, [{ label: owner.dns_label, name: rel }], now);
  await auditChallenge(trx, actor, 'acme-challenge.add', name, [value], now);
  return { name, changed: true };
}

/**
 * Withdraw the clients' values at `rel` (one value, or all with `value` null); the service's own
 * values are never touched. Returns how many were removed (0 is not an error: removal is idempotent).
 */
export async function removeClientChallenges(
  deps: ClientChallengeDeps,
  actor: Actor,
  rel: string,
  value: string | null,
): Promise<number> {
  const removed = await inTransaction(deps.db, (trx) =>
    removeClientChallengesIn(trx, deps, actor, rel, value),
  );
  if (removed > 0) await requestReconcile(deps);
  return removed;
}

/**
 * removeClientChallenges inside the caller's transaction `trx`, without the reconcile request (the
 * caller makes it after its commit when something was removed).
 */
export async function removeClientChallengesIn(
  trx: Transaction<Database>,
  deps: Pick<ClientChallengeDeps, 'config' | 'clock'>,
  actor: Actor,
  rel: string,
  value: string | null,
): Promise<number> {
  const owner = actor.effectiveUser;
  check(rel, value);
  const name = fqdn(rel, owner, deps.config.rootDomain);
  const now = deps.clock.now();
  let q = trx
    .selectFrom('acme_challenges')
    .select(['id', 'value'])
    .where('user_id', '=', owner.id)
    .where('name', '=', name)
    .where('certificate_id', 'is', null);
  if (value !== null) q = q.where('value', '=', value);
  const rows = await q.execute();
  if (rows.length === 0) return 0;
  await trx
    .deleteFrom('acme_challenges')
    .where(
      'id',
      'in',
      rows.map((r) => r.id),
    )
    .execute();
  await markDnsChanged(trx, [{ label: owner.dns_label, name: rel }], now);
  await auditChallenge(
    trx,
    actor,
    'acme-challenge.remove',
    name,
    rows.map((r) => r.value),
    now,
  );
  return rows.length;
}

export interface ClientChallengeView {
  id: number;
  /** Relative to the owner's domain: `_acme-challenge` or `_acme-challenge.www`. */
  name: string;
  fqdn: string;
  value: string;
  createdAt: number;
  expiresAt: number;
  tokenId: number | null;
  status: 'pending' | 'live' | 'error';
}

/** The clients' challenge values in the owner's namespace, by name then age. */
export async function listClientChallenges(
  deps: Pick<ClientChallengeDeps, 'db' | 'config'>,
  owner: Pick<User, 'id' | 'dns_label'>,
): Promise<ClientChallengeView[]> {
  const rows = await deps.db
    .selectFrom('acme_challenges')
    .select(['id', 'name', 'value', 'created_at', 'expires_at', 'token_id', 'status'])
    .where('user_id', '=', owner.id)
    .where('certificate_id', 'is', null)
    .orderBy('name')
    .orderBy('created_at')
    .limit(500)
    .execute();
  const suffix = `.${owner.dns_label}.${deps.config.rootDomain}`;
  return rows.map((r) => ({
    id: Number(r.id),
    name: r.name.endsWith(suffix) ? r.name.slice(0, -suffix.length) : r.name,
    fqdn: r.name,
    value: r.value,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    tokenId: r.token_id === null ? null : Number(r.token_id),
    status: r.status,
  }));
}

/**
 * Withdraw every client-written value whose time is up (run every minute by a job). Returns how many
 * were removed. Safe to run on several workers at once.
 */
export async function expireClientChallenges(
  deps: Pick<ClientChallengeDeps, 'db' | 'clock' | 'queue' | 'logger' | 'config'>,
): Promise<number> {
  const now = deps.clock.now();
  const due = await deps.db
    .selectFrom('acme_challenges as a')
    .innerJoin('users as u', 'u.id', 'a.user_id')
    .select(['a.id', 'a.name', 'u.dns_label'])
    .where('a.certificate_id', 'is', null)
    .where('a.expires_at', '<=', now)
    .limit(1000)
    .execute();
  if (due.length === 0) return 0;
  const root = deps.config.rootDomain;
  const removed = await inTransaction(deps.db, async (trx) => {
    const res = await trx
      .deleteFrom('acme_challenges')
      .where(
        'id',
        'in',
        due.map((d) => d.id),
      )
      .where('expires_at', '<=', now)
      .executeTakeFirst();
    const n = Number(res.numDeletedRows);
    if (n > 0)
      await markDnsChanged(
        trx,
        due.map((d) => ({
          label: d.dns_label,
          name: d.name.slice(0, -`.${d.dns_label}.${root}`.length),
        })),
        now,
      );
    return n;
  });
  if (removed > 0) await requestReconcile(deps);
  return removed;
}
