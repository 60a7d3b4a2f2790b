/**
 * Certificate private keys after SESSION_SECRET changes, on both dialects: without the old value the
 * certificate page says the key is unavailable (not a 500), the key downloads answer 409 with the same
 * explanation, and a new certificate can be requested at once; with the old value in
 * SESSION_SECRET_PREVIOUS the keys decrypt, and `keys:rotate` (the real CLI, as a process) re-encrypts
 * them with the new secret, lists what no secret opens (exit 2) and is idempotent.
 */
import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { User } from '../../src/db/schema.js';
import { type TestApp, createTestApp } from '../support/app.js';
import { DIALECTS } from '../support/db.js';
import { insertUser } from '../support/factories.js';
import { ROOT, spawnTsx } from '../support/process.js';

const OLD = 'old-session-secret-'.padEnd(44, 'o');
const NEW = 'new-session-secret-'.padEnd(44, 'n');
const LOST = 'lost-session-secret-'.padEnd(44, 'l');
const KEY_PEM =
  '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n';
const CERT_PEM = '-----BEGIN CERTIFICATE-----\nMIIBdummy\n-----END CERTIFICATE-----\n';
const DAY = 86_400_000;
const ROOT_DOMAIN = 'starchart.test';

/** A key as stored before key ids existed (`v1.iv.tag.ct`), sealed with `secret`. */
function sealV1(secret: string, id: number, pem: string): string {
  const key = Buffer.from(
    hkdfSync('sha256', secret, 'starchart', 'certificate-private-key/v1', 32),
  );
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(`certificate:${id}`));
  const ct = Buffer.concat([cipher.update(pem, 'utf8'), cipher.final()]);
  return ['v1', ...[iv, cipher.getAuthTag(), ct].map((b) => b.toString('base64url'))].join('.');
}

describe.each(DIALECTS)('certificate keys after SESSION_SECRET changes (%s)', (dialect) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.cleanup();
    t = undefined;
  });
  const app = async (env: Record<string, string>) =>
    (t = await createTestApp({ dialect, env: { SECRETS_OVERRIDE: '1', ...env } }));
  const db = () => t!.container.dbh.db;

  /** An issued certificate, early in its life (not renewable), whose key is sealed by `seal`. */
  async function issued(user: User, seal: (id: number) => string): Promise<number> {
    const now = Date.now();
    const { insertId } = await db()
      .insertInto('certificates')
      .values({
        user_id: user.id,
        domain: `${user.dns_label}.${ROOT_DOMAIN}`,
        status: 'issued',
        step: 'issued',
        certificate: CERT_PEM,
        chain: CERT_PEM,
        valid_from: now - DAY,
        valid_to: now + 89 * DAY,
        created_at: now - DAY,
        updated_at: now - DAY,
      })
      .executeTakeFirstOrThrow();
    const id = Number(insertId);
    await db()
      .updateTable('certificates')
      .set({ private_key_enc: seal(id) })
      .where('id', '=', id)
      .execute();
    return id;
  }

  test('without the old secret: the page says the key is unavailable and what to do, downloads answer 409, a new certificate can be requested now', async () => {
    await app({ SESSION_SECRET: NEW });
    const user = await insertUser(db());
    await issued(user, (id) => sealV1(OLD, id, KEY_PEM));
    const agent = await t!.agent(user);
    const page = await agent.get('/certificate');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Private key unavailable.');
    expect(html).toContain('SESSION_SECRET_PREVIOUS');
    expect(html).toContain('keys:rotate');
    expect(html).toContain('id="part-certificate"');
    expect(html).not.toContain('id="part-privateKey"');
    expect(html).not.toContain('/certificate/download/pfx');
    expect(html).toMatch(
      /<a class="btn" href="\/certificate\/renew" data-dialog=""[^>]*>\s*Request a new certificate…\s*<\/a>/,
    );
    for (const p of ['/certificate/download/privateKey', '/certificate/download/pfx']) {
      const res = await agent.get(p);
      expect(res.status, p).toBe(409);
      expect(await res.text()).toContain('private key cannot be read any more');
    }
    expect((await agent.get('/certificate/download/fullChain')).status).toBe(200);
    // Asked first (a new key, a new order): the question, then the confirmed POST.
    const ask = await agent.post('/certificate', { intent: 'renew' });
    expect(ask.status).toBe(200);
    expect(await ask.text()).toContain('Request a new certificate?');
    const renew = await agent.post('/certificate', { intent: 'renew', confirm: 'yes' });
    expect(renew.status).toBe(303);
    const rows = await db()
      .selectFrom('certificates')
      .select(['status'])
      .where('user_id', '=', user.id)
      .orderBy('id')
      .execute();
    expect(rows.map((r) => r.status)).toEqual(['issued', 'pending']);
  });

  test('with SESSION_SECRET_PREVIOUS the keys decrypt; keys:rotate re-encrypts them with the new secret, lists what no secret opens, and can run again', async () => {
    await app({ SESSION_SECRET: NEW, SESSION_SECRET_PREVIOUS: OLD });
    const { keyRing, openPrivateKey, sealPrivateKey, sealedKeyId } =
      await import('../../src/domain/certificates/key-box.js');
    const [a, b, c, d] = await Promise.all([1, 2, 3, 4].map(() => insertUser(db())));
    const ids = {
      v2Old: await issued(a!, (id) => sealPrivateKey(keyRing([OLD]), id, KEY_PEM)),
      v1Old: await issued(b!, (id) => sealV1(OLD, id, KEY_PEM)),
      v1New: await issued(c!, (id) => sealV1(NEW, id, KEY_PEM)),
      lost: await issued(d!, (id) => sealPrivateKey(keyRing([LOST]), id, KEY_PEM)),
    };
    for (const u of [a!, b!, c!]) {
      const res = await (await t!.agent(u)).get('/certificate/download/privateKey');
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(KEY_PEM);
    }

    const rotate = async () => {
      const proc = spawnTsx(path.join(ROOT, 'src', 'cli', 'keys-rotate.ts'), {
        NODE_ENV: 'test',
        DATA_DIR: mkdtempSync(path.join(tmpdir(), 'starchart-rotate-')),
        DATABASE_URL: t!.config.database.url,
        SECRETS_OVERRIDE: '1',
        SESSION_SECRET: NEW,
        SESSION_SECRET_PREVIOUS: OLD,
      });
      const { code } = await proc.exit;
      const summary = proc.lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => 'reencrypted' in l);
      return { code, summary, stderr: proc.stderr.join('') };
    };
    const first = await rotate();
    expect(first.stderr).toBe('');
    expect(first.code).toBe(2);
    expect(first.summary).toMatchObject({
      reencrypted: 3,
      alreadyCurrent: 0,
      unreadable: 1,
      unreadableCertificates: [{ certificateId: ids.lost, keyId: keyRing([LOST]).current.id }],
    });
    const sealed = async (id: number) =>
      (
        await db()
          .selectFrom('certificates')
          .select('private_key_enc')
          .where('id', '=', id)
          .executeTakeFirstOrThrow()
      ).private_key_enc!;
    const newOnly = keyRing([NEW]);
    // Every readable key now names the new secret's key (legacy v1 values included) and opens
    // without any previous secret.
    for (const id of [ids.v2Old, ids.v1Old, ids.v1New]) {
      expect(sealedKeyId(await sealed(id))).toBe(newOnly.current.id);
      expect(openPrivateKey(newOnly, id, await sealed(id))).toBe(KEY_PEM);
    }

    const second = await rotate();
    expect(second.code).toBe(2);
    expect(second.summary).toMatchObject({ reencrypted: 0, alreadyCurrent: 3, unreadable: 1 });
    await db().deleteFrom('certificates').where('id', '=', ids.lost).execute();
    const third = await rotate();
    expect(third.code).toBe(0);
    expect(third.summary).toMatchObject({ reencrypted: 0, alreadyCurrent: 3, unreadable: 0 });
  });
});
