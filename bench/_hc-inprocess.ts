// Scratch: per-request cost of the app without the network (not run by npm run bench: leading underscore).
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { createContainer } from '../src/container.js';
import { prepareDatabase } from '../src/db/migrate.js';
import { createApp } from '../src/web/app.js';
const config = loadConfig({ DATA_DIR: '/tmp/hc-bench', LOG_LEVEL: 'warn' });
const logger = pino({ level: 'warn' });
const c = await createContainer(config, logger);
await prepareDatabase(c.dbh, { wipe: false, logger });
const { app } = createApp(c);
for (const path of process.argv[2] ? [process.argv[2]] : ['/healthcheck', '/']) {
  for (let i = 0; i < 2000; i++) await app.request(path);
  const t = performance.now();
  const N = 20000;
  for (let i = 0; i < N; i++) await (await app.request(path)).arrayBuffer();
  console.log(path, (((performance.now() - t) / N) * 1000).toFixed(1), 'µs/req');
}
process.exit(0);
