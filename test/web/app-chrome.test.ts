/**
 * The page chrome every page shares: favicon, app icons and web manifest (served, fingerprinted, cached
 * for a year; the fixed browser paths for a day), the head links to them, the footer's configurable
 * Acceptable Use Policy link and copyright line, the development mailbox link, and the navigation's
 * no-JavaScript menu button.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUser } from '../support/factories.js';
import { type TestApp, createTestApp } from '../support/app.js';

const YEAR_2031 = Date.UTC(2031, 5, 1);

/** The href of the first <link rel="{rel}"> in a page. */
function linkHref(html: string, rel: string, type?: string): string {
  const tags = [...html.matchAll(/<link [^>]*>/g)].map((m) => m[0]);
  const tag = tags.find(
    (t) => t.includes(`rel="${rel}"`) && (type === undefined || t.includes(`type="${type}"`)),
  );
  if (!tag) throw new Error(`no <link rel="${rel}"${type ? ` type="${type}"` : ''}> in the page`);
  return /href="([^"]+)"/.exec(tag)![1]!;
}

describe('favicon, app icons and manifest', () => {
  let t: TestApp;
  let html: string;
  beforeAll(async () => {
    t = await createTestApp({ env: { PRODUCT_NAME: 'Seneca Domains' } });
    html = await (await t.request('/login')).text();
  });
  afterAll(async () => t.cleanup());

  it('every icon and the manifest the head links to is served with a one-year immutable cache', async () => {
    const hrefs = [
      linkHref(html, 'icon', 'image/svg+xml'),
      linkHref(html, 'icon', 'image/png'),
      linkHref(html, 'apple-touch-icon'),
      linkHref(html, 'manifest'),
    ];
    const types: string[] = [];
    for (const href of hrefs) {
      expect(href).toMatch(/^\/static\/[0-9a-f]{12}\//);
      const res = await t.request(href);
      expect(res.status, href).toBe(200);
      expect(res.headers.get('cache-control'), href).toBe('public, max-age=31536000, immutable');
      types.push(res.headers.get('content-type')!);
    }
    expect(types).toEqual([
      'image/svg+xml',
      'image/png',
      'image/png',
      'application/manifest+json; charset=utf-8',
    ]);
  });

  it('the manifest names the configured product and points at icons that exist', async () => {
    const res = await t.request(linkHref(html, 'manifest'));
    const manifest = (await res.json()) as {
      name: string;
      short_name: string;
      start_url: string;
      display: string;
      icons: { src: string; sizes: string; type: string }[];
    };
    expect(manifest).toMatchObject({
      name: 'Seneca Domains',
      short_name: 'Seneca Domains',
      start_url: '/',
      display: 'standalone',
    });
    expect(manifest.icons.map((i) => i.sizes)).toEqual(
      expect.arrayContaining(['192x192', '512x512']),
    );
    for (const icon of manifest.icons) {
      const r = await t.request(icon.src);
      expect(r.status, icon.src).toBe(200);
      expect(r.headers.get('content-type')).toBe(icon.type);
      if (icon.type === 'image/png') {
        // The PNG's own size (IHDR width and height) is the one the manifest declares.
        const png = Buffer.from(await r.arrayBuffer());
        expect(`${png.readUInt32BE(16)}x${png.readUInt32BE(20)}`).toBe(icon.sizes);
      }
    }
  });

  it('the fixed paths browsers ask for answer with an icon, cached for a day', async () => {
    for (const p of [
      '/favicon.ico',
      '/apple-touch-icon.png',
      '/apple-touch-icon-precomposed.png',
    ]) {
      const res = await t.request(p);
      expect(res.status, p).toBe(200);
      expect(res.headers.get('content-type'), p).toBe('image/png');
      expect(res.headers.get('cache-control'), p).toBe('public, max-age=86400');
      expect(
        Buffer.from(await res.arrayBuffer())
          .subarray(1, 4)
          .toString(),
      ).toBe('PNG');
    }
  });
});

describe('footer', () => {
  it('by default: no policy link, "© {year} {PRODUCT_NAME}", and the development mailbox', async () => {
    const t = await createTestApp({
      clock: { now: () => YEAR_2031 },
      env: { PRODUCT_NAME: 'Seneca Domains' },
    });
    try {
      const html = await (await t.request('/login')).text();
      const footer = html.slice(html.indexOf('<footer'));
      expect(footer).not.toContain('Acceptable Use Policy');
      expect(footer).toContain('<p class="copyright">© 2031 Seneca Domains</p>');
      expect(footer).toMatch(
        /<a href="\/dev\/mailbox"[^>]*>(<svg[^>]*>.*?<\/svg>)?Development mailbox<\/a>/,
      );
    } finally {
      await t.cleanup();
    }
  });

  it('ACCEPTABLE_USE_POLICY_URL and COPYRIGHT_NOTICE are shown, {year} filled in', async () => {
    const t = await createTestApp({
      clock: { now: () => YEAR_2031 },
      env: {
        ACCEPTABLE_USE_POLICY_URL: 'https://example.edu/policies/aup',
        COPYRIGHT_NOTICE: 'Copyright {year} Example College <IT>',
      },
    });
    try {
      const html = await (await t.request('/login')).text();
      const footer = html.slice(html.indexOf('<footer'));
      expect(footer).toContain(
        '<a href="https://example.edu/policies/aup">Acceptable Use Policy</a>',
      );
      expect(footer).toContain(
        '<p class="copyright">Copyright 2031 Example College &lt;IT&gt;</p>',
      );
    } finally {
      await t.cleanup();
    }
  });
});

describe('navigation', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.cleanup());

  it('sits in a <details> whose summary is the Menu button, with decorative icons', async () => {
    const agent = await t.agent(await insertUser(t.container.dbh.db));
    const html = await (await agent.get('/dns-records')).text();
    const header = html.slice(html.indexOf('<header'), html.indexOf('</header>'));
    // Closed by default (the stylesheet shows the content inline on wide screens).
    expect(header).toMatch(/<details class="menu"><summary>(<svg[^>]*>.*?<\/svg>)*Menu<\/summary>/);
    expect(header).toContain('<nav aria-label="Main">');
    expect(header).toMatch(
      /<button type="submit" class="link">(<svg[^>]*>.*?<\/svg>)?Sign out<\/button>/,
    );
    const svgs = [...header.matchAll(/<svg [^>]*>/g)].map((m) => m[0]);
    expect(svgs.length).toBeGreaterThan(3);
    for (const svg of svgs) {
      expect(svg).toContain('aria-hidden="true"');
      expect(svg).toContain('focusable="false"');
    }
  });
});
