/**
 * RFC 2136 DNS UPDATE throughput through the real client (prints figures; never asserts).
 * Run: npx tsx bench/rfc2136.ts   (uses the built dist/ when present: npm run build)
 *
 * BENCH_RFC2136_CLIENTS nsupdate processes (default 4: the server works on at most 4 updates from one
 * source address at once, decision 0016) each send BENCH_RFC2136_UPDATES (default 500) TSIG-signed
 * messages of one `update add` each, one after another (nsupdate waits for each reply and verifies its
 * signature). Measured against:
 *   baseline   a bare Node UDP server in this process that reads the frame and answers NOERROR signed
 *              with the key, writing nothing: what nsupdate itself and the loopback cost;
 *   embedded   the service (SQLite, in-process jobs) as a process: verify, token, scope, rate limits,
 *              one transaction per update with audit rows and the DNS change mark;
 *   mariadb    the same on MariaDB + Redis (rate limits in Redis), the production path.
 * Rate limits are switched off (API_RATE_LIMIT_*=0) so the figures show the work, not the limit.
 * Total updates per server stay under the replay cache (10,000 answers remembered for 5 minutes).
 */
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { appendTsig, verifyRequestMac } from '../src/adapters/dns/tsig.js';
import { readUpdateFrame, updateReply } from '../src/adapters/dns/update-message.js';
import { loadConfig } from '../src/config.js';
import { createDb } from '../src/db/client.js';
import { createToken } from '../src/domain/tokens/tokens.js';
import { systemClock } from '../src/ports/clock.js';
import { insertUser } from '../test/support/factories.js';
import { freePort } from '../test/support/process.js';
import { printMachineSpeed } from './support/calibrate.js';
import { spawnService } from './support/server.js';

const ROOT = 'starchart.test';
const CLIENTS = Number(process.env.BENCH_RFC2136_CLIENTS ?? 4);
const UPDATES = Number(process.env.BENCH_RFC2136_UPDATES ?? 500);
const MYSQL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SESSION_SECRET = 'bench-rfc2136-secret-0123456789abcdef0123456789';

interface Key {
  name: string;
  secret: string;
}

interface Figures {
  updates: number;
  failed: number;
  seconds: number;
}

/**
 * CLIENTS nsupdate processes in parallel, process c signing with keys[c] and changing the address of
 * `${tag}.${labels[c]}`: each message deletes the name's A set and adds one address (what a dynamic-DNS
 * client sends), so each user's record set stays at one record.
 */
async function nsupdateBatches(port: number, keys: Key[], labels: string[], tag: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'starchart-bench-nsupdate-'));
  const files: string[] = [];
  for (let c = 0; c < CLIENTS; c++) {
    const name = `${tag}.${labels[c % labels.length]}.${ROOT}`;
    const lines = [`server 127.0.0.1 ${port}`, `zone ${ROOT}`];
    for (let i = 0; i < UPDATES; i++)
      lines.push(
        `update delete ${name} A`,
        `update add ${name} 60 A 192.0.2.${(i % 250) + 1}`,
        'send',
      );
    const f = path.join(dir, `batch-${c}.txt`);
    writeFileSync(f, `${lines.join('\n')}\n`);
    files.push(f);
  }
  const t0 = performance.now();
  const outputs = await Promise.all(
    files.map(
      (f, i) =>
        new Promise<string>((resolve) =>
          execFile(
            'nsupdate',
            [
              '-t',
              '5',
              '-y',
              `hmac-sha256:${keys[i % keys.length]!.name}:${keys[i % keys.length]!.secret}`,
              f,
            ],
            { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
            (_err, stdout, stderr) => resolve(`${stdout}${stderr}`),
          ),
        ),
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  rmSync(dir, { recursive: true, force: true });
  const failed = outputs.reduce(
    (n, out) => n + (out.match(/update failed|timed out|couldn't get address/g)?.length ?? 0),
    0,
  );
  const sample = outputs.find((o) => o.trim() !== '');
  if (sample) console.log(`  (nsupdate said: ${sample.trim().split('\n')[0]})`);
  return { updates: CLIENTS * UPDATES, failed, seconds } satisfies Figures;
}

const line = (label: string, f: Figures) =>
  console.log(
    `${label.padEnd(44)} ${(f.updates / f.seconds).toFixed(0).padStart(6)} updates/s   ${f.updates} updates in ${f.seconds.toFixed(2)} s   failed: ${f.failed}`,
  );

/** A UDP server that answers every UPDATE NOERROR, signed with `key`, and writes nothing. */
async function bareServer(key: Key): Promise<{ port: number; close: () => void }> {
  const secret = Buffer.from(key.secret, 'base64');
  const udp = dgram.createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    const framed = readUpdateFrame(msg);
    if (!framed.ok || !framed.frame.tsig) return;
    const t = framed.frame.tsig;
    const ok = verifyRequestMac(msg, t, secret);
    const reply = appendTsig(
      updateReply(msg, ok ? 'NOERROR' : 'NOTAUTH', framed.frame.zoneEnd),
      {
        keyWire: t.keyWire,
        algorithmWire: t.algorithmWire,
        originalId: t.originalId,
        timeSigned: Math.floor(Date.now() / 1000),
        fudge: 300,
        error: 0,
        other: Buffer.alloc(0),
      },
      { secret, requestMac: t.mac },
    );
    udp.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  return { port: udp.address().port, close: () => udp.close() };
}

/** The service as a process on `database`; CLIENTS users with a token each, made in the same database. */
async function service(database: Record<string, string>, prefix: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'starchart-bench-rfc2136-'));
  const dnsPort = await freePort();
  const env = {
    ROOT_DOMAIN: ROOT,
    DATA_DIR: dir,
    SECRETS_OVERRIDE: '1',
    SESSION_SECRET,
    DNS_SERVER_PORT: String(dnsPort),
    PORT: String(await freePort()),
    API_RATE_LIMIT_TOKEN_PER_MINUTE: '0',
    API_RATE_LIMIT_USER_PER_MINUTE: '0',
    API_RATE_LIMIT_WRITES_PER_HOUR: '0',
    ...database,
  };
  const svc = await spawnService(env, dir, process.env.BENCH_SERVER_STDOUT ? 'inherit' : 'ignore');
  const config = loadConfig({ NODE_ENV: 'development', ...env });
  const dbh = await createDb(config.database);
  const keys: Key[] = [];
  const labels: string[] = [];
  const userIds: number[] = [];
  for (let c = 0; c < CLIENTS; c++) {
    const user = await insertUser(dbh.db, { dns_label: `${prefix}${c}` });
    const created = await createToken(
      { db: dbh.db, config, clock: systemClock },
      { user, effectiveUser: user, requestId: null },
      {
        name: 'bench',
        expiresInDays: 30,
        permissions: ['records:write'],
        names: [],
        types: [],
        subnets: [],
      },
    );
    keys.push({ name: created.tsig.keyName, secret: created.tsig.secret });
    labels.push(user.dns_label);
    userIds.push(user.id);
  }
  return {
    svc,
    dnsPort,
    keys,
    labels,
    /** Audit rows of record changes so far (two per applied update: delete and create). */
    async changes() {
      const r = await dbh.db
        .selectFrom('audit_log')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('effective_user_id', 'in', userIds)
        .where('action', '=', 'dns-record.create')
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async stop() {
      svc.child.kill('SIGTERM');
      if (svc.child.exitCode === null) await new Promise((r) => svc.child.once('exit', r));
      await dbh.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function measureService(label: string, database: Record<string, string>, prefix: string) {
  const s = await service(database, prefix);
  try {
    const warm = await nsupdateBatches(s.dnsPort, s.keys, s.labels, 'warm'); // JIT, connections
    if (warm.failed > 0) console.log(`  warm-up: ${warm.failed} of ${warm.updates} updates failed`);
    const before = await s.changes();
    const f = await nsupdateBatches(s.dnsPort, s.keys, s.labels, 'ddns');
    line(`${label} (${s.svc.runtime})`, f);
    console.log(`  updates applied (audit rows): ${(await s.changes()) - before} of ${f.updates}`);
  } finally {
    await s.stop();
  }
}

async function main() {
  console.log(
    `\n## RFC 2136 UPDATE through nsupdate: ${CLIENTS} processes in parallel (one user and token each) × ${UPDATES} signed messages (delete the A set + add one address)`,
  );
  const key: Key = { name: 'bench.tsig', secret: Buffer.alloc(32, 1).toString('base64') };
  const bare = await bareServer(key);
  await nsupdateBatches(bare.port, [key], ['x'], 'warm'); // warm-up
  line(
    'baseline: bare UDP server (verify, sign)',
    await nsupdateBatches(bare.port, [key], ['x'], 'b'),
  );
  bare.close();

  await measureService('embedded (SQLite, in-process jobs)', {}, 'benchsqlite');
  const db = `starchart_bench_rfc2136_${process.pid}`;
  try {
    await measureService(
      'MariaDB + Redis',
      { DATABASE_URL: `${MYSQL}/${db}`, REDIS_URL: REDIS },
      'benchmariadb',
    );
  } finally {
    const conn = await createConnection({ uri: MYSQL });
    await conn.query(`drop database if exists \`${db}\``);
    await conn.end();
  }
  printMachineSpeed();
}

await main();
