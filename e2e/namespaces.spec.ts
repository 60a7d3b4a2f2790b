import { expect, test } from '@playwright/test';
import { signInAsDev } from './support/pages.js';

/**
 * Shared namespaces in a browser: a professor creates one (a mistake first, kept on the form), adds a
 * student who has signed in, the student finds it in their list; removing the student asks in a
 * <dialog>, and without JavaScript on a page.
 */
const devUrl = () => process.env.E2E_DEV_APP_URL!;

test('faculty create a namespace, add a student, remove them after confirming', async ({
  browser,
}) => {
  // The student signs in once, so they can be added.
  const studentCtx = await browser.newContext();
  const student = await studentCtx.newPage();
  await signInAsDev(student, devUrl(), 'Dev Student');

  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signInAsDev(page, devUrl(), 'Dev Faculty');
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: 'Namespaces' })
    .click();
  await expect(page).toHaveURL(/\/namespaces$/);
  await page.getByRole('link', { name: 'New namespace' }).click();

  const label = `e2e${Date.now().toString(36)}`;
  await page.getByLabel('Name').fill(label.toUpperCase());
  await page.getByLabel(/Description/).fill('End-to-end course');
  await page.getByRole('button', { name: 'Create namespace' }).click();
  await expect(page.getByText(`Use lowercase letters only, for example ${label}.`)).toBeVisible();
  await expect(page.getByLabel(/Description/)).toHaveValue('End-to-end course');

  await page.getByLabel('Name').fill(label);
  await page.getByRole('button', { name: 'Create namespace' }).click();
  await expect(page).toHaveURL(/\/namespaces\/\d+\?done=created$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(`${label}.`);
  const nsUrl = page.url().replace(/\?.*$/, '');

  await page.getByLabel('Username or email').fill('dev.student@example.edu');
  await page.getByLabel('Role').first().selectOption('editor');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(page.getByText('Member saved.')).toBeVisible();
  const row = page.locator('table.ns-members tr', { hasText: 'Dev Student' });
  await expect(row).toContainText('editor');

  // The student sees it in their list, with their role.
  await student.goto(`${devUrl()}/namespaces`);
  await expect(student.getByRole('link', { name: new RegExp(`^${label}\\.`) })).toBeVisible();

  // Removing asks in a <dialog> (never a browser confirm()).
  page.on('dialog', () => {
    throw new Error('no native dialogs');
  });
  await row.getByRole('link', { name: 'Remove Dev Student' }).click();
  const dialog = page.getByRole('dialog', { name: 'Remove member' });
  await expect(dialog).toContainText('Dev Student');
  await dialog.getByRole('link', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(row).toBeVisible();
  await row.getByRole('link', { name: 'Remove Dev Student' }).click();
  await page
    .getByRole('dialog', { name: 'Remove member' })
    .getByRole('button', { name: 'Remove' })
    .click();
  await expect(page.getByText('Member removed.')).toBeVisible();
  await expect(page.locator('table.ns-members')).not.toContainText('Dev Student');

  await student.goto(nsUrl);
  await expect(student.getByRole('heading', { name: 'Not found' })).toBeVisible();
  await ctx.close();
  await studentCtx.close();
});

test('without JavaScript, removing a member asks on a page', async ({ browser }) => {
  const studentCtx = await browser.newContext();
  await signInAsDev(await studentCtx.newPage(), devUrl(), 'Dev Student');
  await studentCtx.close();
  // Signing in needs JavaScript (the IdP's auto-posting form); the session then goes on without it.
  const signIn = await browser.newContext();
  await signInAsDev(await signIn.newPage(), devUrl(), 'Dev Faculty');
  const storageState = await signIn.storageState();
  await signIn.close();
  const ctx = await browser.newContext({ javaScriptEnabled: false, storageState });
  const page = await ctx.newPage();
  await page.goto(`${devUrl()}/namespaces/new`);
  const label = `nojs${Date.now().toString(36)}`;
  await page.getByLabel('Name').fill(label);
  await page.getByRole('button', { name: 'Create namespace' }).click();
  await page.getByLabel('Username or email').fill('dev.student');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.getByRole('link', { name: 'Remove Dev Student' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Remove member' })).toBeVisible();
  await page.getByRole('button', { name: 'Remove' }).click();
  await expect(page.getByText('Member removed.')).toBeVisible();
  await ctx.close();
});
