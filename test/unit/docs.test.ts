import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_VARS, SECRETS } from '../../src/config.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

describe('README configuration reference', () => {
  it('names every variable and secret the configuration schema knows', () => {
    const missing = [...Object.keys(ENV_VARS), ...Object.keys(SECRETS)].filter(
      (k) => !readme.includes(`\`${k}\``),
    );
    expect(missing).toEqual([]);
  });

  it('names no variable the schema does not know', () => {
    const known = new Set([
      ...Object.keys(ENV_VARS),
      ...Object.keys(SECRETS),
      'TEST_MYSQL_URL',
      'TEST_REDIS_URL',
    ]);
    const table = readme.slice(readme.indexOf('## Configuration reference'));
    const named = [...table.matchAll(/^\| `([A-Z][A-Z0-9_]+)`/gm)].map((m) => m[1]!);
    expect(named.filter((n) => !known.has(n))).toEqual([]);
  });

  it('keeps the two commands at the top', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm test');
  });
});
