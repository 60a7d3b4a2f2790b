/** Queries for personal access tokens (rules live in domain/tokens). */
import type { Insertable } from 'kysely';
import type { Db } from '../client.js';
import { preparedQuery } from '../prepared.js';
import type { ApiTokenRow, ApiTokensTable, User } from '../schema.js';
import type { DbOrTrx } from './dns-records.js';

const num = (v: number | null) => (v === null ? null : Number(v));

function normalise(r: ApiTokenRow): ApiTokenRow {
  return {
    ...r,
    id: Number(r.id),
    user_id: Number(r.user_id),
    created_at: Number(r.created_at),
    expires_at: Number(r.expires_at),
    revoked_at: num(r.revoked_at),
    revoked_by_user_id: num(r.revoked_by_user_id),
    last_used_at: num(r.last_used_at),
  };
}

export async function insertToken(
  db: DbOrTrx,
  values: Omit<Insertable<ApiTokensTable>, 'id'>,
): Promise<number> {
  const res = await db.insertInto('api_tokens').values(values).executeTakeFirstOrThrow();
  return Number(res.insertId);
}

// Prepared: every API request, dyndns2 update and DNS UPDATE looks its token up.
const byPublicId = preparedQuery((db, publicId: string) =>
  db
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .selectAll('t')
    .select([
      'u.username as u_username',
      'u.dns_label as u_dns_label',
      'u.display_name as u_display_name',
      'u.email as u_email',
      'u.groups as u_groups',
      'u.role as u_role',
      'u.kind as u_kind',
      'u.suspended_at as u_suspended_at',
      'u.created_at as u_created_at',
      'u.updated_at as u_updated_at',
      'u.last_login_at as u_last_login_at',
    ])
    .where('t.public_id', '=', publicId),
);

/** A token by its public id with its owner; undefined when there is none. */
export async function findTokenWithUser(
  db: Db,
  publicId: string,
): Promise<{ token: ApiTokenRow; user: User } | undefined> {
  const [r] = await byPublicId(db, publicId);
  if (!r) return undefined;
  const {
    u_username,
    u_dns_label,
    u_display_name,
    u_email,
    u_groups,
    u_role,
    u_kind,
    u_suspended_at,
    u_created_at,
    u_updated_at,
    u_last_login_at,
    ...token
  } = r;
  const t = normalise(token);
  return {
    token: t,
    user: {
      id: t.user_id,
      username: u_username,
      dns_label: u_dns_label,
      display_name: u_display_name,
      email: u_email,
      groups: u_groups,
      role: u_role,
      kind: u_kind,
      suspended_at: num(u_suspended_at),
      created_at: Number(u_created_at),
      updated_at: Number(u_updated_at),
      last_login_at: num(u_last_login_at),
    },
  };
}

/** The user's tokens, newest first (revoked and expired ones included). */
export async function findTokensForUser(db: Db, userId: number): Promise<ApiTokenRow[]> {
  const rows = await db
    .selectFrom('api_tokens')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(normalise);
}

export async function findTokenForUser(
  db: DbOrTrx,
  userId: number,
  id: number,
): Promise<ApiTokenRow | undefined> {
  const r = await db
    .selectFrom('api_tokens')
    .selectAll()
    .where('user_id', '=', userId)
    .where('id', '=', id)
    .executeTakeFirst();
  return r ? normalise(r) : undefined;
}

export async function countActiveTokens(db: DbOrTrx, userId: number, now: number): Promise<number> {
  const r = await db
    .selectFrom('api_tokens')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

export async function updateTokenRevoked(
  db: DbOrTrx,
  id: number,
  now: number,
  byUserId: number,
): Promise<void> {
  await db
    .updateTable('api_tokens')
    .set({ revoked_at: now, revoked_by_user_id: byUserId })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();
}

const touch = preparedQuery((db, id: number, at: number, ip: string) =>
  db.updateTable('api_tokens').set({ last_used_at: at, last_used_ip: ip }).where('id', '=', id),
);

export async function updateTokenLastUsed(db: Db, id: number, at: number, ip: string) {
  await touch(db, id, at, ip);
}
