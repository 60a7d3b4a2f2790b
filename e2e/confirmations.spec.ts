/**
 * Confirmations in a real browser: every one is a link to a page that asks (see the no-JavaScript
 * tests), shown in a <dialog> by app.js through one code path. For token revoke, unsuspend, certificate
 * renewal and label unblock: the dialog opens with focus on Cancel, Escape closes it and puts focus
 * back on the opener, confirming acts and focus lands on the next page's message. Never a browser
 * confirm(). (Record delete, whose row goes in place: e2e/dns-records.spec.ts.)
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import AxeBuilder from '@axe-core/playwright';
import { type Locator, type Page, expect, test } from '@playwright/test';
import { signInAsDev } from './support/pages.js';

const devUrl = () => process.env.E2E_DEV_APP_URL!;
const sqlite = () => {
  const db = new Database(path.join(process.env.E2E_DEV_DATA_DIR!, 'starchart.sqlite'));
  db.pragma('busy_timeout = 5000');
  return db;
};

/** The accessible name (or text) of the focused element, '' when nothing is. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return '';
    return (el.getAttribute('aria-label') || el.textContent || '').trim();
  });

function noBrowserConfirm(page: Page) {
  page.on('dialog', (d) => {
    void d.dismiss();
    throw new Error(`a browser ${d.type()}() was shown`);
  });
}

/**
 * The shared steps: the opener shows the question in a modal <dialog> without leaving the page, focus
 * on Cancel; Escape closes it with focus back on the opener; opened again, `confirm` is pressed.
 */
async function askEscapeThenConfirm(
  page: Page,
  opener: Locator,
  title: string,
  confirm: string,
): Promise<void> {
  const url = page.url();
  await opener.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: title });
  await expect(dialog).toBeVisible();
  expect(page.url()).toBe(url);
  expect(await focused(page)).toBe('Cancel');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(opener).toBeFocused();
  // Cancel closes it the same way.
  await opener.click();
  await expect(dialog).toBeVisible();
  await dialog.getByRole('link', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(opener).toBeFocused();
  expect(page.url()).toBe(url);
  // Confirm.
  await page.keyboard.press('Enter');
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: confirm }).click();
}

/** After a confirmed action the next page's message has focus (not the top of the page). */
async function expectFocusOnMessage(page: Page, text: string | RegExp) {
  const message = page.locator('main').getByText(text).first();
  await expect(message).toBeVisible();
  await expect
    .poll(() =>
      page.evaluate(() => {
        const el = document.activeElement;
        return el && el !== document.body ? (el.textContent ?? '').trim() : '';
      }),
    )
    .toMatch(text);
}

test('token revoke: dialog, Escape returns focus, confirming revokes and focuses the message', async ({
  page,
}) => {
  noBrowserConfirm(page);
  await signInAsDev(page, devUrl(), 'Dev Student');
  await page.goto(`${devUrl()}/tokens`);
  const name = `dialog ${Date.now().toString(36)}`;
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByRole('checkbox', { name: /Read DNS records/ }).check();
  await page.getByRole('button', { name: 'Create token' }).click();
  await page.goto(`${devUrl()}/tokens`);
  const row = page.locator('tr', { hasText: name });
  const revoke = row.getByRole('link', { name: `Revoke ${name}` });
  await askEscapeThenConfirm(page, revoke, 'Revoke token', 'Revoke');
  await expect(page).toHaveURL(/\/tokens\?done=revoked$/);
  await expectFocusOnMessage(page, 'Token revoked.');
  await expect(page.locator('tr', { hasText: name }).locator('.badge')).toHaveText('revoked');
});

test('axe finds nothing with a fetched question open in the dialog (light and dark)', async ({
  page,
}) => {
  await signInAsDev(page, devUrl(), 'Dev Student');
  await page.goto(`${devUrl()}/tokens`);
  const name = `axe ${Date.now().toString(36)}`;
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByRole('checkbox', { name: /Read DNS records/ }).check();
  await page.getByRole('button', { name: 'Create token' }).click();
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(`${devUrl()}/tokens`);
    await page.getByRole('link', { name: `Revoke ${name}` }).click();
    await expect(page.getByRole('dialog', { name: 'Revoke token' })).toBeVisible();
    const result = await new AxeBuilder({ page }).analyze();
    const found = result.violations.map(
      (v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
    expect(found, scheme).toEqual([]);
  }
});

test('unsuspend: dialog, Escape returns focus, confirming lifts the suspension and focuses the message', async ({
  page,
}) => {
  noBrowserConfirm(page);
  const db = sqlite();
  const tag = `held${Date.now().toString(36)}`;
  const now = Date.now();
  const id = Number(
    db
      .prepare(
        `INSERT INTO users (username, dns_label, display_name, email, groups, role, suspended_at,
           created_at, updated_at) VALUES (?, ?, ?, ?, '[]', 'student', ?, ?, ?)`,
      )
      .run(tag, tag, 'Held Student', `${tag}@example.edu`, now, now, now).lastInsertRowid,
  );
  db.close();
  await signInAsDev(page, devUrl(), 'Dev Admin');
  await page.goto(`${devUrl()}/admin/users/${id}`);
  await expect(page.locator('#suspended-alert')).toBeVisible();
  const unsuspend = page.getByRole('link', { name: 'Unsuspend…' });
  await askEscapeThenConfirm(page, unsuspend, 'Unsuspend user', 'Unsuspend user');
  await expect(page).toHaveURL(new RegExp(`/admin/users/${id}\\?done=unsuspended$`));
  await expect(page.locator('#suspended-alert')).toHaveCount(0);
  await expectFocusOnMessage(page, /unsuspended/i);
  await expect(page.getByRole('link', { name: 'Suspend…' })).toBeVisible();
});

test('label unblock: dialog, Escape returns focus, confirming unblocks', async ({ page }) => {
  noBrowserConfirm(page);
  await signInAsDev(page, devUrl(), 'Dev Admin');
  await page.goto(`${devUrl()}/admin/blocked-labels`);
  const label = `blk${Date.now().toString(36)}`;
  await page.getByLabel('Label').fill(label);
  await page.getByLabel('Reason').fill('e2e');
  await page.getByRole('button', { name: 'Block label' }).click();
  await expect(page).toHaveURL(/done=blocked/);
  const unblock = page.getByRole('link', { name: `Unblock ${label}` });
  await askEscapeThenConfirm(page, unblock, 'Unblock this label?', `Unblock ${label}`);
  await expect(page).toHaveURL(/done=unblocked/);
  await expect(page.getByRole('link', { name: `Unblock ${label}` })).toHaveCount(0);
  await expectFocusOnMessage(page, /unblocked/i);
});

test('certificate renewal: dialog, Escape returns focus, confirming orders a new certificate', async ({
  page,
}) => {
  test.setTimeout(150_000);
  noBrowserConfirm(page);
  await signInAsDev(page, devUrl(), 'Dev Faculty');
  await page.goto(`${devUrl()}/certificate`);
  const request = page.getByRole('button', { name: 'Request a Certificate' });
  if (await request.isVisible()) await request.click();
  await expect(page.getByRole('heading', { name: 'Using your certificate' })).toBeVisible({
    timeout: 45_000,
  });
  // Into the window for a renewal by hand (the automatic renewal stays weeks away).
  const db = sqlite();
  const now = Date.now();
  const changed = db
    .prepare(
      `UPDATE certificates SET valid_from = ?, valid_to = ?, renew_at = ?
         WHERE status = 'issued' AND user_id = (SELECT id FROM users WHERE display_name = 'Dev Faculty')`,
    )
    .run(now - 89 * 86_400_000, now + 86_400_000, now + 30 * 86_400_000).changes;
  db.close();
  expect(changed).toBe(1);
  await page.reload();
  const renew = page.getByRole('link', { name: 'Renew now…' });
  await askEscapeThenConfirm(page, renew, 'Renew your certificate now?', 'Renew now');
  await expect(page).toHaveURL(/\/certificate\?done=requested$/);
  // Focus is on what the page says now (the pending request, or the new certificate's notice).
  await expect
    .poll(() =>
      page.evaluate(() => {
        const el = document.activeElement;
        return !!el && el !== document.body && !!el.closest('main');
      }),
    )
    .toBe(true);
  await expect(
    page.getByText(/Your certificate is ready|Renewing|queue|Requesting/i).first(),
  ).toBeVisible({ timeout: 45_000 });
  // Leave Dev Faculty without a certificate again (e2e/certificate.spec.ts requests one): the
  // in-page delete dialog, the same code path.
  await expect(page.getByRole('heading', { name: 'Using your certificate' })).toBeVisible({
    timeout: 45_000,
  });
  await page.getByRole('link', { name: 'Delete…' }).click();
  const del = page.getByRole('dialog', { name: 'Delete your certificate?' });
  await expect(del).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('link', { name: 'Delete…' })).toBeFocused();
  await page.getByRole('link', { name: 'Delete…' }).click();
  await del.getByRole('button', { name: 'Delete and revoke' }).click();
  await expect(page).toHaveURL(/done=deleted/);
  await expectFocusOnMessage(page, 'Certificate deleted and revoked.');
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('unsuspend and unblock ask on a page with a Cancel link; Cancel changes nothing', async ({
    page,
  }) => {
    const db = sqlite();
    const tag = `nojs${Date.now().toString(36)}`;
    const now = Date.now();
    const id = Number(
      db
        .prepare(
          `INSERT INTO users (username, dns_label, display_name, email, groups, role, suspended_at,
             created_at, updated_at) VALUES (?, ?, ?, ?, '[]', 'student', ?, ?, ?)`,
        )
        .run(tag, tag, 'No Script', `${tag}@example.edu`, now, now, now).lastInsertRowid,
    );
    db.close();
    await page.goto(`${devUrl()}/login`);
    await page.getByRole('button', { name: 'Sign In' }).click();
    await page.getByRole('button', { name: 'Sign in as Dev Admin' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.goto(`${devUrl()}/admin/users/${id}`);
    await page.getByRole('link', { name: 'Unsuspend…' }).click();
    await expect(page).toHaveURL(new RegExp(`/admin/users/${id}/unsuspend$`));
    await expect(page.getByRole('heading', { level: 1, name: 'Unsuspend user' })).toBeVisible();
    await page.getByRole('link', { name: 'Cancel' }).click();
    await expect(page.locator('#suspended-alert')).toBeVisible();
    await page.getByRole('link', { name: 'Unsuspend…' }).click();
    await page.getByRole('button', { name: 'Unsuspend user' }).click();
    await expect(page).toHaveURL(/done=unsuspended/);
    await expect(page.locator('#suspended-alert')).toHaveCount(0);

    await page.goto(`${devUrl()}/admin/blocked-labels`);
    const label = `nojs${Date.now().toString(36)}`;
    await page.getByLabel('Label').fill(label);
    await page.getByRole('button', { name: 'Block label' }).click();
    await page.getByRole('link', { name: `Unblock ${label}` }).click();
    await expect(
      page.getByRole('heading', { level: 1, name: 'Unblock this label?' }),
    ).toBeVisible();
    await page.getByRole('button', { name: `Unblock ${label}` }).click();
    await expect(page).toHaveURL(/done=unblocked/);
    await expect(page.getByRole('link', { name: `Unblock ${label}` })).toHaveCount(0);
  });
});
