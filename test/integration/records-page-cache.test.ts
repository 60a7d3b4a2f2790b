/**
 * The records page is kept rendered per session and URL (src/web/page-cache.ts) and reused only while
 * the data read for the request is the same. Two app instances (replicas) on one database: every change
 * made through one of them — create, edit, renew, delete through the web, a status the reconciler
 * wrote, a record added by anything else (a raw insert) — shows on the very next page the other serves,
 * and the page's ETag changes with it. The nonce stays fresh on a page served from the cache.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { User } from '../../src/db/schema.js';
import { Agent, type TestApp, createTestApp } from '../support/app.js';
import { DIALECTS } from '../support/db.js';
import { insertRecord } from '../support/dns.js';
import { insertUser } from '../support/factories.js';

describe.each(DIALECTS)('records page cache across two replicas (%s)', (dialect) => {
  let a: TestApp;
  let b: TestApp;
  let owner: User;
  beforeAll(async () => {
    a = await createTestApp({ dialect });
    // Replicas share the database and the session secret (generated in the data directory in tests).
    b = await createTestApp({
      dialect,
      env: { DATABASE_URL: a.config.database.url, DATA_DIR: a.config.dataDir },
    });
    owner = await insertUser(a.container.dbh.db);
  });
  afterAll(async () => {
    await b?.cleanup();
    await a?.cleanup();
  });
  const db = () => a.container.dbh.db;

  test('a change through replica B is on the next page replica A serves; the ETag changes', async () => {
    const onA = await a.agent(owner);
    // The same session (cookie and CSRF token) on replica B: sessions live in the shared database.
    const onB = new Agent(b.request);
    onB.cookies = new Map(onA.cookies);
    onB.csrfToken = onA.csrfToken;
    const nonceOf = (r: Response) =>
      /'nonce-([^']+)'/.exec(r.headers.get('content-security-policy') ?? '')![1]!;
    const page = async () => {
      const res = await onA.get('/dns-records');
      expect(res.status).toBe(200);
      const html = await res.text();
      // The page's nonce is this response's, cached or not.
      expect(html).toContain(`nonce="${nonceOf(res)}"`);
      return { html, etag: res.headers.get('etag')!, nonce: nonceOf(res) };
    };
    const strip = (p: { html: string; nonce: string }) => p.html.replaceAll(p.nonce, '');

    await insertRecord(db(), owner, 'alpha', 'A', '192.0.2.1');
    const first = await page();
    expect(first.etag).toMatch(/^W\/"[\w-]+"$/);
    expect(first.html).toContain('>alpha</th>');
    // Unchanged data: the same page (from the cache), a fresh nonce, the same ETag.
    const again = await page();
    expect(again.nonce).not.toBe(first.nonce);
    expect(again.etag).toBe(first.etag);
    expect(strip(again)).toBe(strip(first));

    // (A page may come back to an earlier state, the renew below with the test's clock: only the
    // previous page's ETag must differ.)
    let previous = first.etag;
    const changed = async (check: (html: string) => void) => {
      const p = await page();
      check(p.html);
      expect(p.etag, 'ETag changes with the page').not.toBe(previous);
      previous = p.etag;
    };

    // Create through B.
    expect(
      (await onB.post('/dns-records/new', { subdomain: 'beta', type: 'A', value: '192.0.2.2' }))
        .status,
    ).toBe(303);
    await changed((html) => expect(html).toContain('>beta</th>'));
    const beta = await db()
      .selectFrom('dns_records')
      .select(['id', 'expires_at'])
      .where('user_id', '=', owner.id)
      .where('subdomain', '=', 'beta')
      .executeTakeFirstOrThrow();

    // Edit through B: the new value.
    expect(
      (
        await onB.post(`/dns-records/${beta.id}`, {
          subdomain: 'beta',
          type: 'A',
          value: '192.0.2.99',
        })
      ).status,
    ).toBe(303);
    await changed((html) => expect(html).toContain('>192.0.2.99</td>'));

    // The reconciler on B writes a status (straight to the database, as it does).
    await b.container.dbh.db
      .updateTable('dns_records')
      .set({ status: 'error', status_message: 'Refused by the provider (test)' })
      .where('id', '=', beta.id)
      .execute();
    await changed((html) => expect(html).toContain('Refused by the provider (test)'));

    // Renew through B, after the expiry was brought near (a new date in words on A).
    await b.container.dbh.db
      .updateTable('dns_records')
      .set({ expires_at: Date.now() + 3 * 86_400_000 })
      .where('id', '=', beta.id)
      .execute();
    await changed((html) => expect(html).toContain('in 3 days'));
    expect((await onB.post('/dns-records/renew', { record: String(beta.id) })).status).toBe(303);
    await changed((html) => expect(html).not.toContain('in 3 days'));

    // Delete through B.
    expect((await onB.post(`/dns-records/${beta.id}/delete`, { confirm: 'yes' })).status).toBe(303);
    await changed((html) => expect(html).not.toContain('>beta</th>'));

    // Delete one record and add another in its place (the same count), by anything else.
    await db().deleteFrom('dns_records').where('user_id', '=', owner.id).execute();
    await insertRecord(b.container.dbh.db, owner, 'gamma', 'A', '192.0.2.1');
    await changed((html) => {
      expect(html).toContain('>gamma</th>');
      expect(html).not.toContain('>alpha</th>');
    });
  });

  test('another session of the same user gets its own page (its own CSRF token)', async () => {
    const one = await a.agent(owner);
    const two = await a.agent(owner);
    const token = async (ag: Agent) =>
      /name="_csrf" value="([^"]+)"/.exec(await (await ag.get('/dns-records')).text())![1];
    expect(await token(one)).toBe(one.csrfToken);
    expect(await token(two)).toBe(two.csrfToken);
    expect(one.csrfToken).not.toBe(two.csrfToken);
  });
});
