/** npm run bench: every benchmark in bench/, one after another; each prints its own figures. */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const dir = import.meta.dirname;
const only = process.argv.slice(2);
for (const file of readdirSync(dir).sort()) {
  if (!file.endsWith('.ts') || file === 'run.ts' || file.startsWith('_')) continue;
  if (only.length > 0 && !only.some((o) => file.includes(o))) continue;
  console.log(`\n== ${file} ==`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(dir, file)], {
    stdio: 'inherit',
  });
  if (r.status !== 0) process.exitCode = 1;
}
