import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessQueue } from '../../src/adapters/queue/in-process.js';
import { loadConfig } from '../../src/config.js';
import { deleteUser } from '../../src/domain/admin/users.js';
import { buildRegistry } from '../../src/jobs/registry.js';
import { systemClock } from '../../src/ports/clock.js';
import { DIALECTS, type TestDb, createTestDb, silentLogger } from '../support/db.js';
import { insertUser } from '../support/factories.js';

describe.each(DIALECTS)('deleting a user on %s', (dialect) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb(dialect);
  });
  afterAll(async () => db.cleanup());

  it('revokes their issued certificate at the CA, deletes it, and records the outcome', async () => {
    const admin = await insertUser(db.db, { role: 'admin' });
    const user = await insertUser(db.db);
    const now = Date.now();
    await db.db
      .insertInto('certificates')
      .values({
        user_id: user.id,
        domain: `${user.dns_label}.starchart.test`,
        status: 'issued',
        order_url: null,
        private_key_enc: null,
        certificate: 'PEM-ISSUED',
        chain: null,
        valid_from: now,
        valid_to: now + 86_400_000,
        error: null,
        next_attempt_at: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await db.db
      .insertInto('certificates')
      .values({
        user_id: user.id,
        domain: `${user.dns_label}.starchart.test`,
        status: 'failed',
        order_url: null,
        private_key_enc: null,
        certificate: null,
        chain: null,
        valid_from: null,
        valid_to: null,
        error: 'x',
        next_attempt_at: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const revoked: string[] = [];
    const queue = new InProcessQueue(buildRegistry(), silentLogger);
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: '/tmp/starchart-admin-delete' });
    await deleteUser(
      {
        db: db.db,
        config,
        clock: systemClock,
        queue,
        logger: silentLogger,
        ca: { revokeCertificate: async (pem) => void revoked.push(pem) },
      },
      { user: admin, requestId: 'req-1' },
      user.id,
    );
    await queue.close(100);
    expect(revoked).toEqual(['PEM-ISSUED']);
    expect(
      await db.db.selectFrom('certificates').select('id').where('user_id', '=', user.id).execute(),
    ).toEqual([]);
    const row = await db.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'admin.user.delete')
      .where('request_id', '=', 'req-1')
      .executeTakeFirstOrThrow();
    expect(row.before_json).toContain('"revocation":"revoked"');
  });
});
