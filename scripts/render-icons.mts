// Renders the favicon and app icons to PNG with Chromium: `npx tsx scripts/render-icons.mts` after
// changing src/web/static/favicon.svg or scripts/icons/app-icon.svg (the full-bleed variant the
// platforms round themselves: apple-touch icon, manifest icons).
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
const jobs: [string, string, number][] = [
  ['src/web/static/favicon.svg', 'src/web/static/favicon-32.png', 32],
  ['scripts/icons/app-icon.svg', 'src/web/static/apple-touch-icon.png', 180],
  ['scripts/icons/app-icon.svg', 'src/web/static/icon-192.png', 192],
  ['scripts/icons/app-icon.svg', 'src/web/static/icon-512.png', 512],
];
for (const [src, out, size] of jobs) {
  const page = await browser.newPage({ viewport: { width: size, height: size } });
  const svg = readFileSync(src, 'utf8').replace('<svg ', `<svg width="${size}" height="${size}" `);
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
  await page.screenshot({
    path: out,
    omitBackground: true,
    clip: { x: 0, y: 0, width: size, height: size },
  });
  await page.close();
}
await browser.close();
