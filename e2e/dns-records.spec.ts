import path from 'node:path';
import { expect, test } from '@playwright/test';
import Database from 'better-sqlite3';
import { createARecord, signInAsDev } from './support/pages.js';

/**
 * The records page keeps its status column current by itself: one poll for every pending record,
 * cells swapped in place (no reload), and no more requests once nothing is pending. The development
 * instance publishes to its built-in DNS server, where records are live at once, so the test sets a
 * record's status in the database the way a Route53 reconciliation would.
 */
const devUrl = () => process.env.E2E_DEV_APP_URL!;

test('pending records turn live and error in place, with one poller for the page', async ({
  page,
}) => {
  test.setTimeout(45_000);
  const db = new Database(path.join(process.env.E2E_DEV_DATA_DIR!, 'starchart.sqlite'));
  db.pragma('busy_timeout = 5000');
  const setStatus = (names: string[], status: string, message: string | null = null) =>
    db
      .prepare(
        `update dns_records set status = ?, status_message = ? where subdomain in (${names.map(() => '?').join(',')})`,
      )
      .run(status, message, ...names);
  try {
    await signInAsDev(page, devUrl(), 'Dev Student');
    const names = ['poll1', 'poll2'].map((n) => `${n}${Date.now().toString(36)}`);
    for (const name of names) await createARecord(page, devUrl(), name, '192.0.2.20');
    setStatus(names, 'pending');

    const cspErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/.test(m.text()))
        cspErrors.push(m.text());
    });
    const polls: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/dns-records/status')) polls.push(r.url());
    });
    await page.goto(`${devUrl()}/dns-records`);
    const row = (name: string) => page.locator('tr', { hasText: name });
    for (const name of names) await expect(row(name).locator('.badge')).toHaveText('pending');
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));

    setStatus([names[0]!], 'live');
    await expect(row(names[0]!).locator('.badge')).toHaveText('live', { timeout: 10_000 });
    await expect(row(names[1]!).locator('.badge')).toHaveText('pending');
    setStatus([names[1]!], 'error', 'The provider refused this value.');
    await expect(row(names[1]!).locator('.badge')).toHaveText('error', { timeout: 10_000 });
    await expect(row(names[1]!)).toContainText('The provider refused this value.');

    // Swapped in place: the page was not reloaded, and each poll asked about both records at once.
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    expect(polls.length).toBeGreaterThan(0);
    expect(polls.every((u) => /ids=\d+(,\d+)?$/.test(u))).toBe(true);
    await expect(page.locator('#status-poller')).toHaveCount(0);
    // The page and its swaps run under the CSP without a single violation.
    expect(cspErrors).toEqual([]);
    const settled = polls.length;
    await page.waitForTimeout(4500);
    expect(polls.length).toBe(settled);
  } finally {
    db.close();
  }
});

test('Copy puts the record’s full name on the clipboard, and is not shown without JavaScript', async ({
  browser,
}) => {
  const name = `copy${Date.now().toString(36)}`;
  const fqdn = `${name}.devstudent.starchart.test`;
  const ctx = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await ctx.newPage();
  await signInAsDev(page, devUrl(), 'Dev Student');
  await createARecord(page, devUrl(), name, '192.0.2.30');
  const copy = page.getByRole('button', { name: `Copy ${fqdn}` });
  await copy.click();
  await expect(copy).toHaveText('Copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(fqdn);
  await expect(copy).toHaveText('Copy', { timeout: 3_000 });
  await ctx.close();

  // Without JavaScript the button could do nothing, so it is not there to be pressed.
  const noJs = await browser.newContext({ javaScriptEnabled: false });
  const plain = await noJs.newPage();
  await plain.goto(`${devUrl()}/login`);
  await plain.getByRole('button', { name: 'Sign In' }).click();
  await plain.getByRole('button', { name: 'Sign in as Dev Student' }).click();
  // The SAML response is posted by script; without it, by this button.
  await plain.getByRole('button', { name: 'Continue' }).click();
  await expect(plain.locator('#header-user')).toHaveText('Dev Student');
  await plain.goto(`${devUrl()}/dns-records`);
  await expect(plain.getByText(fqdn.slice(0, name.length), { exact: true })).toBeVisible();
  await expect(plain.getByRole('button', { name: `Copy ${fqdn}` })).toBeHidden();
  await expect(plain.getByRole('button', { name: `Renew ${fqdn}` })).toBeVisible();
  await noJs.close();
});

test('on a phone, each record reads as a card: the name across the width, actions together on the right', async ({
  browser,
}) => {
  const name = `phone${Date.now().toString(36)}-with-a-longer-name`;
  const fqdn = `${name}.devstudent.starchart.test`;
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await ctx.newPage();
  await signInAsDev(page, devUrl(), 'Dev Student');
  await createARecord(page, devUrl(), name, '192.0.2.40');
  const row = page.locator('tr', { has: page.getByRole('button', { name: `Copy ${fqdn}` }) });
  const box = async (locator: ReturnType<typeof page.locator>) => (await locator.boundingBox())!;
  const rowBox = await box(row);
  // The name gets (nearly) the row's whole width beside its Copy button, on lines below its label.
  const nameBox = await box(row.locator('td').first().locator('.mono'));
  expect(nameBox.width).toBeGreaterThan(rowBox.width * 0.6);
  // Edit and Delete sit side by side at the right; so do the expiry date and Renew.
  const edit = await box(row.getByRole('link', { name: `Edit ${fqdn}` }));
  const del = await box(row.getByRole('button', { name: `Delete ${fqdn}` }));
  expect(del.x - (edit.x + edit.width)).toBeLessThan(20);
  expect(rowBox.x + rowBox.width - (del.x + del.width)).toBeLessThan(30);
  const renew = await box(row.getByRole('button', { name: `Renew ${fqdn}` }));
  const date = await box(row.locator('td').nth(4).locator('span').first());
  expect(renew.x - (date.x + date.width)).toBeLessThan(20);
  // Nothing sticks out of the screen.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await ctx.close();
});
