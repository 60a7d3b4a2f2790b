import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSession,
  resolveSession,
  signValue,
  unsignValue,
} from '../../src/domain/sessions/sessions.js';
import { DIALECTS, type TestDb, createTestDb } from '../support/db.js';
import { insertUser } from '../support/factories.js';

const policy = {
  secret: 'x'.repeat(40),
  idleTimeoutMs: 60 * 60_000,
  absoluteTimeoutMs: 24 * 3_600_000,
};

describe('signed values', () => {
  it('round-trips and rejects tampering', () => {
    const s = signValue(policy.secret, 'abc');
    expect(unsignValue(policy.secret, s)).toBe('abc');
    expect(unsignValue(policy.secret, s.replace('abc', 'abd'))).toBeNull();
    expect(unsignValue('y'.repeat(40), s)).toBeNull();
    expect(unsignValue(policy.secret, 'abc')).toBeNull();
    expect(unsignValue(policy.secret, undefined)).toBeNull();
  });
});

describe.each(DIALECTS)('sessions on %s', (dialect) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb(dialect);
  });
  afterAll(async () => db.cleanup());

  it('creates a session whose cookie resolves to the user; the row stores only a hash', async () => {
    const user = await insertUser(db.db);
    const now = Date.now();
    const s = await createSession(db.db, policy, user.id, now);
    const active = await resolveSession(db.db, policy, s.cookie, now + 1000);
    expect(active?.user.id).toBe(user.id);
    expect(active?.effectiveUser.id).toBe(user.id);
    expect(active?.csrfToken).toBe(s.csrfToken);
    const token = s.cookie.split('.')[0]!;
    const rows = await db.db.selectFrom('sessions').selectAll().execute();
    expect(rows.some((r) => r.id === token)).toBe(false);
  });

  it('expires after the idle timeout and after the absolute timeout', async () => {
    const user = await insertUser(db.db);
    const now = Date.now();
    const idle = await createSession(db.db, policy, user.id, now);
    expect(
      await resolveSession(db.db, policy, idle.cookie, now + policy.idleTimeoutMs + 1),
    ).toBeNull();

    const busy = await createSession(db.db, policy, user.id, now);
    // Keep it active every 50 minutes: idle never hits, but the absolute limit does.
    let t = now;
    while (t + 50 * 60_000 < now + policy.absoluteTimeoutMs) {
      t += 50 * 60_000;
      expect(await resolveSession(db.db, policy, busy.cookie, t)).not.toBeNull();
    }
    expect(
      await resolveSession(db.db, policy, busy.cookie, now + policy.absoluteTimeoutMs + 1),
    ).toBeNull();
  });

  it('refuses a suspended user and a forged cookie', async () => {
    const user = await insertUser(db.db, { suspended_at: Date.now() });
    const s = await createSession(db.db, policy, user.id, Date.now());
    expect(await resolveSession(db.db, policy, s.cookie, Date.now())).toBeNull();
    expect(await resolveSession(db.db, policy, 'forged.value', Date.now())).toBeNull();
  });
});
