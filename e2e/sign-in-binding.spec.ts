import { expect, test } from '@playwright/test';

const appUrl = () => process.env.E2E_APP_URL!;
const idpUrl = () => process.env.E2E_IDP_URL!;

test('a sign-in answer carried to another browser is refused there and still works where it started', async ({
  browser,
}) => {
  // Browser A signs in at SimpleSAMLphp; its POST to the ACS is held while browser B uses the answer.
  const a = await browser.newContext();
  const pageA = await a.newPage();
  let capture!: (body: string) => void;
  const captured = new Promise<string>((resolve) => (capture = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  await pageA.route(`${appUrl()}/login/callback`, async (route) => {
    capture(route.request().postData() ?? '');
    await released;
    await route.continue();
  });
  await pageA.goto(`${appUrl()}/login?redirectTo=%2Fhistory`);
  await pageA.getByRole('button', { name: 'Sign In' }).click();
  await pageA.locator('#username').fill('user1');
  await pageA.locator('#password').fill('user1pass');
  await pageA.locator('#password').press('Enter');
  const fields = Object.fromEntries(new URLSearchParams(await captured));
  expect(fields.SAMLResponse).toBeTruthy();

  // The binding cookie as a real browser stored it (http APP_URL: Lax, scoped to /login).
  const binding = (await a.cookies()).filter((c) => c.name.startsWith('__signin-'));
  expect(binding).toHaveLength(1);
  expect(binding[0]).toMatchObject({ path: '/login', httpOnly: true, sameSite: 'Lax' });

  // Browser B posts A's answer, as a page of another site could make a victim's browser do.
  const b = await browser.newContext();
  const pageB = await b.newPage();
  await pageB.evaluate(
    ({ action, fields }) => {
      const form = document.createElement('form');
      form.method = 'post';
      form.action = action;
      for (const [name, value] of Object.entries(fields)) {
        const input = document.createElement('input');
        input.type = 'hidden';
        input.name = name;
        input.value = value;
        form.appendChild(input);
      }
      document.body.appendChild(form);
      form.submit();
    },
    { action: `${appUrl()}/login/callback`, fields },
  );
  await expect(pageB.getByRole('heading', { level: 1 })).toHaveText('Sign in again');
  await expect(pageB.getByRole('alert')).toContainText('not started in this browser');
  expect((await b.cookies()).some((c) => c.name === '__session')).toBe(false);

  // A's own post goes through: the answer was not used up by B's attempt.
  release();
  await expect(pageA).toHaveURL(`${appUrl()}/history`);
  await expect(pageA.locator('#header-user')).toHaveText('Johannes Kepler');
  expect((await a.cookies()).some((c) => c.name.startsWith('__signin-'))).toBe(false);

  // B can start a sign-in of its own from the page.
  await pageB.getByRole('button', { name: 'Start again' }).click();
  await expect(pageB).toHaveURL(new RegExp(`^${idpUrl()}/module.php/core/loginuserpass`));
  await a.close();
  await b.close();
});
