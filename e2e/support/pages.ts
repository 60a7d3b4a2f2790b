/** Steps several specs take in the browser against the development instance. */
import { type Page, expect } from '@playwright/test';

/** Sign in on the development IdP as one of its test identities (e.g. "Dev Student"). */
export async function signInAsDev(page: Page, appUrl: string, who: string): Promise<void> {
  await page.goto(`${appUrl}/login`);
  await page.getByRole('button', { name: 'Sign In' }).click();
  await page.getByRole('button', { name: `Sign in as ${who}` }).click();
  await expect(page.locator('#header-user')).toHaveText(who);
}

/** Create an A record through the form, as the signed-in user. */
export async function createARecord(
  page: Page,
  appUrl: string,
  subdomain: string,
  value: string,
): Promise<void> {
  await page.goto(`${appUrl}/dns-records/new`);
  await page.locator('#subdomain').fill(subdomain);
  await page.locator('#type').selectOption('A');
  await page.locator('#value').fill(value);
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/dns-records\?done=created/);
}
