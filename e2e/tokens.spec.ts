import { expect, test } from '@playwright/test';
import { signInAsDev } from './support/pages.js';

/**
 * The Tokens page in a browser: create a token, copy it and a client snippet, see it once only, revoke
 * it through the confirmation dialog. Also: on a phone nothing sticks out of the screen (long secrets
 * wrap, snippets scroll inside their block), and without JavaScript revoking asks on a page.
 */
const devUrl = () => process.env.E2E_DEV_APP_URL!;
const TOKEN = /^stc_[a-z2-7]{12}[A-Za-z0-9_-]{43}$/;

test('create → copy the token and a snippet → shown once → revoke', async ({ browser }) => {
  const ctx = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await ctx.newPage();
  await signInAsDev(page, devUrl(), 'Dev Student');
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: 'Tokens' })
    .click();
  await expect(page).toHaveURL(/\/tokens$/);
  const name = `e2e ${Date.now().toString(36)}`;

  // A mistake first: the form comes back with what was typed.
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Expires after (days)').fill('0');
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByText('Choose at least one permission.')).toBeVisible();
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue(name);

  await page.getByLabel('Expires after (days)').fill('7');
  await page.getByRole('checkbox', { name: /Change DNS records/ }).check();
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(
    page.getByRole('heading', { name: `Copy your new token “${name}” now` }),
  ).toBeVisible();

  const secret = (await page.locator('pre[aria-labelledby="secret-label"] code').textContent())!;
  expect(secret).toMatch(TOKEN);
  const copy = page.getByRole('button', { name: 'Copy Access token' });
  await copy.click();
  await expect(copy).toHaveText('Copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);

  // Snippets are collapsed until opened; each part copies on its own.
  const certbot = page.locator('#snippet-certbot');
  await expect(certbot.locator('pre').first()).toBeHidden();
  await certbot.locator('summary').click();
  await expect(certbot.locator('pre').first()).toBeVisible();
  await certbot.getByRole('button', { name: /Copy ~\/.secrets/ }).click();
  const ini = await page.evaluate(() => navigator.clipboard.readText());
  expect(ini).toContain('dns_rfc2136_name = ');
  expect(ini).toContain('dns_rfc2136_algorithm = HMAC-SHA256');

  // Shown once: the list page does not have it.
  await page.goto(`${devUrl()}/tokens`);
  const row = page.locator('tr', { hasText: name });
  await expect(row.locator('.badge')).toHaveText('active');
  expect(await page.content()).not.toContain(secret);

  // Revoke asks in a <dialog> (never a browser confirm()).
  page.on('dialog', () => {
    throw new Error('a browser confirm() was shown');
  });
  await row.getByRole('link', { name: `Revoke ${name}` }).click();
  const dialog = page.getByRole('dialog', { name: 'Revoke token' });
  await expect(dialog).toContainText(name);
  await dialog.getByRole('button', { name: 'Revoke' }).click();
  await expect(page).toHaveURL(/\/tokens\?done=revoked$/);
  await expect(page.getByText('Token revoked.')).toBeVisible();
  await expect(page.locator('tr', { hasText: name }).locator('.badge')).toHaveText('revoked');
  await ctx.close();
});

test('on a phone the new token and its snippets stay within the screen', async ({ browser }) => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await ctx.newPage();
  await signInAsDev(page, devUrl(), 'Dev Student');
  await page.goto(`${devUrl()}/tokens`);
  await page.getByLabel('Name', { exact: true }).fill(`phone ${Date.now().toString(36)}`);
  await page.getByRole('checkbox', { name: /Read DNS records/ }).check();
  await page.getByRole('button', { name: 'Create token' }).click();
  await page.locator('#snippet-cert-manager summary').click();
  await page.locator('#snippet-curl summary').click();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  // The long lines scroll inside their block instead.
  const pre = page.locator('#snippet-curl pre');
  const { scroll, client } = await pre.evaluate((el) => ({
    scroll: el.scrollWidth,
    client: el.clientWidth,
  }));
  expect(scroll).toBeGreaterThan(client);
  await ctx.close();
});

test('without JavaScript, revoking asks on a page first', async ({ browser }) => {
  const ctx = await browser.newContext({ javaScriptEnabled: false });
  const page = await ctx.newPage();
  await page.goto(`${devUrl()}/login`);
  await page.getByRole('button', { name: 'Sign In' }).click();
  await page.getByRole('button', { name: 'Sign in as Dev Student' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.goto(`${devUrl()}/tokens`);
  const name = `nojs ${Date.now().toString(36)}`;
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByRole('checkbox', { name: /Read DNS records/ }).check();
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.locator('pre[aria-labelledby="secret-label"] code')).toHaveText(TOKEN);
  // No Copy buttons without JavaScript: the text is there to select.
  await expect(page.getByRole('button', { name: 'Copy Access token' })).toBeHidden();
  await page.goto(`${devUrl()}/tokens`);
  await page
    .locator('tr', { hasText: name })
    .getByRole('link', { name: `Revoke ${name}` })
    .click();
  await expect(page.getByRole('heading', { name: 'Revoke token' })).toBeVisible();
  await page.getByRole('button', { name: 'Revoke' }).click();
  await expect(page.locator('tr', { hasText: name }).locator('.badge')).toHaveText('revoked');
  await ctx.close();
});
