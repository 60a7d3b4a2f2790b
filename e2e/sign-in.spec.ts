import { expect, test } from '@playwright/test';

const appUrl = () => process.env.E2E_APP_URL!;
const idpUrl = () => process.env.E2E_IDP_URL!;

test('signs in through the SimpleSAMLphp login form and lands on / with the right name', async ({
  page,
}) => {
  await page.goto(`${appUrl()}/`);
  await expect(page).toHaveURL(`${appUrl()}/login?redirectTo=%2F`);
  await page.getByRole('button', { name: 'Sign In' }).click();
  await expect(page).toHaveURL(new RegExp(`^${idpUrl()}/module.php/core/loginuserpass`));
  await page.locator('#username').fill('user1');
  await page.locator('#password').fill('user1pass');
  await page.locator('#password').press('Enter');
  await expect(page).toHaveURL(`${appUrl()}/`);
  await expect(page.locator('#header-user')).toHaveText('Johannes Kepler');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Welcome to My.Custom.Domain!');
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link')).toHaveText([
    'DNS Records',
    'Certificate',
    'Namespaces',
    'Tokens',
    'History',
  ]);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(`${appUrl()}/logout`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(
    'You have been signed out of My.Custom.Domain.',
  );
});

test('an admin returns to redirectTo and sees the Admin link', async ({ page }) => {
  await page.goto(`${appUrl()}/login?redirectTo=%2F%3Fwelcome%3D1`);
  await page.getByRole('button', { name: 'Sign In' }).click();
  await page.locator('#username').fill('user3');
  await page.locator('#password').fill('user3pass');
  await page.locator('#password').press('Enter');
  await expect(page).toHaveURL(`${appUrl()}/?welcome=1`);
  await expect(page.locator('#header-user')).toHaveText('Adam Mason');
  await expect(page.getByRole('link', { name: 'Admin' }).first()).toBeVisible();
});
