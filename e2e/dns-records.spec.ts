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
    const status = (name: string) => row(name).locator('td').nth(2);
    for (const name of names) await expect(status(name)).toHaveText('pending');
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));

    setStatus([names[0]!], 'live');
    await expect(status(names[0]!)).toHaveText('live', { timeout: 10_000 });
    await expect(status(names[1]!)).toHaveText('pending');
    setStatus([names[1]!], 'error', 'The provider refused this value.');
    await expect(status(names[1]!)).toContainText('error', { timeout: 10_000 });
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
  await expect(plain.getByRole('rowheader', { name, exact: true })).toBeVisible();
  await expect(plain.getByRole('button', { name: `Copy ${fqdn}` })).toBeHidden();
  // Without JavaScript the actions are named by their row's header (the record's name).
  const plainRow = plain.locator('tr', { has: plain.getByRole('rowheader', { name }) });
  await expect(plainRow.getByRole('button', { name: 'Renew' })).toBeVisible();
  await noJs.close();
});

test('on a phone, each record reads as a card: the name across the width, actions together on one line', async ({
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
  // The name is the card's title, over most of the width (beside the status).
  const nameBox = await box(row.locator('th'));
  expect(nameBox.width).toBeGreaterThan(rowBox.width * 0.6);
  // Copy, Renew, Edit and Delete sit side by side on one line.
  const boxes = await Promise.all(
    ['Copy', 'Renew', 'Edit', 'Delete'].map((a) =>
      box(
        row.getByRole(a === 'Edit' || a === 'Delete' ? 'link' : 'button', { name: `${a} ${fqdn}` }),
      ),
    ),
  );
  expect(new Set(boxes.map((b) => Math.round(b.y))).size).toBe(1);
  // No cell label repeated in the card ("Expires" says what the relative date is).
  await expect(row).not.toContainText('DNS Record');
  expect(
    await row
      .locator('td')
      .nth(3)
      .evaluate((td) => getComputedStyle(td, '::before').content),
  ).toBe('"Expires "');
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await ctx.close();
});

/** Elements whose right edge is past the viewport (there must be none). */
const overflowing = (page: import('@playwright/test').Page) =>
  page.evaluate(() =>
    Array.from(document.querySelectorAll('body *'))
      // Only what is rendered: the closed menu's panel keeps a layout but is not shown.
      .filter((e) => e.checkVisibility())
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
      .map(
        (e) =>
          `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}.${Array.from(e.classList).join('.')}`,
      ),
  );

test('nothing on the records pages is wider than a 360 px screen', async ({ browser }) => {
  const ctx = await browser.newContext({ viewport: { width: 360, height: 780 } });
  const page = await ctx.newPage();
  await signInAsDev(page, devUrl(), 'Dev Student');
  const name = `narrow${Date.now().toString(36)}-a-long-project-name-for-a-course`;
  await createARecord(page, devUrl(), name, '192.0.2.41');
  const id = (await page.locator('tr', { hasText: name }).getAttribute('id'))!.slice(1);
  for (const path of [
    '/dns-records',
    '/dns-records?q=zzz-no-such-record',
    '/dns-records?sort=size',
    '/dns-records/new',
    `/dns-records/${id}`,
    `/dns-records/${id}/delete`,
    '/dns-records/instructions',
  ]) {
    await page.goto(`${devUrl()}${path}`);
    expect(await overflowing(page), path).toEqual([]);
  }
  await ctx.close();
});

test('keyboard only: create, renew and delete a record, focus staying where the user was', async ({
  page,
}) => {
  test.setTimeout(45_000);
  await signInAsDev(page, devUrl(), 'Dev Student');
  await page.goto(`${devUrl()}/dns-records`);
  const name = `kbd${Date.now().toString(36)}`;
  const fqdn = `${name}.devstudent.starchart.test`;
  const focused = () =>
    page.evaluate(() => {
      const el = document.activeElement;
      return el?.getAttribute('aria-label') || el?.id || el?.textContent?.trim() || '';
    });
  /** Tab until `want` has focus (at most 80 presses), as a keyboard user would. */
  const tabTo = async (want: string | RegExp) => {
    for (let i = 0; i < 80; i++) {
      const now = await focused();
      if (typeof want === 'string' ? now === want : want.test(now)) return;
      await page.keyboard.press('Tab');
    }
    throw new Error(`never reached ${want} with Tab`);
  };

  // Create: Tab to "New record", Enter, fill the form with the keyboard, Enter.
  await tabTo('New record');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/dns-records\/new$/);
  await tabTo('subdomain');
  await page.keyboard.type(name);
  await page.keyboard.press('Tab');
  await page.keyboard.type('A'); // picks "A" in the type list
  await tabTo('value');
  await page.keyboard.type('192.0.2.50');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/done=created/);
  await expect(page.locator('#toast')).toContainText('DNS record created');

  // Renew: the toast says until when, and focus stays on the same Renew button.
  await page.locator('#q').focus();
  await page.keyboard.type(name);
  await expect(page.locator('tbody tr')).toHaveCount(1);
  await tabTo(`Renew ${fqdn}`);
  await page.keyboard.press('Enter');
  await expect(page.locator('#toast')).toContainText(`Renewed ${fqdn}: expires`);
  expect(await focused()).toBe(`Renew ${fqdn}`);

  // Delete: a <dialog> (not confirm()), Escape keeps the record and returns focus to Delete…
  page.on('dialog', () => {
    throw new Error('a browser confirm() was shown');
  });
  await tabTo(`Delete ${fqdn}`);
  await page.keyboard.press('Enter');
  const dialog = page.locator('dialog[open]');
  await expect(dialog).toContainText(fqdn);
  expect(await focused()).toBe('Cancel');
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  expect(await focused()).toBe(`Delete ${fqdn}`);
  // …and confirming removes the row in place, says so, and leaves focus in the list, not the top.
  await page.keyboard.press('Enter');
  await expect(dialog).toBeVisible();
  await page.keyboard.press('Shift+Tab'); // from Cancel back to the Delete button
  await page.keyboard.press('Enter');
  await expect(page.locator('#toast')).toContainText(`Deleted ${fqdn}.`);
  await expect(page.locator(`tr:has-text("${name}")`)).toHaveCount(0);
  expect(await focused()).not.toBe('');
  expect(await page.evaluate(() => document.activeElement === document.body)).toBe(false);
});
