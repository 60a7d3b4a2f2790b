/**
 * Page numbers typed by anyone, on every listing page and both dialects: never a 500, and the page shown
 * is the one a reader would expect (garbage → the first page, huge → the last).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/db/schema.js';
import { queueEmail } from '../../src/domain/notifications/outbox.js';
import { type Agent, type TestApp, createTestApp } from '../support/app.js';
import { DIALECTS } from '../support/db.js';
import { insertRecord } from '../support/dns.js';
import { insertUser } from '../support/factories.js';

/**
 * Raw `page=` values (URL-encoded where needed), the page a listing of two pages must show, and the
 * page the mailbox (which has no page count) must show: 1, 2 or one past the end.
 */
const CORPUS: [raw: string, expected: 1 | 2, mailbox: 1 | 2 | 'past'][] = [
  ['1e16', 1, 1],
  ['-1', 1, 1],
  ['0', 1, 1],
  ['NaN', 1, 1],
  ['Infinity', 1, 1],
  ['9999999999999999999999', 2, 'past'],
  [`9${'9'.repeat(400)}`, 2, 'past'],
  ['9007199254740993', 2, 'past'],
  ['1.5', 1, 1],
  ['2.0', 1, 1],
  ['', 1, 1],
  ['abc', 1, 1],
  ['0x10', 1, 1],
  ['%2B2', 1, 1], // '+2'
  ['%202', 1, 1], // ' 2'
  [encodeURIComponent('٢'), 1, 1], // Arabic-Indic digit two
  [encodeURIComponent('２'), 1, 1], // full-width digit two
  ['%00', 1, 1],
  ['2', 2, 2],
  ['002', 2, 2],
  ['3', 2, 'past'],
  ['1&page=2', 1, 1], // repeated: the first value counts
  ['2&page=1', 2, 2],
  ['2&page[]=1', 2, 2],
];

describe.each(DIALECTS)('page numbers from the query string (%s)', (dialect) => {
  let t: TestApp;
  let admin: User;
  let agent: Agent;

  beforeAll(async () => {
    t = await createTestApp({ dialect });
    const db = t.container.dbh.db;
    admin = await insertUser(db, { role: 'admin', username: `pgadmin${process.pid}` });
    agent = await t.agent(admin);
    // Two pages of everything: records (50 a page), audit/history (50), user search (20), mailbox (50).
    for (let i = 0; i < 60; i++)
      await insertRecord(db, admin, `r${String(i).padStart(3, '0')}`, 'A', '192.0.2.1');
    const now = Date.now();
    await db
      .insertInto('audit_log')
      .values(
        Array.from({ length: 60 }, (_, i) => ({
          at: now - i,
          actor_user_id: admin.id,
          actor_username: admin.username,
          effective_user_id: admin.id,
          effective_username: admin.username,
          action: 'test.page',
          target_type: null,
          target_id: null,
          request_id: null,
          before_json: null,
          after_json: null,
        })),
      )
      .execute();
    for (let i = 0; i < 25; i++) await insertUser(db, { display_name: `Pagetest ${i}` });
    for (let i = 0; i < 60; i++)
      await queueEmail(
        db,
        t.config.appUrl,
        { to: 'dev@example.edu', subject: `Mail ${i}`, text: 'x', html: null },
        now + i,
      );
  });
  afterAll(async () => t?.cleanup());

  const shown = (html: string) => {
    const m = /Page (\d+) of (\d+)/.exec(html);
    return m ? { page: Number(m[1]), pages: Number(m[2]) } : null;
  };

  it.each([['/dns-records?'], ['/history?'], ['/admin/audit?'], ['/admin?q=pagetest&']])(
    '%s shows a sensible page for every value',
    async (base) => {
      for (const [raw, expected] of CORPUS) {
        const res = await agent.get(`${base}page=${raw}`);
        expect(res.status, `${base}page=${raw}`).toBe(200);
        expect(shown(await res.text()), `${base}page=${raw}`).toEqual({ page: expected, pages: 2 });
      }
    },
  );

  it('/dev/mailbox shows the newest emails for garbage and an empty, linked page past the end', async () => {
    for (const [raw, , mailbox] of CORPUS) {
      const res = await agent.get(`/dev/mailbox?page=${raw}`);
      expect(res.status, `page=${raw}`).toBe(200);
      const html = await res.text();
      if (mailbox === 'past') {
        expect(html, raw).toContain('No emails this far back');
        expect(html, raw).toContain('href="/dev/mailbox"');
      } else if (mailbox === 1) {
        expect(html, raw).toContain('>Mail 59<'); // newest first
        expect(html, raw).toContain('href="/dev/mailbox?page=2"');
      } else {
        expect(html, raw).toContain('>Mail 9<');
        expect(html, raw).not.toContain('>Mail 10<');
      }
    }
  });

  it('huge or odd ids in paths and in ?ids= are answered 404/400, never 500', async () => {
    const huge = '9999999999999999999999';
    for (const path of [
      `/dev/mailbox/${huge}`,
      `/dns-records/${huge}`,
      `/dns-records/${huge}/delete`,
      `/dns-records/status?ids=${huge}`,
      `/dns-records/status?ids=1e16`,
      `/admin/users/${huge}`,
      `/admin/users/${huge}/records/${huge}`,
    ]) {
      const res = await agent.get(path);
      expect([400, 404], path).toContain(res.status);
    }
  });
});
