/**
 * `npm run screenshots`: every page in its interesting states, at 1366×900 (laptop) and 390×844
 * (phone), light and dark, written to docs/screenshots/ for reviewers. Runs the app in-process on the
 * embedded defaults (SQLite, development CA, built-in DNS server) with Debian's Chromium.
 *   npx tsx scripts/screenshots.ts [name-filter ...]   (only the shots whose name contains one)
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { serve } from '@hono/node-server';
import { type Page, chromium } from 'playwright-core';
import { requestCertificate } from '../src/domain/certificates/certificates.js';
import { dispatchQueue, recordRateLimit } from '../src/domain/certificates/queue.js';
import { createNamespace, grantMember, linkGroup } from '../src/domain/namespaces/namespaces.js';
import { certificateDeps } from '../src/jobs/certificate-deps.js';
import { SESSION_COOKIE } from '../src/web/middleware/session.js';
import type { User } from '../src/db/schema.js';
import { certificateEnv, waitSettled } from '../test/support/certificates.js';
import { insertRecord } from '../test/support/dns.js';
import { insertUser } from '../test/support/factories.js';
import { freePort } from '../test/support/simplesamlphp.js';

const OUT = path.join(import.meta.dirname, '..', 'docs', 'screenshots');
const only = process.argv.slice(2);
const VIEWPORTS = [
  { tag: 'laptop', width: 1366, height: 900 },
  { tag: 'phone', width: 390, height: 844 },
] as const;

mkdirSync(OUT, { recursive: true });
if (only.length === 0)
  for (const f of readdirSync(OUT)) if (f.endsWith('.png')) rmSync(path.join(OUT, f));

// APP_URL is where the browser finds the app, so that sign-in through the development IdP works.
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const e = await certificateEnv('sqlite', 'embedded', {
  devCa: true,
  env: { ROOT_DOMAIN: 'example.edu', PRODUCT_NAME: 'My.Custom.Domain', APP_URL: base },
});
await e.startWorker();
const db = e.db();
const deps = certificateDeps(e.t.container.jobDeps);
const server = serve({ fetch: e.t.app.fetch, port, hostname: '127.0.0.1' });
await new Promise((r) => server.once('listening', r));
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});

/**
 * Screenshot `url` as `who` (a user, a session cookie, or null = signed out) in every viewport and
 * both colour schemes (`dark: false`: light only). `act` runs after the page loaded, e.g. to submit
 * a form; the screenshot shows the page it leaves behind.
 */
async function shot(
  name: string,
  who: User | { cookie: string } | null,
  url: string,
  opts: boolean | { dark?: boolean; act?: (page: Page) => Promise<void> } = true,
): Promise<void> {
  if (only.length > 0 && !only.some((o) => name.includes(o))) return;
  const { dark = true, act } = typeof opts === 'boolean' ? { dark: opts } : opts;
  const cookie =
    who === null
      ? null
      : 'cookie' in who
        ? who.cookie
        : (await e.t.agent(who)).cookies.get(SESSION_COOKIE)!;
  for (const scheme of dark ? (['light', 'dark'] as const) : (['light'] as const))
    for (const v of VIEWPORTS) {
      const ctx = await browser.newContext({
        viewport: { width: v.width, height: v.height },
        colorScheme: scheme,
      });
      if (cookie) await ctx.addCookies([{ name: SESSION_COOKIE, value: cookie, url: base }]);
      const page = await ctx.newPage();
      await page.goto(`${base}${url}`);
      if (act) await act(page);
      const file = `${name}-${v.tag}${scheme === 'dark' ? '-dark' : ''}.png`;
      await page.screenshot({ path: path.join(OUT, file), fullPage: v.tag === 'laptop' });
      await ctx.close();
    }
  console.log(`${name}: ${url}`);
}

const person = (username: string, display: string, role: User['role'] = 'student') =>
  insertUser(db, {
    username,
    dns_label: username.replaceAll('.', ''),
    display_name: display,
    role,
  });

try {
  const newcomer = await person('newbie', 'Nia Newcomer');
  const jdoe = await person('jdoe', 'Jordan Doe');
  const admin = await person('admin1', 'Ada Admin', 'admin');

  await shot('home-signed-out', null, '/');
  await shot('records-empty', newcomer, '/dns-records');
  await shot('record-new', newcomer, '/dns-records/new');
  // The server's answer to an invalid form (the form is novalidate): every field says what is wrong.
  await shot('record-new-errors', newcomer, '/dns-records/new', {
    act: async (page) => {
      await page.locator('#subdomain').fill('My_Site!');
      await page.locator('#type').selectOption('A');
      await page.locator('#value').fill('not-an-address');
      await page.getByRole('button', { name: 'Create' }).click();
      await page.locator('[aria-invalid="true"]').first().waitFor();
      await page.evaluate(() => window.scrollTo(0, 0)); // the phone shot shows the top
    },
  });

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
  // Published, except one still on its way (Route53 takes a moment) and one the provider refused.
  await db
    .updateTable('dns_records')
    .set({ status: 'live', status_at: Date.now() })
    .where('id', 'in', [ids[0]!, ids[1]!, ids[4]!, ids[5]!])
    .execute();
  await db
    .updateTable('dns_records')
    .set({ status: 'error', status_message: 'The DNS provider refused this value.' })
    .where('id', '=', ids[2]!)
    .execute();
  await shot('records-full', jdoe, '/dns-records');
  await shot('records-no-match', jdoe, '/dns-records?q=zzz-no-such-record', false);
  await shot('record-edit', jdoe, `/dns-records/${ids[0]}`);
  await shot('record-check', jdoe, `/dns-records/${ids[0]}/check`, false);
  await shot('record-instructions', jdoe, '/dns-records/instructions', false);

  await shot('certificate-none', newcomer, '/certificate');
  await waitSettled(db, (await requestCertificate(deps, null, jdoe)).certificate.id);
  await shot('certificate-issued', jdoe, '/certificate');
  await shot('certificate-information', jdoe, '/certificate/information', false);

  // A queue: fifty-odd students ask at once (the development budget is Let's Encrypt's).
  const crowd: User[] = [];
  const FIRST = ['alex', 'blake', 'casey', 'devon', 'emery', 'finley', 'harper', 'jesse'];
  const LAST = ['chen', 'singh', 'okafor', 'garcia', 'nguyen', 'martin', 'kowalski'];
  for (let i = 0; i < 56; i++) {
    const first = FIRST[i % FIRST.length]!;
    const last = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
    const username = `${first}.${last}`;
    const display = `${first[0]!.toUpperCase()}${first.slice(1)} ${last[0]!.toUpperCase()}${last.slice(1)}`;
    crowd.push(await person(username, display));
  }
  const quiet = { ...deps, queue: { ...deps.queue, enqueue: async () => {} } };
  for (const u of crowd) await requestCertificate(quiet, null, u);
  await dispatchQueue(quiet, async () => {});
  await shot('certificate-queued', crowd[53]!, '/certificate');
  // The first of the crowd: its order is with the CA (the worker is kept out of it, so it stays there).
  await shot('certificate-pending', crowd[0]!, '/certificate');

  await shot('tokens', jdoe, '/tokens');

  // Shared namespaces: a student in none, a professor who runs two, the page of one, the form.
  await shot('namespaces-empty', newcomer, '/namespaces');
  const prof = await person('prof.lee', 'Professor Lee', 'faculty');
  const nsDeps = { db, clock: e.t.container.clock, config: e.t.config };
  const asProf = { user: prof, effectiveUser: prof, requestId: null };
  const term = new Date(Date.now() + 120 * 86_400_000).toISOString().slice(0, 10);
  const osd = await createNamespace(nsDeps, asProf, {
    label: 'osd700',
    description: 'Open Source Development, Winter term: team project sites',
    recordLimit: '40',
    endsAt: term,
  });
  await createNamespace(nsDeps, asProf, { label: 'robotics-club', description: 'Robotics Club' });
  await grantMember(nsDeps, asProf, osd.id, 'jdoe', 'editor');
  await grantMember(nsDeps, asProf, osd.id, 'newbie', 'viewer');
  await linkGroup(nsDeps, asProf, osd.id, 'osd700-winter-students', 'viewer');
  const account = { id: osd.account_id } as User;
  await insertRecord(db, account, 'www', 'A', '192.0.2.70');
  await insertRecord(db, account, 'team1', 'CNAME', 'team1-osd700.github.io');
  await insertRecord(db, account, 'team2', 'AAAA', '2001:db8::72');
  await shot('namespaces-list', prof, '/namespaces');
  await shot('namespaces-page-owner', prof, `/namespaces/${osd.id}`);
  await shot('namespaces-page-viewer', newcomer, `/namespaces/${osd.id}`, false);
  await shot('namespaces-new-errors', prof, '/namespaces/new', {
    act: async (page) => {
      await page.locator('#ns-label').fill('OSD 700');
      await page.locator('#ns-limit').fill('lots');
      await page.getByRole('button', { name: 'Create namespace' }).click();
      await page.locator('[aria-invalid="true"]').first().waitFor();
    },
  });
  await shot('history', jdoe, '/history', false);
  await shot('admin-dashboard', admin, '/admin');
  await shot('admin-user', admin, `/admin/users/${jdoe.id}`);
  await shot('admin-audit', admin, '/admin/audit', false);
  await db
    .insertInto('blocked_labels')
    .values([
      {
        label: 'admissions',
        reason: 'Looks like the university’s own site',
        created_at: Date.now(),
      },
      { label: 'login', reason: 'Phishing risk', created_at: Date.now() },
      { label: 'registrar', reason: null, created_at: Date.now() },
    ])
    .execute();
  await shot('admin-blocked-labels', admin, '/admin/blocked-labels', false);

  // An admin acting as a student: the banner on every page.
  const acting = await e.t.agent(admin);
  const started = await acting.post(`/admin/users/${jdoe.id}/impersonate`);
  if (started.status !== 303) throw new Error(`impersonation refused: ${started.status}`);
  const actingCookie = { cookie: acting.cookies.get(SESSION_COOKIE)! };
  await shot('impersonating-records', actingCookie, '/dns-records');
  await shot('impersonating-certificate', actingCookie, '/certificate', false);

  // A suspended student: the admin's view of them, and what they see when they try to sign in
  // (the development IdP's "Dev Student", suspended).
  const sam = await person('sam.suspended', 'Sam Suspended');
  await insertRecord(db, sam, 'portfolio', 'A', '192.0.2.44');
  await insertRecord(db, sam, 'www', 'CNAME', 'portfolio.samsuspended.example.edu');
  // Suspended the way an admin does it (the audit log and history say by whom and why).
  const suspending = await e.t.agent(admin);
  const suspended = await suspending.post(`/admin/users/${sam.id}/suspend`, {
    confirm: 'yes',
    reason: 'Phishing page reported by IT security',
  });
  if (suspended.status !== 303) throw new Error(`suspension refused: ${suspended.status}`);
  await shot('admin-user-suspended', admin, `/admin/users/${sam.id}`);
  await insertUser(db, {
    username: 'dev.student',
    dns_label: 'devstudent',
    display_name: 'Dev Student',
    suspended_at: Date.now(),
  });
  await shot('sign-in-suspended', null, '/login', {
    act: async (page) => {
      await page.getByRole('button', { name: 'Sign In' }).click();
      await page.getByRole('button', { name: 'Sign in as Dev Student' }).click();
      await page.locator('#account-suspended').waitFor();
    },
  });
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
