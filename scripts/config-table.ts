// Prints the configuration reference tables (Markdown) from src/config.ts, for README.md and docs.
import { ENV_VARS, SECRETS } from '../src/config.js';

const esc = (s: string) => s.replace(/\|/g, '\\|');
console.log('| Variable | Meaning and default |\n| --- | --- |');
for (const [k, v] of Object.entries(ENV_VARS)) console.log(`| \`${k}\` | ${esc(v)} |`);
console.log('\n| Secret (Docker secret file) | Meaning |\n| --- | --- |');
for (const [k, v] of Object.entries(SECRETS)) console.log(`| \`${k}\` | ${esc(v)} |`);
