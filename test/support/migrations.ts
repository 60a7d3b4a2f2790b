import { readdirSync } from 'node:fs';
import path from 'node:path';

/** Names of every migration in src/db/migrations, in the order they apply. */
export function allMigrationNames(): string[] {
  const dir = path.resolve(import.meta.dirname, '../../src/db/migrations');
  return readdirSync(dir)
    .filter((f) => /^\d{14}_[a-z0-9_]+\.ts$/.test(f))
    .sort()
    .map((f) => f.replace(/\.ts$/, ''));
}
