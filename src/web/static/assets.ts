/**
 * Static assets served from memory under fingerprinted URLs (/static/{hash}/{name}) with a one-year
 * immutable cache. htmx comes from the installed package: no CDN.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
}

const SOURCES: Record<string, { file: string; type: string }> = {
  'app.css': { file: path.join(here, 'app.css'), type: 'text/css; charset=utf-8' },
  'app.js': { file: path.join(here, 'app.js'), type: 'text/javascript; charset=utf-8' },
  'htmx.min.js': {
    file: require.resolve('htmx.org/dist/htmx.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
};

export type AssetName = keyof typeof SOURCES;

export function loadAssets(): { byName: Record<string, Asset>; byUrl: Map<string, Asset> } {
  const byName: Record<string, Asset> = {};
  const byUrl = new Map<string, Asset>();
  for (const [name, { file, type }] of Object.entries(SOURCES)) {
    const body = readFileSync(file);
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
    const asset = { url: `/static/${hash}/${name}`, body, type };
    byName[name] = asset;
    byUrl.set(asset.url, asset);
  }
  return { byName, byUrl };
}
