import { allMigrationNames } from '../support/migrations.js';
/**
 * Runs the service the way the image does, without Docker: `npm run build`, then a directory holding only
 * what the Dockerfile's final stage copies (production dependencies, dist/, package.json, the entrypoint,
 * the IdP metadata), started through docker-entrypoint.sh with NODE_ENV=production, secrets as files in a
 * SECRETS_DIR, a fresh MariaDB database and a private Redis. Every outside service (Route53, ACME, SMTP) is
 * pointed at a closed loopback port, so nothing leaves the machine.
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  copyFileSync,
  cpSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createDb } from '../../src/db/client.js';
import { prepareDatabase } from '../../src/db/migrate.js';
import { silentLogger } from '../support/db.js';
import { TEST_MYSQL_URL } from '../support/env.js';
import { insertUser } from '../support/factories.js';
import { productionCommand } from '../support/process.js';
import { HttpBrowser, parseForms, startSignIn } from '../support/saml-flow.js';
import { type Proc, freePort, startProcess, startRedis, stopProcess, waitFor } from './support.js';

const root = path.resolve(import.meta.dirname, '../..');
const work = mkdtempSync(path.join(tmpdir(), 'starchart-image-'));
const app = path.join(work, 'app');
const secretsDir = path.join(work, 'secrets');
let redis: Awaited<ReturnType<typeof startRedis>>;
const databases: string[] = [];
const procs: Proc[] = [];

/** The final stage's COPY instructions, which this test reproduces one by one. */
function finalStageCopies(): string[] {
  const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  const final = dockerfile.split(/^FROM /m).at(-1)!;
  return final.split('\n').filter((l) => l.startsWith('COPY '));
}

/** node_modules as `npm prune --omit=dev` leaves it: every package the lockfile does not mark dev-only. */
function copyProductionDependencies(dest: string): void {
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  const prod = new Set(
    Object.entries(lock.packages)
      .filter(([key, meta]) => key.startsWith('node_modules/') && meta.dev !== true)
      .map(([key]) => key),
  );
  const pkgOf = /^(node_modules\/(?:@[^/]+\/)?[^/]+(?:\/node_modules\/(?:@[^/]+\/)?[^/]+)*)/;
  const keep = (rel: string) => {
    if (/^node_modules\/(\.bin|\.package-lock\.json|\.cache)/.test(rel)) return false;
    if (/^(.*\/)?node_modules\/@[^/]+$/.test(rel)) return true; // scope folder
    if (/\/node_modules$/.test(rel)) return true; // nested folder; its packages are filtered one by one
    const pkg = pkgOf.exec(rel)?.[1];
    return pkg !== undefined && prod.has(pkg);
  };
  // Hard links (same file system) make this a second or two instead of copying ~130 MB; the files still
  // live under the temp dir, so module resolution cannot escape to the repository's node_modules.
  const walk = (rel: string) => {
    mkdirSync(path.join(dest, rel), { recursive: true });
    for (const entry of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = `${rel}/${entry.name}`;
      if (!keep(child)) continue;
      const from = path.join(root, child);
      const to = path.join(dest, child);
      if (entry.isDirectory()) walk(child);
      else if (entry.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
      else {
        try {
          linkSync(from, to);
        } catch {
          copyFileSync(from, to);
        }
      }
    }
  };
  walk('node_modules');
}

function assembleImageFiles(): void {
  // If the Dockerfile's final stage changes, this assembly must change with it.
  expect(finalStageCopies()).toEqual([
    'COPY --from=production-deps /app/node_modules ./node_modules',
    'COPY --from=build /app/dist ./dist',
    'COPY package.json docker-entrypoint.sh ./',
    'COPY ${SAML_IDP_METADATA_PATH} ./config/idp-metadata.xml',
  ]);
  mkdirSync(app, { recursive: true });
  copyProductionDependencies(app);
  cpSync(path.join(root, 'dist'), path.join(app, 'dist'), { recursive: true });
  cpSync(path.join(root, 'package.json'), path.join(app, 'package.json'));
  cpSync(path.join(root, 'docker-entrypoint.sh'), path.join(app, 'docker-entrypoint.sh'));
  mkdirSync(path.join(app, 'config'));
  // The build argument's default (ARG SAML_IDP_METADATA_PATH=config/idp-metadata-dev.xml).
  cpSync(path.join(root, 'config/idp-metadata-dev.xml'), path.join(app, 'config/idp-metadata.xml'));
  mkdirSync(path.join(app, 'data'));
}

function writeSecrets(databaseUrl: string): void {
  mkdirSync(secretsDir, { recursive: true });
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const secrets: Record<string, string> = {
    AWS_ACCESS_KEY_ID: 'AKIATESTTESTTESTTEST',
    AWS_SECRET_ACCESS_KEY: randomBytes(30).toString('base64'),
    LETS_ENCRYPT_ACCOUNT_PRIVATE_KEY_PEM: privateKey
      .export({ type: 'pkcs8', format: 'pem' })
      .toString(),
    SESSION_SECRET: randomBytes(48).toString('base64url'),
    NOTIFICATIONS_USERNAME: 'smtp-user',
    NOTIFICATIONS_PASSWORD: 'smtp-password',
    DATABASE_URL: databaseUrl,
  };
  for (const [name, value] of Object.entries(secrets))
    writeFileSync(path.join(secretsDir, name), value, { mode: 0o600 });
}

async function createDatabase(): Promise<string> {
  const name = `starchart_image_${process.pid}_${databases.length}_${randomBytes(3).toString('hex')}`;
  const conn = await createConnection({ uri: TEST_MYSQL_URL });
  // Production never creates its database: the operator does (docs/deployment.md §4.1).
  await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await conn.end();
  databases.push(name);
  return `${TEST_MYSQL_URL.replace(/\/+$/, '')}/${name}`;
}

/** The image's environment (Dockerfile ENV + stack file), with every outside service on a closed loopback port. */
function imageEnv(port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: work,
    NODE_ENV: 'production',
    ROLE: 'all',
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    APP_URL: `http://127.0.0.1:${port}`,
    ROOT_DOMAIN: 'starchart.test',
    DNS_PROVIDER: 'route53',
    AWS_ROUTE53_HOSTED_ZONE_ID: 'ZTESTZONE0001',
    AWS_REGION: 'us-east-1',
    AWS_ROUTE53_ENDPOINT: 'http://127.0.0.1:9',
    AWS_EC2_METADATA_DISABLED: 'true',
    NOTIFICATIONS_EMAIL_USER: 'no-reply@starchart.test',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: '9',
    LETS_ENCRYPT_ACCOUNT_EMAIL: 'acme@starchart.test',
    LETS_ENCRYPT_DIRECTORY_URL: 'https://127.0.0.1:9/dir',
    REDIS_URL: redis.url,
    SAML_IDP_METADATA_PATH: path.join(app, 'config/idp-metadata.xml'),
    SECRETS_DIR: secretsDir,
    DATA_DIR: path.join(app, 'data'),
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...extra,
  };
}

function startImage(env: Record<string, string>): Proc {
  const { flags, entry } = productionCommand(); // the image's CMD
  const p = startProcess(path.join(app, 'docker-entrypoint.sh'), ['node', ...flags, entry], {
    cwd: app,
    env,
  });
  procs.push(p);
  return p;
}

interface Health {
  status: string;
  checks: Record<string, { status: string; dialect?: string }>;
}

async function healthy(port: number, proc: Proc): Promise<Health> {
  return waitFor(
    `GET /healthcheck on ${port}`,
    async () => {
      // Until its worker has started, a ROLE=all process reports its missing schedules as 'degraded'
      // (200): wait for the whole process to be up.
      const res = await fetch(`http://127.0.0.1:${port}/healthcheck`);
      if (res.status !== 200) return undefined;
      const body = (await res.json()) as Health;
      return body.status === 'ok' ? body : undefined;
    },
    { proc, deadlineMs: 90_000 },
  );
}

const logLines = (out: string, phrase: string) =>
  out.split('\n').filter((l) => l.includes(phrase)).length;

beforeAll(async () => {
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
  assembleImageFiles();
  redis = await startRedis();
}, 240_000);

afterAll(async () => {
  await Promise.all(procs.map((p) => stopProcess(p, 5_000)));
  await redis?.stop();
  if (databases.length > 0) {
    const conn = await createConnection({ uri: TEST_MYSQL_URL });
    for (const db of databases) await conn.query(`DROP DATABASE IF EXISTS \`${db}\``);
    await conn.end();
  }
  rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('the image file set', () => {
  it('contains production dependencies only, the built output and the runtime assets', () => {
    const nm = path.join(app, 'node_modules');
    for (const dep of Object.keys(
      (
        JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
          dependencies: object;
        }
      ).dependencies,
    ))
      expect(existsSync(path.join(nm, dep)), dep).toBe(true);
    for (const devOnly of [
      'vitest',
      'typescript',
      'eslint',
      'prettier',
      '@playwright/test',
      'yaml',
    ])
      expect(existsSync(path.join(nm, devOnly)), devOnly).toBe(false);
    expect(existsSync(path.join(app, 'dist/src/main.js'))).toBe(true);
    expect(existsSync(path.join(app, 'dist/src/cli/db-migrate.js'))).toBe(true);
    expect(existsSync(path.join(app, 'dist/src/web/static/app.css'))).toBe(true);
    expect(existsSync(path.join(app, 'dist/src/web/static/app.js'))).toBe(true);
    expect(existsSync(path.join(app, 'src'))).toBe(false);
  });

  it('starts in production through the entrypoint, migrates, is healthy, and stops cleanly on SIGTERM', async () => {
    const url = await createDatabase();
    writeSecrets(url);
    const port = await freePort();
    const proc = startImage(imageEnv(port));
    const health = await healthy(port, proc);
    expect(health.status).toBe('ok');
    expect(health.checks.database).toMatchObject({ status: 'ok', dialect: 'mysql' });
    expect(health.checks.redis).toMatchObject({ status: 'ok' });
    expect(proc.output()).toContain('docker-entrypoint: applying database migrations');
    expect(proc.output()).toContain(`"applied":${JSON.stringify(allMigrationNames())}`);
    expect(await stopProcess(proc)).toBe(0);
    expect(proc.output()).toContain('shutdown complete');
  });
});

describe('DANGER_DATABASE_WIPE_REINITIALIZE=1 on two replicas starting together', () => {
  it('wipes the database and the queue keys exactly once, and both become healthy', async () => {
    const url = await createDatabase();
    writeSecrets(url);
    // An existing installation: migrated schema, a user, a table from some older version, queue keys.
    const dbh = await createDb({ dialect: 'mysql', url, database: url.split('/').at(-1)! });
    await prepareDatabase(dbh, { wipe: false, logger: silentLogger });
    await insertUser(dbh.db, { username: 'marker.user' });
    const conn = await createConnection({ uri: url });
    await conn.query('CREATE TABLE legacy_marker (id INT PRIMARY KEY)');
    await conn.query('INSERT INTO legacy_marker VALUES (1)');
    await conn.end();
    const r = new Redis(redis.url);
    onTestFinished(() => r.disconnect());
    onTestFinished(() => dbh.close());
    await r.set('starchart:marker', '1');
    await r.set('unrelated:marker', '1');

    const [portA, portB] = [await freePort(), await freePort()];
    const a = startImage(imageEnv(portA, { DANGER_DATABASE_WIPE_REINITIALIZE: '1' }));
    const b = startImage(imageEnv(portB, { DANGER_DATABASE_WIPE_REINITIALIZE: '1' }));
    const [ha, hb] = await Promise.all([healthy(portA, a), healthy(portB, b)]);
    expect(ha.status).toBe('ok');
    expect(hb.status).toBe('ok');

    const logs = [a.output(), b.output()];
    const wiped = logs.map((o) => logLines(o, 'WIPING ALL DATA'));
    const skipped = logs.map((o) => logLines(o, 'not wiping again'));
    expect([...wiped].sort()).toEqual([0, 1]);
    expect([...skipped].sort()).toEqual([0, 1]);
    // The one that wiped is not the one that skipped.
    expect(wiped.map((w, i) => w + skipped[i]!)).toEqual([1, 1]);

    const users = await dbh.db.selectFrom('users').select('username').execute();
    expect(users).toEqual([]);
    const state = await dbh.db.selectFrom('system_state').select('last_wipe_at').executeTakeFirst();
    expect(state?.last_wipe_at).not.toBeNull();
    const check = await createConnection({ uri: url });
    const [tables] = await check.query("SHOW TABLES LIKE 'legacy_marker'");
    await check.end();
    expect(tables).toEqual([]);
    expect(await r.exists('starchart:marker')).toBe(0);
    expect(await r.get('unrelated:marker')).toBe('1');

    expect(await Promise.all([stopProcess(a), stopProcess(b)])).toEqual([0, 0]);
  });
});

describe('the production bundle in the embedded mode', () => {
  // The bundle (scripts/bundle.mjs) loads several parts as chunks on first use; a dynamic import that
  // works under tsx can break only there. This walks the whole development flow through the bundle:
  // dev IdP keys (X.509), sign-in (node-saml), the dev IdP's signature (xml-crypto), pages (JSX runtime),
  // a DNS record through the built-in DNS server's provider, and the development CA.
  it('signs in through the development IdP, creates a DNS record and issues a certificate', async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(path.join(work, 'embedded-'));
    const appUrl = `http://127.0.0.1:${port}`;
    const proc = startProcess(process.execPath, [path.join(app, 'dist/src/main.js')], {
      cwd: dataDir,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'development',
        PORT: String(port),
        HOST: '127.0.0.1',
        APP_URL: appUrl,
        DNS_SERVER_PORT: '0',
        LOG_LEVEL: 'warn',
        DATA_DIR: dataDir,
      },
    });
    procs.push(proc);
    await healthy(port, proc);

    const b = new HttpBrowser();
    const idpUrl = await startSignIn(b, appUrl, '/dns-records');
    const picker = await b.request(idpUrl);
    expect(picker.status, proc.output()).toBe(200);
    const form = parseForms(await picker.text()).find((f) => f.action === '/dev-idp/sso')!;
    const auto = await b.postForm(`${appUrl}/dev-idp/sso`, { ...form.fields, identity: 'student' });
    expect(auto.status, proc.output()).toBe(200);
    const post = parseForms(await auto.text()).find((f) => 'SAMLResponse' in f.fields)!;
    const signedIn = await b.postForm(post.action, post.fields);
    expect(signedIn.status, proc.output()).toBe(302);
    expect(signedIn.headers.get('location')).toBe('/dns-records');

    const page = await b.request(`${appUrl}/dns-records/new`);
    expect(page.status).toBe(200);
    const newForm = parseForms(await page.text()).find((f) => f.action === '/dns-records/new')!;
    const created = await b.postForm(`${appUrl}/dns-records/new`, {
      ...newForm.fields,
      subdomain: 'www',
      type: 'A',
      value: '192.0.2.10',
    });
    expect(created.status, proc.output()).toBe(303);
    const list = await (await b.request(`${appUrl}/dns-records`)).text();
    expect(list).toContain('192.0.2.10');

    const cert = await b.request(`${appUrl}/certificate`);
    expect(cert.status).toBe(200);
    const request = parseForms(await cert.text()).find((f) => f.action === '/certificate')!;
    const requested = await b.postForm(`${appUrl}/certificate`, request.fields);
    expect(requested.status, proc.output()).toBeLessThan(400);
    await waitFor(
      'certificate issued by the development CA',
      async () => {
        const html = await (await b.request(`${appUrl}/certificate`)).text();
        return html.includes('href="/certificate/download/') ? true : undefined;
      },
      { proc, deadlineMs: 60_000 },
    );
    const pem = await (await b.request(`${appUrl}/certificate/download/certificate`)).text();
    expect(pem).toContain('-----BEGIN CERTIFICATE-----');
    expect(await stopProcess(proc)).toBe(0);
  }, 120_000);
});
