/**
 * Accessibility (axe-core, every rule, any impact) and layout on every page a student and an admin
 * reach, in light and dark mode: zero violations, and no element wider than a 360 px viewport.
 */
import AxeBuilder from '@axe-core/playwright';
import { type Page, expect, test } from '@playwright/test';
import { createARecord, signInAsDev } from './support/pages.js';

const devUrl = () => process.env.E2E_DEV_APP_URL!;

async function audit(page: Page, path: string) {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(`${devUrl()}${path}`);
    const result = await new AxeBuilder({ page }).analyze();
    const found = result.violations.map(
      (v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
    expect(found, `${path} in ${scheme} mode`).toEqual([]);
  }
}

async function noOverflow(page: Page, path: string) {
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto(`${devUrl()}${path}`);
  const wide = await page.evaluate(() =>
    Array.from(document.querySelectorAll('body *'))
      // Only what is rendered: the closed menu's panel keeps a layout but is not shown.
      .filter((e) => e.checkVisibility())
      .filter((e) => {
        const r = e.getBoundingClientRect();
        return r.width > 0 && r.right > document.documentElement.clientWidth + 1;
      })
      .map(
        (e) =>
          `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}.${Array.from(e.classList).join('.')}`,
      ),
  );
  expect(wide, `${path} at 360 px`).toEqual([]);
}

const STUDENT_PAGES = [
  '/',
  '/dns-records',
  '/dns-records/new',
  '/dns-records/instructions',
  '/certificate',
  '/certificate/information',
  '/tokens',
  '/history',
];
const ADMIN_PAGES = ['/admin', '/admin/audit', '/admin/blocked-labels', '/admin/certificates'];

test('student pages: no axe violations (light and dark), nothing wider than 360 px', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await signInAsDev(page, devUrl(), 'Dev Student');
  await createARecord(page, devUrl(), `a11y${Date.now() % 100000}`, '192.0.2.7');
  for (const p of STUDENT_PAGES) {
    await audit(page, p);
    await noOverflow(page, p);
    await page.setViewportSize({ width: 1366, height: 900 });
  }
});

test('admin pages: no axe violations (light and dark), nothing wider than 360 px', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await signInAsDev(page, devUrl(), 'Dev Admin');
  for (const p of ADMIN_PAGES) {
    await audit(page, p);
    await noOverflow(page, p);
    await page.setViewportSize({ width: 1366, height: 900 });
  }
});
