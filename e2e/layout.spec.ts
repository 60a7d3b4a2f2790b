/**
 * Layout and visibility checks of issue 19 in a real browser:
 *  - no text overflows a table cell (scrollWidth ≤ clientWidth) on any page with a table, on a laptop
 *    and on a 360 px phone (where rows read as labelled lists);
 *  - the keyboard focus ring has at least 3:1 contrast against whatever it is drawn on (the red header,
 *    the page, cards, tables, banners, dialogs), in light and dark mode;
 *  - the status poller's swap of a row from pending to live shifts nothing on the page.
 */
import path from 'node:path';
import { type Browser, type Page, expect, test } from '@playwright/test';
import Database from 'better-sqlite3';
import { signInAsDev } from './support/pages.js';

const devUrl = () => process.env.E2E_DEV_APP_URL!;
const stamp = Date.now().toString(36);

function openDb() {
  const db = new Database(path.join(process.env.E2E_DEV_DATA_DIR!, 'starchart.sqlite'));
  db.pragma('busy_timeout = 5000');
  return db;
}

/** Create a record through the form as the signed-in user. */
async function createRecord(page: Page, subdomain: string, type: string, value: string) {
  await page.goto(`${devUrl()}/dns-records/new`);
  await page.locator('#subdomain').fill(subdomain);
  await page.locator('#type').selectOption(type);
  await page.locator('#value').fill(value);
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/dns-records\?done=created/);
}

/** A new browser context signed in as a development identity. */
async function signedIn(browser: Browser, who: string, width = 1366) {
  const ctx = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await ctx.newPage();
  await signInAsDev(page, devUrl(), who);
  return { ctx, page };
}

/** Dev Student's user id (signing them in once, so that they exist). */
async function studentId(browser: Browser): Promise<number> {
  const { ctx } = await signedIn(browser, 'Dev Student');
  await ctx.close();
  const db = openDb();
  try {
    return (
      db.prepare(`select id from users where username = 'dev.student'`).get() as { id: number }
    ).id;
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------------
// Text overflow in table cells

/** Every rendered table cell whose content is wider than the cell (a clipped or spilling text). */
const overflowingCells = (page: Page) =>
  page.evaluate(() =>
    Array.from(document.querySelectorAll('td, th'))
      .filter((c) => c.checkVisibility())
      .filter((c) => c.scrollWidth > c.clientWidth + 1)
      .map(
        (c) =>
          `${c.tagName.toLowerCase()}${c.getAttribute('data-label') ? `[${c.getAttribute('data-label')}]` : ''} ` +
          `"${(c.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 50)}" ` +
          `${c.scrollWidth} > ${c.clientWidth}`,
      ),
  );

async function expectNoCellOverflow(page: Page, paths: string[]) {
  for (const width of [1366, 360]) {
    await page.setViewportSize({ width, height: 900 });
    for (const p of paths) {
      await page.goto(`${devUrl()}${p}`);
      const cells = await page.locator('td, th').count();
      expect(cells, `${p} has a table`).toBeGreaterThan(0);
      expect(await overflowingCells(page), `${p} at ${width} px`).toEqual([]);
    }
  }
}

test('student pages: no text overflows a table cell, at 1366 and 360 px', async ({ browser }) => {
  test.setTimeout(90_000);
  const { ctx, page } = await signedIn(browser, 'Dev Student');
  // Long names and values, one pending and one refused by the provider (with its reason).
  const long = `cells${stamp}-a-rather-long-project-name-for-a-course`;
  await createRecord(page, long, 'A', '203.0.113.99');
  await createRecord(
    page,
    `_dmarc${stamp}`,
    'TXT',
    'v=DMARC1; p=quarantine; rua=mailto:dmarc-aggregate-reports@some-very-long-domain.example.edu; ruf=mailto:dmarc-forensic@example.edu; fo=1',
  );
  await createRecord(page, `cname${stamp}`, 'CNAME', `a-long-target-${stamp}.github.io`);
  const db = openDb();
  try {
    db.prepare(`update dns_records set status = 'pending' where subdomain = ?`).run(long);
    db.prepare(
      `update dns_records set status = 'error', status_message = ? where subdomain = ?`,
    ).run(
      'The DNS provider refused this value: InvalidChangeBatch (RRSet of type CNAME with DNS name is not permitted)',
      `cname${stamp}`,
    );
  } finally {
    db.close();
  }
  const id = (await page.locator('tr', { hasText: long }).first().getAttribute('id'))!.slice(1);
  // A token, so that the tokens page has its table.
  await page.goto(`${devUrl()}/tokens`);
  await page.getByLabel('Name', { exact: true }).fill(`layout check token ${stamp} for a course`);
  await page.getByLabel('Expires after (days)').fill('7');
  await page.getByRole('checkbox', { name: /Change DNS records/ }).check();
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByRole('heading', { name: /Copy your new token/ })).toBeVisible();

  await expectNoCellOverflow(page, [
    '/dns-records',
    '/dns-records?sort=expiry',
    `/dns-records/${id}/check`,
    '/tokens',
    '/docs/api',
  ]);
  await ctx.close();
});

test('admin pages: no text overflows a table cell, at 1366 and 360 px', async ({ browser }) => {
  test.setTimeout(90_000);
  const { ctx, page } = await signedIn(browser, 'Dev Admin');
  await page.goto(`${devUrl()}/admin/blocked-labels`);
  await page.locator('#label').fill(`blocked${stamp}`);
  await page
    .locator('#reason')
    .fill('Impersonates the university’s official admissions website (reported by IT security)');
  await page.getByRole('button', { name: 'Block label' }).click();
  await expect(page.locator('td', { hasText: `blocked${stamp}` })).toBeVisible();
  const student = await studentId(browser);
  // A rate limit the CA answered two hours ago (over an hour ago, so the queue is not paused), in the
  // CA's long words, for the certificates page's table.
  const db = openDb();
  const hour = 3_600_000;
  db.prepare(
    `insert into ca_rate_limits (at, retry_until, certificate_id, operation, detail) values (?, ?, null, ?, ?)`,
  ).run(
    Date.now() - 2 * hour,
    Date.now() - hour,
    'new-order',
    'too many new orders (300) from this account in the last 3 hours: see https://letsencrypt.org/docs/rate-limits/#new-orders-per-account',
  );
  db.close();
  await expectNoCellOverflow(page, [
    '/admin?q=dev',
    `/admin/users/${student}`,
    '/admin/audit',
    '/admin/blocked-labels',
    '/admin/certificates',
  ]);
  // (The last page checked: its rate-limit table was there.)
  await expect(page.locator('#rate-limits')).toContainText('too many new orders');
  await ctx.close();
});

test('a cell whose text does not fit would be caught', async ({ browser }) => {
  const { ctx, page } = await signedIn(browser, 'Dev Student', 360);
  const name = `nowrap${stamp}`;
  await createRecord(
    page,
    name,
    'TXT',
    `v=spf1 include:_spf.${'long-'.repeat(12)}example.edu ~all`,
  );
  await page.goto(`${devUrl()}/dns-records?q=${name}`);
  expect(await overflowingCells(page)).toEqual([]);
  // The value forced onto one line (through the CSSOM: the CSP refuses inline style elements).
  await page.evaluate(() => {
    const sheet = document.styleSheets[0]!;
    sheet.insertRule('td { white-space: nowrap !important }', sheet.cssRules.length);
  });
  expect((await overflowingCells(page)).join('\n')).toMatch(/v=spf1/);
  await ctx.close();
});

// ---------------------------------------------------------------------------------------------------
// Focus ring contrast

interface Ring {
  what: string;
  outline: string;
  background: string;
  contrast: number;
  focusVisible: boolean;
}

/**
 * The focus ring of the focused element: its outline colour against the colour it is drawn on (the
 * element's own background when the outline is inset, else the first ancestor's, semi-transparent
 * layers composited down to an opaque one), and the WCAG contrast between them.
 */
const focusRing = (page: Page): Promise<Ring | null> =>
  page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    type Rgba = [number, number, number, number];
    const ctx = document.createElement('canvas').getContext('2d')!;
    const parse = (css: string): Rgba => {
      // Any CSS colour (rgb(), color(srgb …), oklch …) resolved by the canvas to sRGB bytes.
      ctx.clearRect(0, 0, 1, 1);
      ctx.fillStyle = '#000';
      ctx.fillStyle = css;
      ctx.fillRect(0, 0, 1, 1);
      const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
      return [r!, g!, b!, a! / 255];
    };
    const over = (top: Rgba, below: Rgba): Rgba => {
      const a = top[3] + below[3] * (1 - top[3]);
      if (a === 0) return [0, 0, 0, 0];
      const mix = (i: number) => (top[i]! * top[3] + below[i]! * below[3] * (1 - top[3])) / a;
      return [mix(0), mix(1), mix(2), a];
    };
    const style = getComputedStyle(el);
    const inset = parseFloat(style.outlineOffset) + parseFloat(style.outlineWidth) <= 0;
    const layers: Rgba[] = [];
    for (let n: Element | null = inset ? el : el.parentElement; n; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    // Beneath everything, the canvas: white, or the dark scheme's default.
    const dark = matchMedia('(prefers-color-scheme: dark)').matches;
    let bg: Rgba = dark ? [18, 18, 18, 1] : [255, 255, 255, 1];
    for (const layer of layers.reverse()) bg = over(layer, bg);
    const none = style.outlineStyle === 'none' || parseFloat(style.outlineWidth) === 0;
    const ring = none ? bg : over(parse(style.outlineColor), bg);
    const lum = (c: Rgba) => {
      const ch = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * ch(c[0]) + 0.7152 * ch(c[1]) + 0.0722 * ch(c[2]);
    };
    const [hi, lo] = [lum(ring), lum(bg)].sort((a, b) => b - a) as [number, number];
    // Where it is, the most telling container first (a dialog's content is itself a card).
    const where =
      ['header', 'dialog', 'footer', 'table', '.card', '.alert', '[role="status"]', 'main'].find(
        (sel) => el.closest(sel),
      ) ?? 'body';
    const label =
      el.getAttribute('aria-label') ||
      (el as HTMLInputElement).labels?.[0]?.textContent ||
      el.textContent ||
      el.id;
    return {
      what: `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} "${(label ?? '').trim().replace(/\s+/g, ' ').slice(0, 40)}" in ${where}`,
      outline: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`,
      background: `rgb(${bg.slice(0, 3).map(Math.round).join(' ')})`,
      contrast: Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100,
      focusVisible: el.matches(':focus-visible'),
    };
  });

/**
 * Tab through the page from the top (as a keyboard user), reading the ring of every stop; returns the
 * rings, one per distinct element, until focus comes back round (or after `max` presses).
 */
async function tabThrough(page: Page, max = 80): Promise<Ring[]> {
  const rings: Ring[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const ring = await focusRing(page);
    if (!ring) continue;
    if (seen.has(ring.what) && i > 3) {
      // Back at the first stop: the whole page has been seen.
      if (ring.what === rings[0]?.what) break;
      continue;
    }
    seen.add(ring.what);
    rings.push(ring);
  }
  return rings;
}

const weak = (rings: Ring[]) =>
  rings
    .filter((r) => !r.focusVisible || r.contrast < 3)
    .map((r) => `${r.what}: ${r.outline} on ${r.background} = ${r.contrast}:1`);

async function checkRings(page: Page, url: string, scheme: 'light' | 'dark', expectKinds = 1) {
  await page.emulateMedia({ colorScheme: scheme });
  await page.goto(url);
  const rings = await tabThrough(page);
  if (process.env.DEBUG_RINGS)
    console.log(
      rings.map((r) => `${r.what}: ${r.outline} on ${r.background} = ${r.contrast}:1`).join('\n'),
    );
  expect(rings.length, `${url}: focusable stops`).toBeGreaterThanOrEqual(expectKinds);
  expect(weak(rings), `${url} (${scheme})`).toEqual([]);
  return rings;
}

test('the focus ring has 3:1 contrast on every background (light and dark)', async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const { ctx, page } = await signedIn(browser, 'Dev Student');
  const name = `ring${stamp}`;
  await createRecord(page, name, 'A', '192.0.2.61');
  for (const scheme of ['light', 'dark'] as const) {
    // Header and nav links on the red header, body links, buttons, inputs, selects, table actions.
    // (Only this record listed: the shared instance holds many, each with the same four actions.)
    const rings = await checkRings(page, `${devUrl()}/dns-records?q=${name}`, scheme, 10);
    const where = rings.map((r) => r.what).join('\n');
    expect(where).toMatch(/ in header/);
    expect(where).toMatch(/^input#q/m);
    expect(where).toMatch(/^select/m);
    expect(where).toMatch(/ in table/);
    expect(where).toMatch(/ in footer/);
    // Form fields and their buttons; cards with links (certificate, tokens); the instructions page.
    await checkRings(page, `${devUrl()}/dns-records/new`, scheme, 5);
    await checkRings(page, `${devUrl()}/certificate`, scheme, 3);
    await checkRings(page, `${devUrl()}/tokens`, scheme, 5);
    await checkRings(page, `${devUrl()}/history`, scheme, 3);
    await checkRings(page, `${devUrl()}/dns-records/instructions`, scheme, 3);

    // The delete dialog (a card on a backdrop): Cancel and Delete inside it.
    await page.goto(`${devUrl()}/dns-records?q=${name}`);
    await page.locator(`[aria-label^="Delete ${name}."]`).focus();
    await page.keyboard.press('Enter');
    const dialog = page.locator('dialog[open]');
    await expect(dialog).toBeVisible();
    await expect(dialog.locator(':focus')).toHaveCount(1);
    const inDialog: Ring[] = [];
    for (let i = 0; i < 3; i++) {
      const ring = await focusRing(page);
      if (ring) inDialog.push(ring);
      await page.keyboard.press('Tab');
    }
    expect(inDialog.map((r) => r.what).join('\n')).toMatch(/ in dialog/);
    expect(weak(inDialog), `dialog (${scheme})`).toEqual([]);
    await page.keyboard.press('Escape');
  }

  // The issued certificate: tabs (an inset ring), copy buttons, code blocks, and its own dialog.
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(`${devUrl()}/certificate`);
  const request = page.getByRole('button', { name: 'Request a Certificate' });
  if (await request.isVisible()) await request.click();
  await expect(page.getByRole('heading', { name: 'Install it on your server' })).toBeVisible({
    timeout: 45_000,
  });
  for (const scheme of ['light', 'dark'] as const) {
    const rings = await checkRings(page, `${devUrl()}/certificate`, scheme, 8);
    expect(rings.map((r) => r.what).join('\n')).toMatch(/^a#tab-nginx "nginx"/m);
    await page.getByRole('link', { name: 'Delete…' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Delete your certificate?' });
    await expect(dialog).toBeVisible();
    const inDialog: Ring[] = [];
    for (let i = 0; i < 3; i++) {
      const ring = await focusRing(page);
      if (ring) inDialog.push(ring);
      await page.keyboard.press('Tab');
    }
    expect(inDialog.map((r) => r.what).join('\n')).toMatch(/ in dialog/);
    expect(weak(inDialog), `certificate dialog (${scheme})`).toEqual([]);
    await page.keyboard.press('Escape');
  }

  // The phone header: its menu button on the red bar, and the open menu's links.
  await page.setViewportSize({ width: 390, height: 844 });
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(`${devUrl()}/dns-records`);
    const menu = page.locator('header.site button').first();
    await menu.focus();
    await page.keyboard.press('Enter');
    const rings: Ring[] = [];
    for (let i = 0; i < 6; i++) {
      const ring = await focusRing(page);
      if (ring) rings.push(ring);
      await page.keyboard.press('Tab');
    }
    expect(rings.map((r) => r.what).join('\n')).toMatch(/ in header/);
    expect(weak(rings), `phone menu (${scheme})`).toEqual([]);
  }
  await ctx.close();
});

test('the focus ring has 3:1 contrast on admin pages and the impersonation banner', async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const { ctx, page } = await signedIn(browser, 'Dev Admin');
  for (const scheme of ['light', 'dark'] as const) {
    await checkRings(page, `${devUrl()}/admin`, scheme, 5);
    await checkRings(page, `${devUrl()}/admin/audit`, scheme, 5);
    await checkRings(page, `${devUrl()}/admin/blocked-labels`, scheme, 5);
  }
  // The student's page, then acting as them: the banner's own background and its button.
  const userPage = `${devUrl()}/admin/users/${await studentId(browser)}`;
  for (const scheme of ['light', 'dark'] as const) await checkRings(page, userPage, scheme, 5);
  await page.getByRole('button', { name: 'Impersonate' }).click();
  try {
    for (const scheme of ['light', 'dark'] as const) {
      const rings = await checkRings(page, `${devUrl()}/dns-records`, scheme, 5);
      expect(rings.map((r) => r.what).join('\n')).toMatch(/Stop impersonating/);
    }
  } finally {
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByRole('button', { name: 'Stop impersonating' }).click();
    await expect(page.getByText('You stopped impersonating this user.')).toBeVisible();
  }
  await ctx.close();
});

test('a low-contrast focus ring would be caught', async ({ browser }) => {
  const { ctx, page } = await signedIn(browser, 'Dev Student');
  await page.goto(`${devUrl()}/dns-records?q=zzz-no-such-record`);
  // A pale ring on the light page (about 1.2:1) and no ring at all: both reported.
  // (Through the CSSOM: the page's CSP refuses inline style elements.)
  await page.evaluate(() => {
    const sheet = document.styleSheets[0]!;
    sheet.insertRule(':focus-visible { outline-color: #e5e7eb !important }', sheet.cssRules.length);
    sheet.insertRule('#q:focus-visible { outline: none !important }', sheet.cssRules.length);
  });
  const rings = await tabThrough(page);
  const bad = weak(rings);
  expect(bad.length).toBeGreaterThan(5);
  expect(bad.join('\n')).toMatch(/^input#q/m);
  await ctx.close();
});

// ---------------------------------------------------------------------------------------------------
// Layout shift from the status poller

test('no layout shift when the status poller turns a row from pending to live', async ({
  browser,
}) => {
  test.setTimeout(120_000);
  for (const width of [1366, 390]) {
    const { ctx, page } = await signedIn(browser, 'Dev Student', width);
    const names = ['shift1', 'shift2'].map((n) => `${n}${width}${stamp}`);
    for (const n of names) await createRecord(page, n, 'A', '192.0.2.62');
    const db = openDb();
    try {
      const setStatus = (n: string, status: string) =>
        db.prepare(`update dns_records set status = ? where subdomain = ?`).run(status, n);
      for (const n of names) setStatus(n, 'pending');
      await page.goto(`${devUrl()}/dns-records`);
      const status = (n: string) => page.locator('tr', { hasText: n }).locator('td').nth(2);
      for (const n of names) await expect(status(n)).toHaveText('pending');
      // Fonts and first paint settled before observing.
      await page.evaluate(() => document.fonts.ready);
      await page.evaluate(() => {
        const w = window as unknown as { shifts: { value: number; sources: string[] }[] };
        w.shifts = [];
        // Buffered (nothing is missed between frames), counting only what happens from now on.
        const from = performance.now();
        new PerformanceObserver((list) => {
          for (const e of list.getEntries() as unknown as {
            value: number;
            hadRecentInput: boolean;
            startTime: number;
            sources?: { node?: Node }[];
          }[]) {
            if (e.hadRecentInput || e.startTime < from) continue;
            w.shifts.push({
              value: e.value,
              sources: (e.sources ?? []).map((s) =>
                s.node instanceof Element
                  ? `${s.node.tagName.toLowerCase()}.${s.node.className}`
                  : String(s.node?.nodeName),
              ),
            });
          }
        }).observe({ type: 'layout-shift', buffered: true });
      });
      // The first turns live (the other stays pending, so the poller keeps running), then the second.
      setStatus(names[0]!, 'live');
      await expect(status(names[0]!)).toHaveText('live', { timeout: 20_000 });
      setStatus(names[1]!, 'live');
      await expect(status(names[1]!)).toHaveText('live', { timeout: 20_000 });
      await page.waitForTimeout(500); // let the observer deliver the last frames
      const shifts = await page.evaluate(
        () => (window as unknown as { shifts: { value: number; sources: string[] }[] }).shifts,
      );
      const cls = shifts.reduce((sum, s) => sum + s.value, 0);
      expect(
        cls,
        `layout shift at ${width} px: ${JSON.stringify(shifts.map((s) => s.sources))}`,
      ).toBeLessThan(0.001);
    } finally {
      db.close();
      await ctx.close();
    }
  }
});
