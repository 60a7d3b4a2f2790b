import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expireItems } from '../../src/domain/lifecycle/expiry.js';
import { DIALECTS, type TestDb, createTestDb } from '../support/db.js';
import { insertUser } from '../support/factories.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2027, 0, 1);

describe.each(DIALECTS)('expiry on %s', (dialect) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb(dialect);
  });
  afterAll(async () => db.cleanup());
  const deps = (now: number) => ({
    db: db.db,
    now,
    email: { productName: 'My.Custom.Domain', appUrl: 'http://localhost:8080' },
    rootDomain: 'starchart.test',
  });
  const cert = (userId: number, status: 'issued' | 'superseded', validTo: number) =>
    db.db
      .insertInto('certificates')
      .values({
        user_id: userId,
        domain: 'x.starchart.test',
        status,
        order_url: null,
        private_key_enc: null,
        certificate: null,
        chain: null,
        valid_from: validTo - 90 * DAY,
        valid_to: validTo,
        error: null,
        next_attempt_at: null,
        created_at: T0,
        updated_at: T0,
      })
      .execute();

  it('removes expired records and certificates, tells the owner once about the current certificate only, and marks DNS changed', async () => {
    const user = await insertUser(db.db);
    const other = await insertUser(db.db);
    await db.db
      .insertInto('dns_records')
      .values([
        {
          user_id: user.id,
          subdomain: 'old',
          type: 'A',
          value: '192.0.2.1',
          priority: null,
          ports: null,
          course: null,
          description: null,
          expires_at: T0 - 1,
          status_message: null,
          created_at: T0,
          updated_at: T0,
        },
        {
          user_id: user.id,
          subdomain: 'fresh',
          type: 'A',
          value: '192.0.2.2',
          priority: null,
          ports: null,
          course: null,
          description: null,
          expires_at: T0 + DAY,
          status_message: null,
          created_at: T0,
          updated_at: T0,
        },
      ])
      .execute();
    await cert(user.id, 'issued', T0 - 10);
    await cert(other.id, 'superseded', T0 - 10);
    const serialBefore = (
      await db.db.selectFrom('system_state').select('dns_serial').executeTakeFirstOrThrow()
    ).dns_serial;

    const result = await expireItems(deps(T0));
    expect(result).toMatchObject({ recordsRemoved: 1, certificatesRemoved: 2, dnsChanged: true });
    expect(
      (
        await db.db
          .selectFrom('dns_records')
          .select('subdomain')
          .where('user_id', '=', user.id)
          .execute()
      ).map((r) => r.subdomain),
    ).toEqual(['fresh']);
    const mails = await db.db
      .selectFrom('email_outbox')
      .selectAll()
      .where('to_address', 'in', [user.email, other.email])
      .execute();
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to_address).toBe(user.email);
    expect(mails[0]!.text_body).toContain(`old.${user.dns_label}.starchart.test`);
    expect(mails[0]!.text_body).toContain('certificate for x.starchart.test');
    const serialAfter = (
      await db.db.selectFrom('system_state').select('dns_serial').executeTakeFirstOrThrow()
    ).dns_serial;
    expect(Number(serialAfter)).toBeGreaterThan(Number(serialBefore));
    const audit = await db.db
      .selectFrom('audit_log')
      .select('action')
      .where('effective_user_id', '=', user.id)
      .execute();
    expect(audit.map((a) => a.action).sort()).toEqual(['certificate.expire', 'dns-record.expire']);

    // A second run finds nothing and sends nothing.
    expect(await expireItems(deps(T0))).toMatchObject({
      recordsRemoved: 0,
      certificatesRemoved: 0,
      emailIds: [],
    });
  });

  it('leaves a record that has not expired yet alone', async () => {
    const user = await insertUser(db.db);
    await db.db
      .insertInto('dns_records')
      .values({
        user_id: user.id,
        subdomain: 'race',
        type: 'A',
        value: '192.0.2.1',
        priority: null,
        ports: null,
        course: null,
        description: null,
        expires_at: T0 + 10 * DAY,
        status_message: null,
        created_at: T0,
        updated_at: T0,
      })
      .execute();
    // Scanned as expired at a later "now", but the row no longer matches when deleted: nothing happens.
    const result = await expireItems(deps(T0));
    expect(result.recordsRemoved).toBe(0);
    expect(
      await db.db.selectFrom('dns_records').select('id').where('user_id', '=', user.id).execute(),
    ).toHaveLength(1);
  });
});
