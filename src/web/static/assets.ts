/**
 * Static assets served from memory under fingerprinted URLs (/static/{hash}/{name}) with a one-year
 * immutable cache. htmx comes from the installed package: no CDN.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ICON_SPRITE } from '../views/icons.js';

// This module's folder, or, inside the production bundle (dist/src/main.js, see scripts/bundle.mjs),
// the bundle's folder, under which the stylesheet and script sit at web/static/.
const moduleDir = path.dirname(fileURLToPath(import.meta.url));
const here = existsSync(path.join(moduleDir, 'app.css'))
  ? moduleDir
  : path.join(moduleDir, 'web', 'static');
const require = createRequire(import.meta.url);

export interface Asset {
  url: string;
  body: Buffer;
  type: string;
  /**
   * The body compressed once at start-up at the highest levels (text assets only; PNGs are already
   * compressed): served to browsers that accept it, so no request spends CPU compressing a file.
   */
  encoded?: { br: Buffer; gzip: Buffer };
}

const TEXT = /^(text\/|image\/svg|application\/(manifest|json|javascript))/;

const SOURCES: Record<string, { file: string; type: string }> = {
  'app.css': { file: path.join(here, 'app.css'), type: 'text/css; charset=utf-8' },
  'app.js': { file: path.join(here, 'app.js'), type: 'text/javascript; charset=utf-8' },
  // Favicon (SVG, with a PNG for browsers without SVG favicons), the home-screen icon and the manifest's
  // icons; drawn in src/web/static/favicon.svg and scripts/icons/app-icon.svg, rendered to PNG by
  // scripts/render-icons.mts.
  'favicon.svg': { file: path.join(here, 'favicon.svg'), type: 'image/svg+xml' },
  'favicon-32.png': { file: path.join(here, 'favicon-32.png'), type: 'image/png' },
  'apple-touch-icon.png': { file: path.join(here, 'apple-touch-icon.png'), type: 'image/png' },
  'icon-192.png': { file: path.join(here, 'icon-192.png'), type: 'image/png' },
  'icon-512.png': { file: path.join(here, 'icon-512.png'), type: 'image/png' },
  'htmx.min.js': {
    file: require.resolve('htmx.org/dist/htmx.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
};

export type AssetName = keyof typeof SOURCES;

/**
 * Fixed paths browsers, link previews and home-screen shortcuts ask for whatever a page links, and the
 * asset each one serves (not fingerprinted, so cached for a day rather than a year).
 */
export const ROOT_ICONS: Record<string, string> = {
  '/favicon.ico': 'favicon-32.png',
  '/apple-touch-icon.png': 'apple-touch-icon.png',
  '/apple-touch-icon-precomposed.png': 'apple-touch-icon.png',
};

/** /static/{first 12 hex of SHA-256}/{name}: a new URL whenever the content changes. */
export function fingerprintUrl(name: string, body: Buffer | string): string {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return `/static/${hash}/${name}`;
}

function fingerprinted(name: string, body: Buffer, type: string): Asset {
  const asset: Asset = { url: fingerprintUrl(name, body), body, type };
  if (TEXT.test(type)) {
    asset.encoded = {
      br: brotliCompressSync(body, {
        params: {
          [zlib.BROTLI_PARAM_QUALITY]: zlib.BROTLI_MAX_QUALITY,
          [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
          [zlib.BROTLI_PARAM_SIZE_HINT]: body.length,
        },
      }),
      gzip: gzipSync(body, { level: 9 }),
    };
  }
  return asset;
}

/**
 * The files above, plus the web manifest (app.webmanifest), which names the product (PRODUCT_NAME) and
 * points at the fingerprinted icons, so it is built here rather than read from a file.
 */
export function loadAssets(productName = 'My.Custom.Domain'): {
  byName: Record<string, Asset>;
  byUrl: Map<string, Asset>;
} {
  const byName: Record<string, Asset> = {};
  const byUrl = new Map<string, Asset>();
  const add = (name: string, asset: Asset) => {
    byName[name] = asset;
    byUrl.set(asset.url, asset);
  };
  for (const [name, { file, type }] of Object.entries(SOURCES)) {
    add(name, fingerprinted(name, readFileSync(file), type));
  }
  const manifest = {
    name: productName,
    short_name: productName,
    description: 'DNS records and HTTPS certificates for your own domain',
    start_url: '/',
    scope: '/',
    display: 'standalone',
    background_color: '#f6f7f9',
    theme_color: '#b30f0e',
    icons: [
      { src: byName['icon-192.png']!.url, sizes: '192x192', type: 'image/png', purpose: 'any' },
      { src: byName['icon-512.png']!.url, sizes: '512x512', type: 'image/png', purpose: 'any' },
      {
        src: byName['icon-512.png']!.url,
        sizes: '512x512',
        type: 'image/png',
        purpose: 'maskable',
      },
      { src: byName['favicon.svg']!.url, sizes: 'any', type: 'image/svg+xml' },
    ],
  };
  // The icon sprite pages reference with <use> (views/icons.tsx builds it and its URL).
  add('icons.svg', fingerprinted('icons.svg', Buffer.from(ICON_SPRITE), 'image/svg+xml'));
  add(
    'app.webmanifest',
    fingerprinted(
      'app.webmanifest',
      Buffer.from(JSON.stringify(manifest)),
      'application/manifest+json; charset=utf-8',
    ),
  );
  return { byName, byUrl };
}
