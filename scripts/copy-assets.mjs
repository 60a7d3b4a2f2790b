#!/usr/bin/env node
// Second half of `npm run build`: tsc only emits JavaScript, so copy every other file under src/
// (stylesheets, browser scripts, templates, XML...) to the same place under dist/src/, so that
// `node dist/src/main.js` finds them next to the compiled modules exactly as `tsx src/main.ts` does.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const from = path.join(root, 'src');
const to = path.join(root, 'dist', 'src');
/** Sources tsc compiles (and type-only files); everything else is a runtime asset. */
const COMPILED = /\.(ts|tsx|mts|cts)$/;

let copied = 0;
function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const src = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      walk(src);
    } else if (entry.isFile() && !COMPILED.test(entry.name)) {
      const dest = path.join(to, path.relative(from, src));
      mkdirSync(path.dirname(dest), { recursive: true });
      copyFileSync(src, dest);
      copied++;
    }
  }
}
walk(from);
console.log(`copy-assets: ${copied} file(s) copied from src/ to dist/src/`);
