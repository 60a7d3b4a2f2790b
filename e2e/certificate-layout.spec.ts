/**
 * The issued certificate page in a real browser: platform tabs with and without JavaScript, the
 * delete dialog, and nothing wider than a 360 px phone.
 */
import { type Page, expect, test } from '@playwright/test';
import { signInAsDev } from './support/pages.js';

const devUrl = () => process.env.E2E_DEV_APP_URL!;
const PLATFORMS = ['nginx', 'Apache', 'Caddy', 'Node.js', 'IIS / Azure', 'AWS ACM'];

/** Dev Student's certificate (requested once, through the page, on the development CA). */
async function issuedCertificatePage(page: Page) {
  await signInAsDev(page, devUrl(), 'Dev Student');
  await page.goto(`${devUrl()}/certificate`);
  const request = page.getByRole('button', { name: 'Request a Certificate' });
  if (await request.isVisible()) await request.click();
  await expect(page.getByRole('heading', { name: 'Install it on your server' })).toBeVisible({
    timeout: 45_000,
  });
}

test.describe.configure({ mode: 'serial' });

test('with JavaScript: the platforms are ARIA tabs with a roving tabindex; Delete asks in a dialog', async ({
  page,
}) => {
  test.setTimeout(60_000);
  await issuedCertificatePage(page);
  const tabs = page.getByRole('tab');
  await expect(tabs).toHaveText(PLATFORMS);
  await expect(page.getByRole('tab', { name: 'nginx' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tabpanel')).toHaveCount(1);
  await expect(page.getByRole('tabpanel')).toContainText('ssl_certificate');
  // Only the selected tab is in the tab order; the arrows move between tabs.
  await expect(page.locator('[role="tab"][tabindex="0"]')).toHaveCount(1);
  await page.getByRole('tab', { name: 'nginx' }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Apache' })).toBeFocused();
  await expect(page.getByRole('tab', { name: 'Apache' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tabpanel')).toContainText('SSLCertificateFile');
  await page.keyboard.press('End');
  await expect(page.getByRole('tab', { name: 'AWS ACM' })).toBeFocused();
  await expect(page.getByRole('tabpanel')).toContainText('aws acm import-certificate');
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'nginx' })).toBeFocused();
  await page.getByRole('tab', { name: 'Caddy' }).click();
  await expect(page.getByRole('tabpanel')).toContainText('reverse_proxy');
  await expect(page).toHaveURL(/#caddy$/);
  // A reload opens the same tab.
  await page.reload();
  await expect(page.getByRole('tab', { name: 'Caddy' })).toHaveAttribute('aria-selected', 'true');

  // Delete opens the dialog (not the confirmation page); Cancel closes it and keeps the certificate.
  const del = page.getByRole('link', { name: 'Delete…' });
  await del.click();
  const dialog = page.getByRole('dialog', { name: 'Delete your certificate?' });
  await expect(dialog).toBeVisible();
  await expect(page).toHaveURL(/\/certificate(#caddy)?$/);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(del).toBeFocused();
});

test('without JavaScript: every platform section is in the page, the links show one at a time, Delete leads to the confirmation page', async ({
  browser,
}) => {
  // Signed in with JavaScript (the SAML response is posted by script), then browsing without it.
  const signIn = await browser.newContext();
  await issuedCertificatePage(await signIn.newPage());
  const storageState = await signIn.storageState();
  await signIn.close();
  const context = await browser.newContext({ javaScriptEnabled: false, storageState });
  const page = await context.newPage();
  await page.goto(`${devUrl()}/certificate`);
  await expect(page.getByRole('tab')).toHaveCount(0);
  const strip = page.getByRole('navigation', { name: 'Platforms' });
  await expect(strip.getByRole('link')).toHaveText(PLATFORMS);
  for (const id of ['nginx', 'apache', 'caddy', 'nodejs', 'iis', 'aws'])
    await expect(page.locator(`section#${id}`)).toHaveCount(1);
  // The first platform shows by default; a link shows its own section and hides the others.
  await expect(page.locator('#nginx')).toBeVisible();
  await expect(page.locator('#caddy')).toBeHidden();
  await strip.getByRole('link', { name: 'Caddy' }).click();
  await expect(page).toHaveURL(/#caddy$/);
  await expect(page.locator('#caddy')).toBeVisible();
  await expect(page.locator('#nginx')).toBeHidden();
  // Copy buttons need JavaScript: hidden.
  await expect(page.locator('#caddy [data-copy]')).toBeHidden();
  await page.getByRole('link', { name: 'Delete…' }).click();
  await expect(page).toHaveURL(/\/certificate\/delete$/);
  await expect(page.getByRole('button', { name: 'Delete and revoke' })).toBeVisible();
  await context.close();
});

for (const path of ['/certificate', '/certificate/information'])
  test(`nothing is wider than a 360 px phone on ${path} (code scrolls inside its block)`, async ({
    browser,
  }) => {
    const context = await browser.newContext({ viewport: { width: 360, height: 780 } });
    const page = await context.newPage();
    await issuedCertificatePage(page);
    await page.goto(`${devUrl()}${path}`);
    const wide = await page.evaluate(() => {
      const out: string[] = [];
      for (const el of Array.from(document.querySelectorAll('body *'))) {
        // Inside a scrolling block (code, the tab strip) wide content is expected.
        if (el.closest('pre, [data-tablist]') && !el.matches('pre, [data-tablist]')) continue;
        // Only what is rendered: the closed menu's panel keeps a layout but is not shown.
        if (!el.checkVisibility()) continue;
        const r = el.getBoundingClientRect();
        if (r.width > 0 && r.right > 360.5)
          out.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(r.right)}`);
      }
      return { out, scroll: document.documentElement.scrollWidth };
    });
    expect(wide.out).toEqual([]);
    expect(wide.scroll).toBeLessThanOrEqual(360);
    if (path === '/certificate') {
      // A long line of code scrolls inside its block rather than breaking mid-word.
      const pre = page.locator('#nginx pre.snippet');
      const [scrollW, clientW, whiteSpace] = await pre.evaluate((el) => [
        el.scrollWidth,
        el.clientWidth,
        getComputedStyle(el.querySelector('code')!).whiteSpace,
      ]);
      expect(whiteSpace).toBe('pre');
      expect(Number(scrollW)).toBeGreaterThan(Number(clientW));
    }
    await context.close();
  });

test('axe finds nothing on the issued certificate page (tabs, dialog open) and the information page', async ({
  page,
}) => {
  test.setTimeout(60_000);
  const { default: AxeBuilder } = await import('@axe-core/playwright');
  await issuedCertificatePage(page);
  const scan = async () => (await new AxeBuilder({ page }).analyze()).violations;
  const summary = (v: Awaited<ReturnType<typeof scan>>) =>
    v.map((x) => `${x.id}: ${x.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(summary(await scan())).toEqual([]);
  await page.getByRole('link', { name: 'Delete…' }).click();
  expect(summary(await scan())).toEqual([]);
  await page.goto(`${devUrl()}/certificate/information`);
  expect(summary(await scan())).toEqual([]);
});
