/**
 * The records search tells screen readers how many records it shows: a polite live region that stays
 * in the page while htmx swaps the list, its text updated with each search ("2 of 40 records"). Without
 * JavaScript the same count is printed with the results.
 */
import { expect, test } from '@playwright/test';
import { createARecord, signInAsDev } from './support/pages.js';

const devUrl = () => process.env.E2E_DEV_APP_URL!;

test('searching announces the number of results in a polite live region that survives the swap', async ({
  page,
}) => {
  await signInAsDev(page, devUrl(), 'Dev Student');
  const tag = `cnt${Date.now().toString(36)}`;
  await createARecord(page, devUrl(), `${tag}a`, '192.0.2.31');
  await createARecord(page, devUrl(), `${tag}b`, '192.0.2.32');
  await page.goto(`${devUrl()}/dns-records`);
  const status = page.locator('#records-status');
  await expect(status).toHaveAttribute('role', 'status');
  await expect(status).toHaveAttribute('aria-live', 'polite');
  const all = Number(/^(\d+) records?$/.exec((await status.textContent())!.trim())![1]);
  expect(all).toBeGreaterThanOrEqual(2);
  // Mark the region: the same element must still be there after the swaps (a new live region is
  // often not announced).
  await status.evaluate((el) => ((el as HTMLElement & { marked?: boolean }).marked = true));
  await page.locator('#q').fill(tag);
  await expect(page.locator('tbody tr')).toHaveCount(2);
  await expect(status).toHaveText(`2 of ${all} records`);
  await page.locator('#q').fill(`${tag}b`);
  await expect(page.locator('tbody tr')).toHaveCount(1);
  await expect(status).toHaveText(`1 of ${all} records`);
  await page.locator('#q').fill(`${tag}zzz`);
  await expect(page.getByRole('heading', { name: 'Nothing matches' })).toBeVisible();
  await expect(status).toHaveText(`0 of ${all} records`);
  expect(
    await status.evaluate((el) => (el as HTMLElement & { marked?: boolean }).marked === true),
  ).toBe(true);
  await expect(page.locator('[id="records-status"]')).toHaveCount(1);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });
  test('the count is printed with the results', async ({ page }) => {
    await page.goto(`${devUrl()}/login`);
    await page.getByRole('button', { name: 'Sign In' }).click();
    await page.getByRole('button', { name: 'Sign in as Dev Student' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.goto(`${devUrl()}/dns-records?q=cnt`);
    await expect(page.locator('#records-count')).toContainText(/· \d+ match/);
    await expect(page.locator('#records-status')).toHaveText(/^\d+ of \d+ records?$/);
  });
});
