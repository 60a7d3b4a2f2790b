/**
 * Accessibility (axe-core, every rule, any impact) and layout on every page a student and an admin
 * reach, in light and dark mode: zero violations, and no element wider than a 360 px viewport.
 */
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { type Page, expect, test } from '@playwright/test';
import Database from 'better-sqlite3';
import { createARecord, signInAsDev } from './support/pages.js';

const devUrl = () => process.env.E2E_DEV_APP_URL!;

async function audit(page: Page, path: string) {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(`${devUrl()}${path}`);
    const result = await new AxeBuilder({ page }).analyze();
    const found = result.violations.map(
      (v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
    expect(found, `${path} in ${scheme} mode`).toEqual([]);
  }
}

async function noOverflow(page: Page, path: string) {
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto(`${devUrl()}${path}`);
  const wide = await page.evaluate(() =>
    Array.from(document.querySelectorAll('body *'))
      // Only what is rendered: the closed menu's panel keeps a layout but is not shown.
      .filter((e) => e.checkVisibility())
      .filter((e) => {
        const r = e.getBoundingClientRect();
        return r.width > 0 && r.right > document.documentElement.clientWidth + 1;
      })
      .map(
        (e) =>
          `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}.${Array.from(e.classList).join('.')}`,
      ),
  );
  expect(wide, `${path} at 360 px`).toEqual([]);
}

const STUDENT_PAGES = [
  '/',
  '/dns-records',
  '/dns-records/new',
  '/dns-records/instructions',
  '/certificate',
  '/certificate/information',
  '/tokens',
  '/namespaces',
  '/history',
];
const ADMIN_PAGES = ['/admin', '/admin/audit', '/admin/blocked-labels', '/admin/certificates'];

test('student pages: no axe violations (light and dark), nothing wider than 360 px', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await signInAsDev(page, devUrl(), 'Dev Student');
  await createARecord(page, devUrl(), `a11y${Date.now() % 100000}`, '192.0.2.7');
  for (const p of STUDENT_PAGES) {
    await audit(page, p);
    await noOverflow(page, p);
    await page.setViewportSize({ width: 1366, height: 900 });
  }
});

test('admin pages: no axe violations (light and dark), nothing wider than 360 px', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await signInAsDev(page, devUrl(), 'Dev Admin');
  for (const p of ADMIN_PAGES) {
    await audit(page, p);
    await noOverflow(page, p);
    await page.setViewportSize({ width: 1366, height: 900 });
  }
});

test('namespace pages (faculty): no axe violations (light and dark), nothing wider than 360 px', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await signInAsDev(page, devUrl(), 'Dev Faculty');
  // A namespace with a member, a linked group (long name) and the form with errors.
  await page.goto(`${devUrl()}/namespaces/new`);
  await page.getByLabel('Name').fill('Not Valid!');
  await page.getByLabel('Record limit').fill('lots');
  await page.getByRole('button', { name: 'Create namespace' }).click();
  await expect(page.locator('[aria-invalid="true"]').first()).toBeVisible();
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    const found = (await new AxeBuilder({ page }).analyze()).violations.map((v) => v.id);
    expect(found, `namespace form with errors in ${scheme} mode`).toEqual([]);
  }
  await page.getByLabel('Name').fill(`a11y${Date.now().toString(36)}`);
  await page.getByLabel('Record limit').fill('25');
  await page.getByRole('button', { name: 'Create namespace' }).click();
  await expect(page).toHaveURL(/\/namespaces\/\d+\?done=created$/);
  const ns = new URL(page.url()).pathname;
  await page
    .getByLabel('Group name')
    .fill('a-rather-long-group-name-from-the-identity-provider-2027');
  await page.getByRole('button', { name: 'Link', exact: true }).click();
  await expect(page.getByText('Group linked.')).toBeVisible();
  for (const p of ['/namespaces', '/namespaces/new', ns]) {
    await audit(page, p);
    await noOverflow(page, p);
    await page.setViewportSize({ width: 1366, height: 900 });
  }
  await audit(
    page,
    `${ns}/groups/unlink?group=a-rather-long-group-name-from-the-identity-provider-2027`,
  );
});

test('states: form errors, pending and refused records, impersonating: no axe violations', async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const studentCtx = await browser.newContext();
  const student = await studentCtx.newPage();
  await signInAsDev(student, devUrl(), 'Dev Student');
  // The new-record form as the server returns it with every field wrong.
  await student.goto(`${devUrl()}/dns-records/new`);
  await student.locator('#subdomain').fill('Not_Valid!');
  await student.locator('#type').selectOption('A');
  await student.locator('#value').fill('not-an-address');
  await student.getByRole('button', { name: 'Create' }).click();
  await expect(student.locator('[aria-invalid="true"]').first()).toBeVisible();
  for (const scheme of ['light', 'dark'] as const) {
    await student.emulateMedia({ colorScheme: scheme });
    const found = (await new AxeBuilder({ page: student }).analyze()).violations.map((v) => v.id);
    expect(found, `form with errors in ${scheme} mode`).toEqual([]);
  }
  // A pending record and one the provider refused (with its reason).
  const stamp = Date.now().toString(36);
  const [pending, refused] = [`pend${stamp}`, `refused${stamp}`];
  await createARecord(student, devUrl(), pending, '192.0.2.8');
  await createARecord(student, devUrl(), refused, '192.0.2.9');
  const db = new Database(path.join(process.env.E2E_DEV_DATA_DIR!, 'starchart.sqlite'));
  try {
    db.prepare(`update dns_records set status = 'pending' where subdomain = ?`).run(pending);
    db.prepare(
      `update dns_records set status = 'error', status_message = 'The DNS provider refused this value.' where subdomain = ?`,
    ).run(refused);
  } finally {
    db.close();
  }
  await audit(student, `/dns-records?q=${stamp}`);
  await studentCtx.close();

  // An admin acting as the student: the banner on the student's pages.
  const adminCtx = await browser.newContext();
  const admin = await adminCtx.newPage();
  await signInAsDev(admin, devUrl(), 'Dev Admin');
  await admin.goto(`${devUrl()}/admin?q=dev.student`);
  await admin.locator('#user-results').getByRole('link', { name: 'dev.student' }).click();
  await admin.getByRole('button', { name: 'Impersonate' }).click();
  try {
    await audit(admin, '/dns-records');
    await audit(admin, '/certificate');
  } finally {
    await admin.emulateMedia({ colorScheme: 'light' });
    await admin.getByRole('button', { name: 'Stop impersonating' }).click();
    await expect(admin.getByText('You stopped impersonating this user.')).toBeVisible();
  }
  await adminCtx.close();
});
