/**
 * `npm run screenshots`: every page in its interesting states, at 1366×900 (laptop) and 390×844
 * (phone), light and dark, written to docs/screenshots/ for reviewers. Runs the app in-process on the
 * embedded defaults (SQLite, development CA, built-in DNS server) with Debian's Chromium.
 *   npx tsx scripts/screenshots.ts [name-filter]
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { serve } from '@hono/node-server';
import { chromium } from 'playwright-core';
import { requestCertificate } from '../src/domain/certificates/certificates.js';
import { dispatchQueue, recordRateLimit } from '../src/domain/certificates/queue.js';
import { certificateDeps } from '../src/jobs/certificate-deps.js';
import { SESSION_COOKIE } from '../src/web/middleware/session.js';
import type { User } from '../src/db/schema.js';
import { certificateEnv, waitSettled } from '../test/support/certificates.js';
import { insertRecord } from '../test/support/dns.js';
import { insertUser } from '../test/support/factories.js';

const OUT = path.join(import.meta.dirname, '..', 'docs', 'screenshots');
const only = process.argv[2] ?? '';
const VIEWPORTS = [
  { tag: 'laptop', width: 1366, height: 900 },
  { tag: 'phone', width: 390, height: 844 },
] as const;

mkdirSync(OUT, { recursive: true });
if (!only) for (const f of readdirSync(OUT)) if (f.endsWith('.png')) rmSync(path.join(OUT, f));

const e = await certificateEnv('sqlite', 'embedded', {
  devCa: true,
  env: { ROOT_DOMAIN: 'example.edu', PRODUCT_NAME: 'My.Custom.Domain' },
});
await e.startWorker();
const db = e.db();
const deps = certificateDeps(e.t.container.jobDeps);
const server = serve({ fetch: e.t.app.fetch, port: 0 });
await new Promise((r) => server.once('listening', r));
const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});

/** Screenshot `url` as `who` (null = signed out) in every viewport and both colour schemes. */
async function shot(name: string, who: User | null, url: string, dark = true): Promise<void> {
  if (only && !name.includes(only)) return;
  const cookie = who ? (await e.t.agent(who)).cookies.get(SESSION_COOKIE)! : null;
  for (const scheme of dark ? (['light', 'dark'] as const) : (['light'] as const))
    for (const v of VIEWPORTS) {
      const ctx = await browser.newContext({
        viewport: { width: v.width, height: v.height },
        colorScheme: scheme,
      });
      if (cookie) await ctx.addCookies([{ name: SESSION_COOKIE, value: cookie, url: base }]);
      const page = await ctx.newPage();
      await page.goto(`${base}${url}`);
      const file = `${name}-${v.tag}${scheme === 'dark' ? '-dark' : ''}.png`;
      await page.screenshot({ path: path.join(OUT, file), fullPage: v.tag === 'laptop' });
      await ctx.close();
    }
  console.log(`${name}: ${url}`);
}

const person = (username: string, display: string, role: User['role'] = 'student') =>
  insertUser(db, { username, dns_label: username, display_name: display, role });

try {
  const newcomer = await person('newbie', 'Nia Newcomer');
  const jdoe = await person('jdoe', 'Jordan Doe');
  const admin = await person('admin1', 'Ada Admin', 'admin');

  await shot('home-signed-out', null, '/');
  await shot('records-empty', newcomer, '/dns-records');
  await shot('record-new', newcomer, '/dns-records/new');

  const values: [string, 'A' | 'AAAA' | 'CNAME' | 'MX' | 'TXT', string][] = [
    ['www', 'A', '192.0.2.10'],
    ['www', 'AAAA', '2001:db8::10'],
    ['blog', 'CNAME', 'jdoe.github.io'],
    ['mail', 'MX', 'mx.example.net'],
    ['api', 'A', '198.51.100.7'],
    [
      '_dmarc',
      'TXT',
      'v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@example.edu; ruf=mailto:dmarc@example.edu; fo=1',
    ],
  ];
  const ids: number[] = [];
  for (const [sub, type, value] of values) ids.push(await insertRecord(db, jdoe, sub, type, value));
  // One record expiring tomorrow.
  await db
    .updateTable('dns_records')
    .set({ expires_at: Date.now() + 86_400_000 })
    .where('id', '=', ids[4]!)
    .execute();
  await shot('records-full', jdoe, '/dns-records');
  await shot('record-edit', jdoe, `/dns-records/${ids[0]}`);
  await shot('record-check', jdoe, `/dns-records/${ids[0]}/check`, false);
  await shot('record-instructions', jdoe, '/dns-records/instructions', false);

  await shot('certificate-none', newcomer, '/certificate');
  await waitSettled(db, (await requestCertificate(deps, null, jdoe)).certificate.id);
  await shot('certificate-issued', jdoe, '/certificate');
  await shot('certificate-information', jdoe, '/certificate/information', false);

  // A queue: fifty-odd students ask at once (the development budget is Let's Encrypt's).
  const crowd: User[] = [];
  for (let i = 0; i < 56; i++) crowd.push(await insertUser(db));
  const quiet = { ...deps, queue: { ...deps.queue, enqueue: async () => {} } };
  for (const u of crowd) await requestCertificate(quiet, null, u);
  await dispatchQueue(quiet, async () => {});
  await shot('certificate-queued', crowd[53]!, '/certificate');

  await shot('tokens', jdoe, '/tokens');
  await shot('history', jdoe, '/history', false);
  await shot('admin-dashboard', admin, '/admin');
  await shot('admin-user', admin, `/admin/users/${jdoe.id}`);
  await shot('admin-audit', admin, '/admin/audit', false);
  await recordRateLimit(deps, {
    certificateId: null,
    operation: 'new-order',
    detail: 'too many new orders (300) from this account in the last 3 hours',
    retryAfterMs: 3_600_000,
  });
  await shot('admin-certificate-queue', admin, '/admin/certificates');
  await shot('api-docs', jdoe, '/docs/api', false);
} finally {
  await browser.close();
  server.close();
  await e.cleanup();
}
