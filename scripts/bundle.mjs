#!/usr/bin/env node
// Third step of `npm run build`: replace dist/src/main.js (the service's entry point) with a bundle of
// the service, so a start loads a handful of files instead of ~500 ES modules (kysely alone is 259):
// measured on the 2-core machine, time to a healthy /healthcheck fell from ~1.0 s to ~0.5 s.
// Code that only some deployments use (BullMQ's adapter, Route53, SMTP, ACME, the development IdP's
// certificate generator) stays in separate chunks loaded on first use (dist/src/chunks/).
// Left outside the bundle: the native better-sqlite3 and pino (its transports run in worker threads that
// load files by path). The CLIs (dist/src/cli/*.js) keep using tsc's per-module output.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, transform } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist', 'src');
rmSync(path.join(outdir, 'chunks'), { recursive: true, force: true });

const result = await build({
  absWorkingDir: root,
  // udp-worker: the built-in DNS server forks it by path (DNS_SERVER_UDP_WORKERS).
  entryPoints: { main: 'src/main.ts', 'udp-worker': 'src/adapters/dns/udp-worker.ts' },
  outdir,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  // Prefer packages' ES module builds (e.g. @peculiar/x509: its CommonJS build loses named exports
  // through a dynamic import in a bundle).
  mainFields: ['module', 'main'],
  target: 'node20',
  tsconfig: 'tsconfig.build.json',
  // Whitespace and syntax only: names stay readable in stack traces and logs.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  external: ['better-sqlite3', 'pino', 'pino-pretty', 'thread-stream'],
  // CommonJS dependencies inside an ES module bundle still call require().
  banner: {
    js: "import { createRequire as __starchartCreateRequire } from 'node:module'; const require = __starchartCreateRequire(import.meta.url);",
  },
  metafile: true,
  logLevel: 'warning',
});
const outputs = Object.entries(result.metafile.outputs);
const total = outputs.reduce((n, [, o]) => n + o.bytes, 0);
console.log(
  `bundle: dist/src/main.js + ${outputs.length - 1} chunk(s), ${(total / 1024 / 1024).toFixed(1)} MB`,
);

// The browser's stylesheet and script (copied by copy-assets.mjs), minified: the service compresses
// them once at start-up (Brotli and gzip), and minified they are ~30% smaller still.
let saved = 0;
for (const [file, loader] of [
  ['app.css', 'css'],
  ['app.js', 'js'],
]) {
  const target = path.join(outdir, 'web', 'static', file);
  const source = readFileSync(target, 'utf8');
  const { code } = await transform(source, { loader, minify: true, legalComments: 'none' });
  writeFileSync(target, code);
  saved += source.length - code.length;
}
console.log(`bundle: app.css and app.js minified (${(saved / 1024).toFixed(1)} KB smaller)`);
