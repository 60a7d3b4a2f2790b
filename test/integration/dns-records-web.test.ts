/**
 * /dns-records pages on both dialects: forms with field errors, ownership (404 for another user's id
 * on view, edit, renew, delete, status), the atomic per-user limit under 20 concurrent creates,
 * renew resetting expiry and reminders, delete confirmation without JS, htmx fragments, audit rows.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { User } from '../../src/db/schema.js';
import { type TestApp, createTestApp } from '../support/app.js';
import { DIALECTS } from '../support/db.js';
import { insertRecord } from '../support/dns.js';
import { insertUser } from '../support/factories.js';

const LIMIT = 5;

describe.each(DIALECTS)('DNS record pages (%s)', (dialect) => {
  let t: TestApp;
  let owner: User;
  let other: User;
  beforeAll(async () => {
    t = await createTestApp({
      dialect,
      env: { USER_DNS_RECORD_LIMIT: String(LIMIT), DNS_RECORD_LIFETIME_DAYS: '30' },
    });
    owner = await insertUser(t.container.dbh.db);
    other = await insertUser(t.container.dbh.db);
  });
  afterAll(async () => t?.cleanup());
  const db = () => t.container.dbh.db;

  test('anonymous visitors are sent to sign in', async () => {
    const res = await t.request('/dns-records');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/login?redirectTo=%2Fdns-records');
  });

  test('create, list, edit, renew, delete — with audit rows', async () => {
    const a = await t.agent(owner);
    const created = await a.post('/dns-records/new', {
      subdomain: 'www',
      type: 'A',
      value: '192.0.2.10',
      ports: '8080, 443',
      course: 'OSD700',
      description: 'my site',
    });
    expect(created.status).toBe(303);
    expect(created.headers.get('location')).toBe('/dns-records?done=created');
    const row = await db()
      .selectFrom('dns_records')
      .selectAll()
      .where('user_id', '=', owner.id)
      .executeTakeFirstOrThrow();
    const day = 86_400_000;
    expect(Math.round((row.expires_at - row.created_at) / day)).toBe(30);
    const list = await (await a.get('/dns-records?done=created')).text();
    expect(list).toContain(
      '<th scope="row" title="my site · Ports = 8080, 443 · Course = OSD700">www</th>',
    );
    expect(list).toContain(`data-base="${owner.dns_label}.starchart.test"`);
    expect(list).toContain(`1 / ${LIMIT}`);
    expect(list).toContain('DNS record created');
    expect(list).toContain('table class="responsive records"');
    // On a phone each row is a card without a label per cell (the old CSS labels are gone).
    const css = readFileSync(
      path.join(import.meta.dirname, '../../src/web/static/app.css'),
      'utf8',
    );
    expect(css).not.toContain("content: 'DNS Record'");
    expect(css).toContain('/* == DNS records');

    const edit = await a.get(`/dns-records/${row.id}`);
    expect(edit.status).toBe(200);
    expect(await edit.text()).toContain('value="192.0.2.10"');
    await db()
      .updateTable('dns_records')
      .set({ reminders_sent: '[30]', expires_at: 1 })
      .where('id', '=', row.id)
      .execute();
    const upd = await a.post(`/dns-records/${row.id}`, {
      subdomain: 'www',
      type: 'TXT',
      value: 'edit test',
    });
    expect(upd.status).toBe(303);
    let after = await db()
      .selectFrom('dns_records')
      .selectAll()
      .where('id', '=', row.id)
      .executeTakeFirstOrThrow();
    expect([after.type, after.value, after.reminders_sent]).toEqual(['TXT', 'edit test', '[]']);
    expect(after.expires_at).toBeGreaterThan(Date.now());

    await db()
      .updateTable('dns_records')
      .set({ reminders_sent: '[30,7]', expires_at: 1 })
      .where('id', '=', row.id)
      .execute();
    const renew = await a.post('/dns-records/renew', { record: String(row.id), sort: 'expiry' });
    expect(renew.status).toBe(303);
    // Without JavaScript: back to the list as it was shown, at the row, with the message.
    expect(renew.headers.get('location')).toBe(
      `/dns-records?done=renewed&id=${row.id}&sort=expiry#r${row.id}`,
    );
    const flash = await (await a.get(`/dns-records?done=renewed&id=${row.id}`)).text();
    expect(flash).toMatch(
      new RegExp(
        `<div id="toast" class="toast" role="status"><p>Renewed www\\.${owner.dns_label}\\.starchart\\.test: expires \\w+ \\d+, \\d{4} \\(in 30 days\\)\\.</p>`,
      ),
    );
    after = await db()
      .selectFrom('dns_records')
      .selectAll()
      .where('id', '=', row.id)
      .executeTakeFirstOrThrow();
    expect(after.reminders_sent).toBe('[]');
    expect(after.expires_at).toBeGreaterThan(Date.now() + 29 * day);
    const htmxRenew = await a.post(
      `/dns-records/${row.id}/renew`,
      {},
      { headers: { 'hx-request': 'true' } },
    );
    // htmx: the row's expiry cell and the toast, out of band (the button, and focus, stay put).
    const swapped = await htmxRenew.text();
    expect(swapped).toMatch(
      new RegExp(
        `^<template><td hx-swap-oob="outerHTML:#r${row.id} (>|&gt;) td:nth-child\\(5\\)"><time datetime=`,
      ),
    );
    expect(swapped).toContain(
      '<div id="toast" class="toast" role="status" hx-swap-oob="innerHTML"><p>Renewed www.',
    );
    expect((await a.post(`/dns-records/${row.id}/renew`)).status).toBe(303);

    // Without JS: first POST shows a confirmation page, nothing deleted.
    const ask = await a.post(`/dns-records/${row.id}/delete`);
    expect(ask.status).toBe(200);
    expect(await ask.text()).toContain('You can&#39;t undo this action afterwards');
    expect(
      await db().selectFrom('dns_records').select('id').where('id', '=', row.id).executeTakeFirst(),
    ).toBeDefined();
    expect((await a.get(`/dns-records/${row.id}/delete`)).status).toBe(200);
    // With JavaScript the same confirmation comes alone, for a <dialog>, and posts through htmx.
    const fragment = await (
      await a.get(`/dns-records/${row.id}/delete`, { 'hx-request': 'true' })
    ).text();
    expect(fragment).toMatch(/^<section class="card narrow confirm"/);
    expect(fragment).toContain(`hx-post="/dns-records/${row.id}/delete"`);
    expect(fragment).toContain('data-close');
    const del = await a.post(`/dns-records/${row.id}/delete`, { confirm: 'yes' });
    expect(del.status).toBe(303);
    expect(
      await db().selectFrom('dns_records').select('id').where('id', '=', row.id).executeTakeFirst(),
    ).toBeUndefined();

    const audit = await db()
      .selectFrom('audit_log')
      .selectAll()
      .where('target_id', '=', String(row.id))
      .orderBy('id')
      .execute();
    expect(audit.map((r) => r.action)).toEqual([
      'dns-record.create',
      'dns-record.update',
      'dns-record.renew',
      'dns-record.renew',
      'dns-record.renew',
      'dns-record.delete',
    ]);
    expect(audit[0]!.actor_user_id).toBe(owner.id);
    expect(audit[0]!.effective_user_id).toBe(owner.id);
    expect(audit[0]!.request_id).toEqual(expect.any(String));
    expect(JSON.parse(audit[1]!.before_json!)).toMatchObject({ type: 'A', value: '192.0.2.10' });
  });

  test('bad input re-renders the form with field errors and 400, never a 500', async () => {
    const a = await t.agent(owner);
    const res = await a.post('/dns-records/new', {
      subdomain: 'osd--700',
      type: 'CNAME',
      value: 'https://example.com/',
    });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('id="err-subdomain" role="alert"');
    expect(html).toContain('without http');
    expect(html).toContain('value="osd--700"');
    expect((await a.post('/dns-records/new', {})).status).toBe(400);
    expect(
      (
        await a.post('/dns-records/new', {
          subdomain: 'x'.repeat(5000),
          type: 'ZZZ',
          value: 'y'.repeat(9000),
        })
      ).status,
    ).toBe(400);
    await db()
      .insertInto('blocked_labels')
      .values({ label: 'admin', reason: 'reserved', created_at: Date.now() })
      .execute();
    const blocked = await a.post('/dns-records/new', {
      subdomain: 'admin',
      type: 'A',
      value: '192.0.2.1',
    });
    expect(blocked.status).toBe(400);
    expect(await blocked.text()).toContain('not available');
    const reserved = await a.post('/dns-records/new', {
      subdomain: '_acme-challenge',
      type: 'TXT',
      value: 'x',
    });
    expect(await reserved.text()).toContain('reserved');
  });

  test('CNAME exclusivity and duplicates are field errors', async () => {
    const a = await t.agent(other);
    expect(
      (await a.post('/dns-records/new', { subdomain: 'api', type: 'A', value: '192.0.2.1' }))
        .status,
    ).toBe(303);
    const dup = await a.post('/dns-records/new', {
      subdomain: 'api',
      type: 'A',
      value: '192.0.2.1',
    });
    expect(dup.status).toBe(400);
    expect(await dup.text()).toContain('exact A record');
    const cname = await a.post('/dns-records/new', {
      subdomain: 'api',
      type: 'CNAME',
      value: 'example.com',
    });
    expect(cname.status).toBe(400);
    expect(await cname.text()).toContain('only record at its name');
    await db().deleteFrom('dns_records').where('user_id', '=', other.id).execute();
  });

  test('htmx: inline validation returns out-of-band field errors for filled fields; submit swaps in place', async () => {
    const a = await t.agent(owner);
    const v = await a.post(
      '/dns-records/validate',
      { subdomain: 'Bad', type: 'A', value: '', ports: '' },
      { headers: { 'hx-request': 'true' } },
    );
    expect(v.status).toBe(200);
    const html = await v.text();
    expect(html).toContain('id="err-subdomain" role="alert" hx-swap-oob="true">Use lowercase');
    expect(html).toContain('id="err-value" hx-swap-oob="true"></p>');
    const bad = await a.post(
      '/dns-records/new',
      { subdomain: 'x', type: 'A', value: '1' },
      { headers: { 'hx-request': 'true' } },
    );
    expect(bad.status).toBe(200);
    expect(await bad.text()).toMatch(/^<form/);
    const ok = await a.post(
      '/dns-records/new',
      { subdomain: 'hx', type: 'A', value: '192.0.2.1' },
      { headers: { 'hx-request': 'true' } },
    );
    expect(ok.headers.get('hx-redirect')).toBe('/dns-records?done=created');
    await db().deleteFrom('dns_records').where('user_id', '=', owner.id).execute();
  });

  test("another user's record id is 404 on view, edit, renew, delete and status; the URL id is the one acted on", async () => {
    const theirs = await insertRecord(db(), other, 'secret', 'A', '192.0.2.99');
    const mine = await insertRecord(db(), owner, 'mine', 'A', '192.0.2.98');
    const a = await t.agent(owner);
    expect((await a.get(`/dns-records/${theirs}`)).status).toBe(404);
    expect(
      (await a.post(`/dns-records/${theirs}`, { subdomain: 'pwn', type: 'A', value: '192.0.2.1' }))
        .status,
    ).toBe(404);
    expect((await a.post(`/dns-records/${theirs}/renew`)).status).toBe(404);
    expect((await a.post(`/dns-records/${theirs}/delete`, { confirm: 'yes' })).status).toBe(404);
    expect((await a.get(`/dns-records/${theirs}/delete`)).status).toBe(404);
    expect((await a.get(`/dns-records/${theirs}/status`)).status).toBe(404);
    expect(
      (await a.post('/dns-records/validate', { id: String(theirs), subdomain: 'x1' })).status,
    ).toBe(404);
    for (const bad of ['0', '-1', 'abc', '99999999999', '1.5'])
      expect((await a.get(`/dns-records/${bad}`)).status).toBe(404);
    // A hidden "id" field cannot redirect the edit to someone else's record.
    expect(
      (
        await a.post(`/dns-records/${mine}`, {
          id: String(theirs),
          subdomain: 'mine',
          type: 'A',
          value: '192.0.2.1',
        })
      ).status,
    ).toBe(303);
    const still = await db()
      .selectFrom('dns_records')
      .selectAll()
      .where('id', '=', theirs)
      .executeTakeFirstOrThrow();
    expect([still.subdomain, still.value]).toEqual(['secret', '192.0.2.99']);
    const edited = await db()
      .selectFrom('dns_records')
      .selectAll()
      .where('id', '=', mine)
      .executeTakeFirstOrThrow();
    expect(edited.value).toBe('192.0.2.1');
    await db().deleteFrom('dns_records').execute();
  });

  test('one status poll covers every pending record on the page, and stops once none are pending', async () => {
    const a = await t.agent(owner);
    const p1 = await insertRecord(db(), owner, 'p1', 'A', '192.0.2.1'); // pending (the default)
    const p2 = await insertRecord(db(), owner, 'p2', 'A', '192.0.2.2');
    const theirs = await insertRecord(db(), other, 'p3', 'A', '192.0.2.3');
    const page = await (await a.get('/dns-records')).text();
    // One poller for the page, naming both pending records; no cell polls on its own.
    expect(page.match(/hx-trigger="every 2s"/g)).toHaveLength(1);
    expect(page).toContain(`hx-get="/dns-records/status?ids=${p1},${p2}"`);

    // One record goes live: its cell comes back for an out-of-band swap, the poller keeps the other.
    await db().updateTable('dns_records').set({ status: 'live' }).where('id', '=', p1).execute();
    const poll = await a.get(`/dns-records/status?ids=${p1},${p2},${theirs}`);
    expect(poll.status).toBe(200);
    expect(poll.headers.get('cache-control')).toBe('no-store');
    const body = await poll.text();
    expect(body).toContain(`<td id="s${p1}" class="ok" hx-swap-oob="true">live</td>`);
    expect(body).toContain(`<td id="s${p2}" class="warn" hx-swap-oob="true">pending</td>`);
    expect(body).toContain(`hx-get="/dns-records/status?ids=${p2}"`);
    // Cells come inside a <template> (after the poller's <div> an HTML parser drops bare cells).
    expect(body).toMatch(/^<div id="status-poller"[^>]*><\/div><template><td /);
    // Another user's record is not reported at all.
    expect(body).not.toContain(`id="s${theirs}"`);

    // The last one goes wrong: its reason is shown and the poller is gone.
    await db()
      .updateTable('dns_records')
      .set({ status: 'error', status_message: 'Route53 said no' })
      .where('id', '=', p2)
      .execute();
    const last = await (await a.get(`/dns-records/status?ids=${p2}`)).text();
    expect(last).toContain('Route53 said no');
    expect(last).not.toContain('status-poller');
    expect(await (await a.get('/dns-records')).text()).not.toContain('status-poller');

    for (const bad of [
      '',
      'abc',
      '1,,x',
      '0',
      '-3',
      '1.5',
      Array(101)
        .fill(1)
        .map((_, i) => i + 1)
        .join(','),
    ]) {
      const res = await a.get(`/dns-records/status?ids=${bad}`);
      expect(res.status, bad).toBe(400);
      expect(await res.text()).toMatch(/record ids|at most 100/i);
    }
    await db().deleteFrom('dns_records').where('id', 'in', [p1, p2, theirs]).execute();
  });

  test('search by name or value, type filter and sort work from the query string; bad values are a 400 that says why', async () => {
    const u = await insertUser(db());
    const now = Date.now();
    const day = 86_400_000;
    const ids = {
      web: await insertRecord(db(), u, 'web', 'A', '192.0.2.7'),
      mail: await insertRecord(db(), u, 'mail', 'MX', 'mx.example.com', 10),
      note: await insertRecord(db(), u, 'note', 'TXT', 'Hello 100%_done'),
      api: await insertRecord(db(), u, 'api', 'CNAME', 'web.example.com'),
    };
    await db()
      .updateTable('dns_records')
      .set({ expires_at: now + 120 * day })
      .where('user_id', '=', u.id)
      .execute();
    await db()
      .updateTable('dns_records')
      .set({ expires_at: now + 3 * day })
      .where('id', '=', ids.note)
      .execute();
    await db()
      .updateTable('dns_records')
      .set({ expires_at: now + 90 * day })
      .where('id', '=', ids.mail)
      .execute();
    const a = await t.agent(u);
    const names = async (qs: string) => {
      const res = await a.get(`/dns-records${qs}`);
      expect(res.status, qs).toBe(200);
      return [...(await res.text()).matchAll(/<th scope="row"[^>]*>([^<]+)<\/th>/g)].map(
        (m) => m[1],
      );
    };
    expect(await names('')).toEqual(['api', 'mail', 'note', 'web']);
    // By name or value, case-insensitively; % and _ are plain characters; a whole name finds its label.
    expect(await names('?q=WEB')).toEqual(['api', 'web']);
    expect(await names('?q=100%25_')).toEqual(['note']);
    expect(await names('?q=_')).toEqual(['note']);
    expect(await names(`?q=mail.${u.dns_label}.starchart.test.`)).toEqual(['mail']);
    expect(await names('?type=mx')).toEqual(['mail']);
    expect(await names('?type=&sort=')).toEqual(['api', 'mail', 'note', 'web']);
    expect(await names('?sort=type')).toEqual(['web', 'api', 'mail', 'note']);
    expect(await names('?sort=expiry')).toEqual(['note', 'mail', 'api', 'web']);
    expect(await names('?q=e&type=A&sort=expiry')).toEqual(['web']);
    // Expiring soon (inside the 30-day reminder window), in words with the date in the title.
    const page = await (await a.get('/dns-records?q=note')).text();
    expect(page).toMatch(
      /<time datetime="\d{4}-\d\d-\d\d" title="[A-Z][a-z]+ \d+, \d{4}">in 3 days<\/time> <span class="badge warn">expiring soon<\/span>/,
    );
    expect(page).toContain('· 1 match');
    // The count in words, in a polite live region outside the swapped list (screen readers).
    expect(page).toContain(
      '<p id="records-status" class="visually-hidden" role="status" aria-live="polite" aria-atomic="true">1 of 4 records</p>',
    );
    expect(await (await a.get('/dns-records')).text()).toMatch(
      /<p id="records-status"[^>]*>4 records<\/p>/,
    );
    // Pages keep the query in their links.
    // Empty states: nothing matches (with a way back), and no records at all.
    const none = await (await a.get('/dns-records?q=zzz')).text();
    expect(none).toContain('Nothing matches');
    expect(none).toContain('href="/dns-records">Clear search and filters');
    expect(none).not.toContain('<table');
    const empty = await (await (await t.agent(await insertUser(db()))).get('/dns-records')).text();
    expect(empty).toContain('No records yet');
    expect(empty).not.toContain('role="search"');
    // htmx: only the records region comes back, and the response varies with HX-Request.
    const frag = await a.get('/dns-records?q=web', { 'hx-request': 'true' });
    expect(frag.headers.get('vary')).toContain('HX-Request');
    const fragHtml = await frag.text();
    expect(fragHtml).toMatch(/^<section id="records"/);
    // …and the live region's new text, out of band (the region itself stays, so it is announced).
    expect(fragHtml).toMatch(
      /<p id="records-status"[^>]*hx-swap-oob="innerHTML"[^>]*>2 of 4 records<\/p>$/,
    );
    for (const [qs, message] of [
      ['?sort=size', 'Sort by name, type, expiry.'],
      ['?type=SRV', 'Filter by one of the types A, AAAA, CNAME, MX, TXT'],
      [`?q=${'x'.repeat(201)}`, 'Search for at most 200 characters'],
      ['?q=%00', 'control characters'],
      ['?sort=name%27%20OR%201', 'Sort by'],
    ] as const) {
      const res = await a.get(`/dns-records${qs}`);
      expect(res.status, qs).toBe(400);
      const html = await res.text();
      expect(html, qs).toContain(message);
      expect(html, qs).toContain('role="alert"');
      expect(html, qs).toContain('aria-invalid="true"');
      expect(html, qs).not.toContain('<table');
    }
  });

  test('the records page of a user with 40 records stays within 20 KB of HTML', async () => {
    const u = await insertUser(db(), { dns_label: 'averagestudent12' });
    const values = {
      A: '192.0.2.10',
      AAAA: '2001:db8::10',
      CNAME: 'my-project.github.io',
      MX: 'mail.example.com',
      TXT: 'v=spf1 include:_spf.example.com ~all',
    } as const;
    const types = Object.keys(values) as (keyof typeof values)[];
    for (let i = 0; i < 40; i++) {
      const type = types[i % types.length]!;
      await insertRecord(
        db(),
        u,
        `project-${i}-name`,
        type,
        values[type],
        type === 'MX' ? 10 : null,
      );
    }
    // Most are live; a few pending and a few expiring soon, as on a real page.
    const rows = await db()
      .selectFrom('dns_records')
      .select('id')
      .where('user_id', '=', u.id)
      .orderBy('id')
      .execute();
    await db()
      .updateTable('dns_records')
      .set({ status: 'live' })
      .where(
        'id',
        'in',
        rows.slice(3).map((r) => r.id),
      )
      .execute();
    await db()
      .updateTable('dns_records')
      .set({ expires_at: Date.now() + 86_400_000 })
      .where(
        'id',
        'in',
        rows.slice(5, 8).map((r) => r.id),
      )
      .execute();
    const a = await t.agent(u);
    const html = await (await a.get('/dns-records')).text();
    expect(html.match(/<tr id="r/g)).toHaveLength(40);
    expect(Buffer.byteLength(html, 'utf8')).toBeLessThanOrEqual(20 * 1024);

    // The page's stylesheets and scripts, as a browser receives them (Chromium's Accept-Encoding):
    // at most 30 KB compressed in all.
    const urls = [
      ...html.matchAll(/<link rel="stylesheet" href="([^"]+)"/g),
      ...html.matchAll(/<script[^>]* src="([^"]+)"/g),
    ].map((m) => m[1]!);
    expect(urls.some((u) => u.endsWith('.css'))).toBe(true);
    expect(urls.filter((u) => u.endsWith('.js')).length).toBeGreaterThanOrEqual(2);
    let compressed = 0;
    for (const url of urls) {
      const res = await a.get(url, { 'Accept-Encoding': 'gzip, deflate, br, zstd' });
      expect(res.status, url).toBe(200);
      expect(res.headers.get('content-encoding'), url).toBe('br');
      compressed += (await res.arrayBuffer()).byteLength;
    }
    expect(compressed).toBeLessThanOrEqual(30 * 1024);
  });

  test(`20 concurrent creates at a limit of ${LIMIT} end with exactly ${LIMIT}`, async () => {
    const u = await insertUser(db());
    const a = await t.agent(u);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        a.post('/dns-records/new', { subdomain: `host${i}`, type: 'A', value: '192.0.2.1' }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 303)).toHaveLength(LIMIT);
    expect(statuses.filter((s) => s === 409)).toHaveLength(20 - LIMIT);
    const n = await db()
      .selectFrom('dns_records')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', u.id)
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(LIMIT);
    const limited = results.find((r) => r.status === 409)!;
    expect(await limited.text()).toContain(`limit of ${LIMIT} DNS records`);
  });

  test('ACME challenge rows never count toward the limit', async () => {
    const u = await insertUser(db());
    const now = Date.now();
    const cert = await db()
      .insertInto('certificates')
      .values({ user_id: u.id, domain: 'x', created_at: now, updated_at: now })
      .executeTakeFirstOrThrow();
    for (let i = 0; i < LIMIT + 2; i++)
      await db()
        .insertInto('acme_challenges')
        .values({
          certificate_id: Number(cert.insertId),
          user_id: u.id,
          name: `_acme-challenge.${u.dns_label}.starchart.test`,
          value: `v${i}`,
          created_at: now,
          status_message: null,
          change_id: null,
          status_at: null,
        })
        .execute();
    const a = await t.agent(u);
    expect(
      (await a.post('/dns-records/new', { subdomain: 'www', type: 'A', value: '192.0.2.1' }))
        .status,
    ).toBe(303);
  });

  test('pagination for users with many records; instructions use the real base domain', async () => {
    const u = await insertUser(db());
    for (let i = 0; i < 120; i++)
      await insertRecord(db(), u, `n${String(i).padStart(3, '0')}`, 'A', '192.0.2.1');
    const a = await t.agent(u);
    const p1 = await (await a.get('/dns-records')).text();
    expect(p1).toContain('Page 1 of 3');
    expect(p1).toContain('n000');
    expect(p1).not.toContain('n050');
    const p3 = await (await a.get('/dns-records?page=3')).text();
    expect(p3).toContain('n119');
    expect(p3).toContain('Page 3 of 3');
    expect(p3).toContain('120 / ');
    // Past the end: the last page, with the true total.
    const past = await a.get('/dns-records?page=999');
    expect(past.status).toBe(200);
    const pastHtml = await past.text();
    expect(pastHtml).toContain('Page 3 of 3');
    expect(pastHtml).toContain('n119');
    expect(pastHtml).toContain('120 / ');
    expect((await a.get('/dns-records?page=abc')).status).toBe(200);
    // Exactly one full page: the total is counted, and there is no second page.
    const full = await insertUser(db());
    for (let i = 0; i < 50; i++)
      await insertRecord(db(), full, `f${String(i).padStart(2, '0')}`, 'A', '192.0.2.1');
    const b = await t.agent(full);
    for (const url of ['/dns-records', '/dns-records?page=2']) {
      const html = await (await b.get(url)).text();
      expect(html).toContain('50 / ');
      expect(html).toContain('f49');
      expect(html).not.toContain('Page 1 of');
    }
    const help = await (await a.get('/dns-records/instructions')).text();
    expect(help).toContain(`www.${u.dns_label}.starchart.test`);
    expect(help).toContain('CNAME');
  });
});
