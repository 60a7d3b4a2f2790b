/**
 * Sign-in benchmark against a real SimpleSAMLphp over HTTP, with the app served on a loopback port.
 * Prints: the median full sign-in round trip (POST /login → IdP login → ACS → session) over 50 runs, the
 * ACS request time seen by the client, the ACS handler's own time (from its log line), and anonymous
 * GET /login requests/s at 50 connections (wrk, else autocannon) against the service as its own process
 * (the built dist/ when present, as in production).
 *
 *   npx tsx bench/sign-in.ts [--mysql] [--runs 50] [--seconds 10]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { startService } from '../src/service.js';
import { uniqueDatabaseConfig } from '../test/support/db.js';
import { load } from './support/load.js';
import { startServerProcess } from './support/server.js';
import { HttpBrowser, loginAtSimpleSamlPhp, startSignIn } from '../test/support/saml-flow.js';
import { freePort, startSimpleSamlPhp } from '../test/support/simplesamlphp.js';
import { printMachineSpeed } from './support/calibrate.js';

printMachineSpeed();

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const runs = arg('--runs', 50);
const seconds = arg('--seconds', 10);
const dialect = process.argv.includes('--mysql') ? 'mysql' : 'sqlite';
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)]!;
const ms = (x: number) => `${x.toFixed(1)} ms`;

const port = await freePort();
const appUrl = `http://127.0.0.1:${port}`;
const ssp = await startSimpleSamlPhp({
  serviceProviders: [
    {
      entityId: `${appUrl}/sp`,
      acsUrl: `${appUrl}/login/callback`,
      sloUrl: `${appUrl}/logout/callback`,
    },
  ],
});
const dataDir = mkdtempSync(path.join(tmpdir(), 'starchart-bench-'));
const db = uniqueDatabaseConfig(dialect);
const config = loadConfig({
  NODE_ENV: 'test',
  HOST: '127.0.0.1',
  PORT: String(port),
  APP_URL: appUrl,
  DATA_DIR: dataDir,
  DATABASE_URL: db.url,
  SAML_IDP_METADATA_PATH: ssp.metadataPath,
  LOG_LEVEL: 'info',
});
// Log lines are serialised as in production but discarded, except the ACS timing we report.
const acsHandlerMs: number[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, cb) {
    const line = chunk.toString();
    if (line.includes('"acsMs"')) acsHandlerMs.push((JSON.parse(line) as { acsMs: number }).acsMs);
    cb();
  },
});
const logger = pino({ level: 'info' }, sink);
const service = await startService(config, logger);

try {
  const roundTrip: number[] = [];
  const acsRequest: number[] = [];
  const users = [
    ['user1', 'user1pass'],
    ['user2', 'user2pass'],
    ['user3', 'user3pass'],
    ['han.solo', 'starchart'],
  ] as const;
  for (let i = 0; i < runs + 3; i++) {
    const [u, p] = users[i % users.length]!;
    const b = new HttpBrowser();
    const t0 = performance.now();
    const idpUrl = await startSignIn(b, appUrl);
    const post = await loginAtSimpleSamlPhp(b, idpUrl, u, p);
    const t1 = performance.now();
    const res = await b.postForm(post.acsUrl, post.fields);
    const t2 = performance.now();
    if (res.status !== 302 || !b.cookies(appUrl).has('__session'))
      throw new Error(`sign-in ${i} failed with ${res.status}`);
    await res.arrayBuffer();
    if (i >= 3) {
      // the first three warm up JIT, connections and caches
      roundTrip.push(t2 - t0);
      acsRequest.push(t2 - t1);
    }
  }
  const handler = acsHandlerMs.slice(3);

  // Throughput: the service as its own process, the load generator as another.
  const srv = await startServerProcess();
  await load({ url: `${srv.url}/login`, connections: 50, duration: 2 }); // warm-up
  const r = await load({ url: `${srv.url}/login`, connections: 50, duration: seconds });
  await srv.stop();

  console.log(`Sign-in benchmark (${dialect}, SimpleSAMLphp at ${ssp.baseUrl}, app at ${appUrl})`);
  console.log(
    `  full sign-in round trip, median of ${runs}: ${ms(median(roundTrip))} (p95 ${ms(p95(roundTrip))})`,
  );
  console.log(
    `  ACS POST as seen by the client, median:   ${ms(median(acsRequest))} (p95 ${ms(p95(acsRequest))})`,
  );
  console.log(
    `  ACS handler's own time, median:           ${ms(median(handler))} (p95 ${ms(p95(handler))})`,
  );
  console.log(
    `  GET /login anonymous, 50 connections, ${seconds} s (server: ${srv.runtime}, load: ${r.tool}): ${Math.round(r.rps)} requests/s ` +
      `(p50 ${ms(r.p50)}, p99 ${ms(r.p99)}, non-2xx ${r.bad}, errors ${r.errors})`,
  );
} finally {
  await service.stop();
  await ssp.stop();
  await db.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
}
