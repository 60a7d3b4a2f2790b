import { expect, test } from '@playwright/test';

const devUrl = () => process.env.E2E_DEV_APP_URL!;

test('signs in through the development IdP with no configuration', async ({ page }) => {
  await page.goto(`${devUrl()}/`);
  await page.getByRole('button', { name: 'Sign In' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Development sign-in');
  await page.getByRole('button', { name: 'Sign in as Dev Admin' }).click();
  await expect(page).toHaveURL(`${devUrl()}/`);
  await expect(page.locator('#header-user')).toHaveText('Dev Admin');
  await expect(page.getByRole('heading', { name: 'Admin' })).toBeVisible();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Signed out everywhere');
});

test('the layout fits a phone screen', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto(`${devUrl()}/login`);
  await page.getByRole('button', { name: 'Sign In' }).click();
  await page.getByRole('button', { name: 'Sign in as Dev Student' }).click();
  await expect(page.locator('#header-user')).toHaveText('Dev Student');
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
});
