import { expect, test } from '@playwright/test';
import { createARecord, signInAsDev } from './support/pages.js';

/**
 * An admin (development IdP) searches for a student, impersonates them, edits the student's record
 * as them, stops impersonating and finds all of it in the audit log.
 */
const devUrl = () => process.env.E2E_DEV_APP_URL!;

test('admin searches, impersonates, edits a record as the user, stops, and audits it', async ({
  browser,
}) => {
  const name = `e2e${Date.now().toString(36)}`;

  // The student exists and owns a record.
  const studentCtx = await browser.newContext();
  const student = await studentCtx.newPage();
  await signInAsDev(student, devUrl(), 'Dev Student');
  await createARecord(student, devUrl(), name, '192.0.2.10');
  await studentCtx.close();

  // The admin signs in and searches (htmx, debounced) for the student.
  const page = await browser.newPage();
  await signInAsDev(page, devUrl(), 'Dev Admin');
  await page.goto(`${devUrl()}/admin`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Admin');
  await expect(page.locator('[data-metric="users"]')).not.toHaveText('0');
  await page.locator('#q').pressSequentially('dev.stu', { delay: 30 });
  const result = page.locator('#user-results').getByRole('link', { name: 'dev.student' });
  await expect(result).toBeVisible();
  expect(page.url()).toBe(`${devUrl()}/admin`); // htmx swapped the results in place
  await result.click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('dev.student');

  // Impersonate: the banner says so plainly.
  await page.getByRole('button', { name: 'Impersonate' }).click();
  await expect(page.getByRole('status')).toContainText('Impersonating: Dev Student (dev.student)');
  await page.goto(`${devUrl()}/dns-records`);
  await page.getByRole('link', { name: new RegExp(`^Edit ${name}\\.`) }).click(); // named by app.js
  await page.locator('#value').fill('192.0.2.77');
  await page.getByRole('button', { name: 'Update' }).click();
  await expect(page).toHaveURL(/\/dns-records\?done=updated/);
  await expect(page.locator('table')).toContainText('192.0.2.77');

  // Stop impersonating from the banner.
  await page.getByRole('button', { name: 'Stop impersonating' }).click();
  await expect(page.getByText('You stopped impersonating this user.')).toBeVisible();
  await expect(page.getByText('Impersonating:')).toHaveCount(0);
  await expect(page.locator('#header-user')).toHaveText('Dev Admin');

  // The audit log shows the impersonation ("dev.admin on dev.student") and the edit ("… for …").
  await page.goto(`${devUrl()}/admin/audit?user=dev.student`);
  const rows = page.locator('tr.audit-row');
  const start = rows.filter({
    has: page.locator('[data-label="Action"]', { hasText: 'admin.impersonate.start' }),
  });
  const edit = rows.filter({
    has: page.locator('[data-label="Action"]', { hasText: 'dns-record.update' }),
  });
  const stop = rows.filter({
    has: page.locator('[data-label="Action"]', { hasText: 'admin.impersonate.stop' }),
  });
  // Starting and stopping are the admin's actions upon the account; the edit was made for the user.
  await expect(start.first()).toContainText('dev.admin on dev.student');
  await expect(stop.first()).toContainText('dev.admin on dev.student');
  const edited = edit.filter({ hasText: '192.0.2.77' });
  await expect(edited).toHaveCount(1);
  await expect(edited).toContainText('dev.admin for dev.student');
  await page.close();
});
