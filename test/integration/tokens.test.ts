/**
 * Personal access tokens and client-written ACME challenge values, on both dialects: creation rules,
 * authentication (hash only stored, expiry, revocation, suspension, address ranges), TSIG key lookup,
 * audit rows without secrets; challenge values coexist with the service's own, never count toward the
 * record limit, keep the newest N when asked, and expire on their own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addClientChallenge,
  expireClientChallenges,
  listClientChallenges,
  removeClientChallenges,
} from '../../src/domain/dns-records/client-challenges.js';
import type { Actor } from '../../src/domain/dns-records/dns-records.js';
import { loadDesiredState } from '../../src/domain/reconciler/desired-state.js';
import { recordProblem } from '../../src/domain/tokens/scope.js';
import {
  TokenRefused,
  authenticateToken,
  createToken,
  findTsigKey,
  listTokens,
  revokeToken,
} from '../../src/domain/tokens/tokens.js';
import { AppError } from '../../src/errors.js';
import type { JobQueue } from '../../src/ports/job-queue.js';
import { DIALECTS, type TestDb, createTestDb } from '../support/db.js';
import { insertChallenge } from '../support/dns.js';
import { insertUser } from '../support/factories.js';

const ROOT = 'starchart.test';
const DAY = 86_400_000;

describe.each(DIALECTS)('tokens on %s', (dialect) => {
  let db: TestDb;
  let now = Date.UTC(2027, 0, 1);
  const clock = { now: () => now };
  const enqueued: string[] = [];
  const queue = {
    enqueue: async (name: string) => {
      enqueued.push(name);
    },
  } as unknown as JobQueue;
  const config = {
    rootDomain: ROOT,
    tokens: { maxDays: 365 },
    sessionSecret: 'x'.repeat(40),
    previousSessionSecrets: [],
    dns: { provider: 'embedded', clientChallengeLifetimeMs: 3_600_000, recordLimit: 2 },
  } as never;
  const deps = () => ({ db: db.db, clock, config, queue });
  const actorOf = async (): Promise<Actor> => {
    const u = await insertUser(db.db);
    return { user: u, effectiveUser: u, requestId: 'r1' };
  };
  const input = (over: Record<string, unknown> = {}) => ({
    name: 'laptop',
    expiresInDays: 30,
    permissions: ['records:write'],
    names: ['laptop', '_acme-challenge'],
    types: [],
    subnets: ['192.0.2.0/24', '2001:db8::/32'],
    ...over,
  });

  beforeAll(async () => {
    db = await createTestDb(dialect);
  });
  afterAll(async () => db.cleanup());

  it('shows the secret once, stores only its hash, and authenticates within scope', async () => {
    const actor = await actorOf();
    const created = await createToken(deps(), actor, input());
    expect(created.secret).toMatch(/^stc_[a-z2-7]{12}[A-Za-z0-9_-]{43}$/);
    const row = await db.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('id', '=', created.token.id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(created.secret.slice(16));
    expect(JSON.stringify(row)).not.toContain(created.tsig.secret);
    const audit = await db.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'token.create')
      .where('effective_user_id', '=', actor.user.id)
      .execute();
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain(created.secret.slice(16));

    const auth = await authenticateToken(deps(), created.secret, '192.0.2.7');
    expect(auth.user.id).toBe(actor.user.id);
    expect(auth.actor.tokenId).toBe(created.token.id);
    expect(recordProblem(auth.scope, 'records:write', 'laptop', 'A')).toBeNull();
    expect(recordProblem(auth.scope, 'records:write', 'www', 'A')).toMatch(/limited to the names/);
    const used = await listTokens(deps(), actor.user);
    expect(used[0]!.last_used_ip).toBe('192.0.2.7');

    // A mapped IPv4 address counts as IPv4; outside the ranges is FORBIDDEN.
    await expect(
      authenticateToken(deps(), created.secret, '::ffff:192.0.2.9'),
    ).resolves.toBeTruthy();
    await expect(authenticateToken(deps(), created.secret, '198.51.100.1')).rejects.toMatchObject({
      reason: 'address',
      status: 403,
    });
    // A wrong secret with the right id, a malformed token, an unknown id: 401.
    const wrong = created.secret.slice(0, -1) + (created.secret.endsWith('A') ? 'B' : 'A');
    for (const [t, reason] of [
      [wrong, 'bad-secret'],
      ['stc_short', 'malformed'],
      [`stc_aaaaaaaaaaaa${'A'.repeat(43)}`, 'unknown'],
    ] as const)
      await expect(authenticateToken(deps(), t, '192.0.2.7')).rejects.toMatchObject({
        reason,
        status: 401,
      });
  });

  it('refuses bad input with field errors, while impersonating, and past the lifetime limit', async () => {
    const actor = await actorOf();
    const err = await createToken(
      deps(),
      actor,
      input({
        name: '',
        expiresInDays: 400,
        permissions: ['admin'],
        names: ['a.b.c'],
        subnets: ['10.0.0.0/33'],
      }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(Object.keys((err as AppError).fields).sort()).toEqual(
      ['expiresInDays', 'name', 'names', 'permissions', 'subnets'].sort(),
    );
    const admin = await insertUser(db.db, { role: 'admin' });
    await expect(createToken(deps(), { ...actor, user: admin }, input())).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
  });

  it('stops working at expiry, revocation and suspension; the TSIG key follows', async () => {
    const actor = await actorOf();
    const a = await createToken(deps(), actor, input({ subnets: [] }));
    const b = await createToken(deps(), actor, input({ subnets: [], expiresInDays: 1 }));
    const c = await createToken(deps(), actor, input({ subnets: [] }));
    const key = await findTsigKey(deps(), a.tsig.keyName);
    expect(key?.secret.toString('base64')).toBe(a.tsig.secret);
    expect(await findTsigKey(deps(), 'nonexistent.tsig')).toBeNull();

    now += DAY + 1;
    await expect(authenticateToken(deps(), b.secret, '10.0.0.1')).rejects.toMatchObject({
      reason: 'expired',
    });
    expect(await findTsigKey(deps(), b.tsig.keyName)).toBeNull();

    await revokeToken(deps(), actor, actor.user, a.token.id);
    await expect(authenticateToken(deps(), a.secret, '10.0.0.1')).rejects.toBeInstanceOf(
      TokenRefused,
    );
    expect(await findTsigKey(deps(), a.tsig.keyName)).toBeNull();

    await authenticateToken(deps(), c.secret, '10.0.0.1');
    await db.db
      .updateTable('users')
      .set({ suspended_at: now })
      .where('id', '=', actor.user.id)
      .execute();
    await expect(authenticateToken(deps(), c.secret, '10.0.0.1')).rejects.toMatchObject({
      reason: 'suspended',
    });
    const states = (await listTokens(deps(), actor.user)).map((t) => t.state).sort();
    expect(states).toEqual(['active', 'expired', 'revoked']);
  });

  it('client challenge values join the service value, keep the newest N, and expire', async () => {
    const actor = await actorOf();
    const label = actor.user.dns_label;
    await insertChallenge(db.db, actor.user, 'service-value', ROOT);
    await addClientChallenge(deps(), actor, '_acme-challenge', 'one', { keepLatest: 2 });
    now += 1;
    await addClientChallenge(deps(), actor, '_acme-challenge', 'two', { keepLatest: 2 });
    now += 1;
    await addClientChallenge(deps(), actor, '_acme-challenge', 'three', { keepLatest: 2 });
    await addClientChallenge(deps(), actor, '_acme-challenge.www', 'w1');
    const sets = await loadDesiredState(db.db, ROOT, [label]);
    expect(sets.get(`_acme-challenge.${label}.${ROOT}|TXT`)?.values.sort()).toEqual(
      ['service-value', 'three', 'two'].sort(),
    );
    expect(sets.get(`_acme-challenge.www.${label}.${ROOT}|TXT`)?.values).toEqual(['w1']);
    expect((await listClientChallenges(deps(), actor.user)).map((c) => c.name)).toEqual([
      '_acme-challenge',
      '_acme-challenge',
      '_acme-challenge.www',
    ]);

    await expect(
      addClientChallenge(deps(), actor, '_acme-challenge.a.b', 'x'),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(addClientChallenge(deps(), actor, 'www', 'x')).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });

    expect(await removeClientChallenges(deps(), actor, '_acme-challenge', 'two')).toBe(1);
    now += 3_600_000;
    expect(await expireClientChallenges(deps())).toBe(2);
    const after = await loadDesiredState(db.db, ROOT, [label]);
    expect(after.get(`_acme-challenge.${label}.${ROOT}|TXT`)?.values).toEqual(['service-value']);
    expect(after.has(`_acme-challenge.www.${label}.${ROOT}|TXT`)).toBe(false);
  });
});
