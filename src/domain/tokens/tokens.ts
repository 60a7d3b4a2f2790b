/**
 * Personal access tokens: created on the Tokens page, used by the REST API, dyndns2, acme-dns and DNS
 * UPDATE (TSIG). A token is `stc_` + a public id (12 base32 characters, also names the TSIG key) + a
 * secret (43 base64url characters). Only SHA-256 of the secret is stored and compared in constant time;
 * the TSIG key, which a server needs in clear to check an HMAC, is a separate random key sealed with the
 * key ring. Tokens act only as their owner: never as an admin, never impersonating.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Config } from '../../config.js';
import type { Db } from '../../db/client.js';
import { inTransaction } from '../../db/group-commit.js';
import { insertAuditLog } from '../../db/repos/audit-log.js';
import {
  countActiveTokens,
  findTokenForUser,
  findTokenWithUser,
  findTokensForUser,
  insertToken,
  updateTokenLastUsed,
  updateTokenRevoked,
} from '../../db/repos/tokens.js';
import { lockUserRow } from '../../db/repos/dns-records.js';
import type { ApiTokenRow, User } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import type { Clock } from '../../ports/clock.js';
import {
  isSealedWithCurrentKey,
  keyRingOf,
  openSecret,
  sealSecret,
} from '../certificates/key-box.js';
import type { Actor } from '../dns-records/dns-records.js';
import {
  type ScopeInput,
  type TokenScope,
  addressAllowed,
  checkScope,
  plainAddress,
} from './scope.js';

export interface TokenDeps {
  db: Db;
  config: Pick<Config, 'tokens' | 'sessionSecret' | 'previousSessionSecrets' | 'rootDomain'>;
  clock: Clock;
}

export const TOKEN_PREFIX = 'stc_';
const PUBLIC_ID = /^[a-z2-7]{12}$/;
const TOKEN = /^stc_([a-z2-7]{12})([A-Za-z0-9_-]{43})$/;
/** Active (unrevoked, unexpired) tokens a user may hold at once. */
export const MAX_ACTIVE_TOKENS = 50;
export const TOKEN_NAME_MAX = 100;
/** Last use is written at most this often per token (and whenever the address changes). */
const LAST_USED_WRITE_MS = 60_000;
const DAY_MS = 86_400_000;
export const TSIG_ALGORITHM = 'hmac-sha256';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
function newPublicId(): string {
  return [...randomBytes(12)].map((b) => BASE32[b & 31]).join('');
}

const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** The TSIG key name of a token (lower-case, without the trailing dot). */
export const tsigKeyName = (publicId: string) => `${publicId}.tsig`;
const tsigContext = (publicId: string) => `api-token-tsig:${publicId}`;

/** A token row with its narrowing parsed. */
export interface TokenView extends ApiTokenRow {
  scope: TokenScope;
  state: 'active' | 'expired' | 'revoked';
}

const parseList = <T>(raw: string | null): T[] | null =>
  raw === null ? null : (JSON.parse(raw) as T[]);

export function scopeOf(row: ApiTokenRow): TokenScope {
  return {
    permissions: parseList(row.permissions) ?? [],
    names: parseList(row.names),
    types: parseList(row.types),
    subnets: parseList(row.subnets),
  };
}

function view(row: ApiTokenRow, now: number): TokenView {
  return {
    ...row,
    scope: scopeOf(row),
    state: row.revoked_at !== null ? 'revoked' : row.expires_at <= now ? 'expired' : 'active',
  };
}

export interface NewTokenInput extends ScopeInput {
  name: string;
  /** Whole days until expiry (the form and API send a number or a numeric string). */
  expiresInDays: string | number;
}

/** What the owner sees once: the bearer token and the TSIG key. */
export interface CreatedToken {
  token: TokenView;
  secret: string;
  tsig: { keyName: string; secret: string; algorithm: typeof TSIG_ALGORITHM };
}

export type TokenField = 'name' | 'expiresInDays' | 'permissions' | 'names' | 'types' | 'subnets';

/**
 * Create a token for the actor's own account. Refused while impersonating (an admin must not mint a
 * credential that outlives the impersonation). Throws INVALID_INPUT with field errors, FORBIDDEN,
 * LIMIT_EXCEEDED (MAX_ACTIVE_TOKENS).
 */
export async function createToken(
  deps: TokenDeps,
  actor: Actor,
  input: NewTokenInput,
): Promise<CreatedToken> {
  if (actor.user.id !== actor.effectiveUser.id)
    throw new AppError(
      'FORBIDDEN',
      'Tokens cannot be created while impersonating: ask the user to create one.',
    );
  const owner = actor.effectiveUser;
  const errors: Partial<Record<TokenField, string>> = {};
  const name = String(input.name ?? '').trim();
  if (name === '') errors.name = 'Give the token a name, such as "laptop ddclient".';
  else if (name.length > TOKEN_NAME_MAX)
    errors.name = `Use at most ${TOKEN_NAME_MAX} characters for the name.`;
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  else if (/[\u0000-\u001f\u007f]/.test(name)) errors.name = 'The name has control characters.';
  const maxDays = deps.config.tokens.maxDays;
  const daysRaw = String(input.expiresInDays ?? '').trim();
  const days = /^\d{1,5}$/.test(daysRaw) ? Number(daysRaw) : NaN;
  if (daysRaw === '') errors.expiresInDays = 'Choose when the token expires.';
  else if (!Number.isInteger(days) || days < 1 || days > maxDays)
    errors.expiresInDays = `Choose a whole number of days from 1 to ${maxDays}.`;
  const scoped = checkScope(input);
  if (!scoped.ok) Object.assign(errors, scoped.errors);
  if (Object.keys(errors).length > 0 || !scoped.ok)
    throw new AppError('INVALID_INPUT', 'Please correct the highlighted fields.', errors);

  const now = deps.clock.now();
  const scope = scoped.scope;
  const publicId = newPublicId();
  const secretPart = randomBytes(32).toString('base64url');
  const tsigSecret = randomBytes(32).toString('base64');
  const ring = keyRingOf(deps.config);
  const values = {
    user_id: owner.id,
    public_id: publicId,
    name,
    secret_hash: hashSecret(secretPart),
    tsig_secret_enc: sealSecret(ring, tsigContext(publicId), tsigSecret),
    permissions: JSON.stringify(scope.permissions),
    names: scope.names ? JSON.stringify(scope.names) : null,
    types: scope.types ? JSON.stringify(scope.types) : null,
    subnets: scope.subnets ? JSON.stringify(scope.subnets) : null,
    created_at: now,
    expires_at: now + days * DAY_MS,
    revoked_at: null,
    revoked_by_user_id: null,
    last_used_at: null,
    last_used_ip: null,
  };
  const id = await inTransaction(deps.db, async (trx) => {
    await lockUserRow(trx, owner.id);
    if ((await countActiveTokens(trx, owner.id, now)) >= MAX_ACTIVE_TOKENS)
      throw new AppError(
        'LIMIT_EXCEEDED',
        `You have ${MAX_ACTIVE_TOKENS} active tokens, the most allowed. Revoke one you no longer use, then try again.`,
      );
    const tokenId = await insertToken(trx, values);
    await insertAuditLog(trx, {
      at: now,
      actor_user_id: actor.user.id,
      actor_username: actor.user.username,
      effective_user_id: owner.id,
      effective_username: owner.username,
      action: 'token.create',
      target_type: 'api_token',
      target_id: String(tokenId),
      request_id: actor.requestId,
      before_json: null,
      after_json: JSON.stringify({
        name,
        public_id: publicId,
        expires_at: values.expires_at,
        ...scope,
      }),
      token_id: null,
    });
    return tokenId;
  });
  return {
    token: view({ id, ...values }, now),
    secret: `${TOKEN_PREFIX}${publicId}${secretPart}`,
    tsig: { keyName: tsigKeyName(publicId), secret: tsigSecret, algorithm: TSIG_ALGORITHM },
  };
}

/** The owner's tokens, newest first, with their state. */
export async function listTokens(
  deps: Pick<TokenDeps, 'db' | 'clock'>,
  owner: Pick<User, 'id'>,
): Promise<TokenView[]> {
  const now = deps.clock.now();
  return (await findTokensForUser(deps.db, owner.id)).map((r) => view(r, now));
}

/**
 * Revoke token `id` of `owner` (the owner on the Tokens page, or an admin on the user's admin page;
 * the caller has checked the actor may act on `owner`). Revoking a revoked token changes nothing.
 * Throws NOT_FOUND.
 */
export async function revokeToken(
  deps: Pick<TokenDeps, 'db' | 'clock'>,
  actor: Actor,
  owner: User,
  id: number,
): Promise<TokenView> {
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    const row = await findTokenForUser(trx, owner.id, id);
    if (!row) throw new AppError('NOT_FOUND', 'Sorry, we could not find that token.');
    if (row.revoked_at !== null) return view(row, now);
    await updateTokenRevoked(trx, id, now, actor.user.id);
    await insertAuditLog(trx, {
      at: now,
      actor_user_id: actor.user.id,
      actor_username: actor.user.username,
      effective_user_id: owner.id,
      effective_username: owner.username,
      action: 'token.revoke',
      target_type: 'api_token',
      target_id: String(id),
      request_id: actor.requestId,
      before_json: JSON.stringify({ name: row.name, public_id: row.public_id }),
      after_json: JSON.stringify({ revoked_at: now }),
      token_id: null,
    });
    return view({ ...row, revoked_at: now, revoked_by_user_id: actor.user.id }, now);
  });
}

/** Why a presented token was refused: for logs (never the secret); callers answer per protocol. */
export type TokenRefusal =
  'malformed' | 'unknown' | 'bad-secret' | 'revoked' | 'expired' | 'suspended' | 'address';

/** A refused token: UNAUTHORIZED (401) except a disallowed source address, FORBIDDEN (403). */
export class TokenRefused extends AppError {
  constructor(
    readonly reason: TokenRefusal,
    message: string,
  ) {
    super(reason === 'address' ? 'FORBIDDEN' : 'UNAUTHORIZED', message);
  }
}

/** A token that authenticated: who it acts for and what it may do. */
export interface TokenAuth {
  token: ApiTokenRow;
  user: User;
  scope: TokenScope;
  /** The actor for domain calls: the owner, with the token named in audit rows. */
  actor: Actor;
}

const INVALID = 'The access token is not valid.';

function usable(
  deps: Pick<TokenDeps, 'clock'>,
  token: ApiTokenRow,
  user: User,
  address: string | null,
): void {
  if (token.revoked_at !== null) throw new TokenRefused('revoked', 'This token has been revoked.');
  if (token.expires_at <= deps.clock.now())
    throw new TokenRefused(
      'expired',
      'This token has expired. Create a new one on the Tokens page.',
    );
  if (user.suspended_at !== null)
    throw new TokenRefused('suspended', 'The account this token belongs to is suspended.');
  const subnets = scopeOf(token).subnets;
  if (address !== null && subnets && !addressAllowed(subnets, address))
    throw new TokenRefused(
      'address',
      `This token may not be used from ${plainAddress(address)}; it is limited to ${subnets.join(', ')}.`,
    );
}

const authOf = (token: ApiTokenRow, user: User, requestId: string | null): TokenAuth => ({
  token,
  user,
  scope: scopeOf(token),
  actor: { user, effectiveUser: user, requestId, tokenId: token.id },
});

/**
 * Check a presented token (`stc_…`) used from `address`. Returns the owner and scope, and records the
 * last use (at most once a minute per token — `lastUseEveryMs` for protocols that poll, such as
 * dyndns2 — or when the address changes). Throws TokenRefused.
 */
export async function authenticateToken(
  deps: Pick<TokenDeps, 'db' | 'clock'>,
  presented: string,
  address: string,
  requestId: string | null = null,
  opts: { lastUseEveryMs?: number } = {},
): Promise<TokenAuth> {
  const m = TOKEN.exec(presented.trim());
  if (!m) throw new TokenRefused('malformed', INVALID);
  const found = await findTokenWithUser(deps.db, m[1]!);
  const expected = Buffer.from(found?.token.secret_hash ?? '0'.repeat(64), 'hex');
  const actual = Buffer.from(hashSecret(m[2]!), 'hex');
  // Compared even for an unknown id, so the answer takes the same time either way.
  const same = expected.length === actual.length && timingSafeEqual(expected, actual);
  if (!found) throw new TokenRefused('unknown', INVALID);
  if (!same) throw new TokenRefused('bad-secret', INVALID);
  usable(deps, found.token, found.user, address);
  await noteUse(deps, found.token, address, opts.lastUseEveryMs);
  return authOf(found.token, found.user, requestId);
}

async function noteUse(
  deps: Pick<TokenDeps, 'db' | 'clock'>,
  token: ApiTokenRow,
  address: string,
  everyMs = LAST_USED_WRITE_MS,
) {
  const now = deps.clock.now();
  const ip = plainAddress(address);
  if (
    token.last_used_at !== null &&
    now - token.last_used_at < everyMs &&
    token.last_used_ip === ip
  )
    return;
  await updateTokenLastUsed(deps.db, token.id, now, ip.slice(0, 45));
}

/**
 * The TSIG key named `keyName` (lower-case, no trailing dot) with its token, when the token is usable
 * (not revoked or expired, owner not suspended); null otherwise. The source address is checked by
 * checkTokenAddress once known.
 */
export async function findTsigKey(
  deps: TokenDeps,
  keyName: string,
): Promise<(TokenAuth & { secret: Buffer }) | null> {
  const m = /^([a-z2-7]{12})\.tsig$/.exec(keyName);
  if (!m || !PUBLIC_ID.test(m[1]!)) return null;
  const found = await findTokenWithUser(deps.db, m[1]!);
  if (!found) return null;
  try {
    usable(deps, found.token, found.user, null);
  } catch {
    return null;
  }
  const secret = openSecret(
    keyRingOf(deps.config),
    tsigContext(found.token.public_id),
    found.token.tsig_secret_enc,
  );
  if (secret === null) return null;
  return { ...authOf(found.token, found.user, null), secret: Buffer.from(secret, 'base64') };
}

/** Refuse (TokenRefused 'address') a token used from outside its ranges; record the use otherwise. */
export async function checkTokenAddress(
  deps: Pick<TokenDeps, 'db' | 'clock'>,
  auth: TokenAuth,
  address: string,
): Promise<void> {
  usable(deps, auth.token, auth.user, address);
  await noteUse(deps, auth.token, address);
}

/**
 * Re-seal every token's TSIG key with the ring's current key (`npm run keys:rotate`, after a
 * SESSION_SECRET change). Returns the counts and the ids of tokens no key of the ring opens (their
 * TSIG keys stop working; bearer use is unaffected, it never needed the ring). Idempotent.
 */
export async function rotateTsigKeys(
  db: Db,
  ring: ReturnType<typeof keyRingOf>,
): Promise<{ reencrypted: number; alreadyCurrent: number; unreadable: number[] }> {
  const report = { reencrypted: 0, alreadyCurrent: 0, unreadable: [] as number[] };
  const rows = await db
    .selectFrom('api_tokens')
    .select(['id', 'public_id', 'tsig_secret_enc'])
    .where('revoked_at', 'is', null)
    .execute();
  for (const row of rows) {
    if (isSealedWithCurrentKey(ring, row.tsig_secret_enc)) {
      report.alreadyCurrent++;
      continue;
    }
    const context = tsigContext(row.public_id);
    const secret = openSecret(ring, context, row.tsig_secret_enc);
    if (secret === null) {
      report.unreadable.push(Number(row.id));
      continue;
    }
    const res = await db
      .updateTable('api_tokens')
      .set({ tsig_secret_enc: sealSecret(ring, context, secret) })
      .where('id', '=', row.id)
      .where('tsig_secret_enc', '=', row.tsig_secret_enc)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) > 0) report.reencrypted++;
  }
  return report;
}
