/**
 * Helpers for certificate tests: an app wired to Pebble (built-in DNS server or the fake Route53's DNS
 * face), a CA wrapper that counts orders and can crash after a call, and waiting for a final status.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Db } from '../../src/db/client.js';
import type { CertificateRow } from '../../src/db/schema.js';
import { type ScheduleWatchdog, startJobs } from '../../src/jobs/worker.js';
import type {
  CertificateAuthority,
  NewOrderOptions,
} from '../../src/ports/certificate-authority.js';
import { type TestApp, type TestAppOptions, createTestApp } from './app.js';
import type { Dialect } from './db.js';
import { silentLogger } from './db.js';
import { FakeRoute53 } from './fake-route53.js';
import { type AcmeProxy, startAcmeProxy } from './acme-proxy.js';
import { type Pebble, preparePebble } from './pebble.js';

export const ROOT = 'starchart.test';

export class CountingCa implements CertificateAuthority {
  orders: string[] = [];
  /** The options of each createOrder, in the order of `orders` (replaces, profile). */
  orderOptions: NewOrderOptions[] = [];
  renewalInfoCalls: string[] = [];
  finalizes = 0;
  /** Throw after the named call succeeded (a crash after the side effect, before progress is stored). */
  crashAfter: keyof CertificateAuthority | null = null;
  /** Refuse answering (the CA "cannot see" the records): the wrapped call never reaches the CA. */
  constructor(readonly inner: CertificateAuthority) {}
  get kind() {
    return this.inner.kind;
  }
  private maybeCrash(name: keyof CertificateAuthority) {
    if (this.crashAfter === name) {
      this.crashAfter = null;
      throw new Error(`simulated crash after ${name}`);
    }
  }
  async createOrder(ids: string[], options: NewOrderOptions = {}) {
    const url = await this.inner.createOrder(ids, options);
    this.orders.push(url);
    this.orderOptions.push(options);
    this.maybeCrash('createOrder');
    return url;
  }
  directoryInfo() {
    return this.inner.directoryInfo();
  }
  async renewalInfo(certId: string) {
    this.renewalInfoCalls.push(certId);
    const info = await this.inner.renewalInfo(certId);
    this.maybeCrash('renewalInfo');
    return info;
  }
  async getOrder(url: string) {
    const o = await this.inner.getOrder(url);
    this.maybeCrash('getOrder');
    return o;
  }
  async answerChallenges(url: string) {
    await this.inner.answerChallenges(url);
    this.maybeCrash('answerChallenges');
  }
  async finalizeOrder(url: string, key: string, ids: string[]) {
    await this.inner.finalizeOrder(url, key, ids);
    this.finalizes++;
    this.maybeCrash('finalizeOrder');
  }
  async downloadCertificate(url: string) {
    const c = await this.inner.downloadCertificate(url);
    this.maybeCrash('downloadCertificate');
    return c;
  }
  revokeCertificate(pem: string) {
    return this.inner.revokeCertificate(pem);
  }
  rootCertificatePem() {
    return this.inner.rootCertificatePem();
  }
}

export interface CertEnv {
  t: TestApp;
  ca: CountingCa;
  pebble: Pebble | null;
  /** The ACME proxy in front of Pebble (`acmeProxy` option), which the app talks to instead. */
  proxy: AcmeProxy | null;
  fake: FakeRoute53 | null;
  db: () => Db;
  startWorker: () => Promise<void>;
  cleanup: () => Promise<void>;
}

/**
 * An app issuing through Pebble (provider 'embedded' → built-in DNS server; 'route53' → the fake and
 * its DNS face) or through the development CA (`devCa: true`, embedded only).
 */
export async function certificateEnv(
  dialect: Dialect,
  provider: 'embedded' | 'route53',
  opts: {
    devCa?: boolean;
    env?: Record<string, string>;
    /** Put test/support/acme-proxy.ts in front of Pebble (renewal information, profiles, 429s). */
    acmeProxy?: boolean | Parameters<typeof startAcmeProxy>[1];
  } & Partial<TestAppOptions> = {},
): Promise<CertEnv> {
  const pebble = opts.devCa ? null : await preparePebble();
  const proxy =
    pebble && opts.acmeProxy
      ? await startAcmeProxy(pebble, opts.acmeProxy === true ? {} : opts.acmeProxy)
      : null;
  let fake: FakeRoute53 | null = null;
  const env: Record<string, string> = { DNS_SERVER_PORT: '0', ...opts.env };
  if (pebble) {
    env.LETS_ENCRYPT_DIRECTORY_URL = proxy?.directoryUrl ?? pebble.directoryUrl;
    env.ACME_CA_BUNDLE_PATH = pebble.caBundlePath;
    env.LETS_ENCRYPT_ACCOUNT_EMAIL = 'certs@starchart.test';
  }
  if (provider === 'route53') {
    fake = new FakeRoute53({ origin: ROOT, insyncDelayMs: 20 });
    await fake.start();
    Object.assign(env, {
      DNS_PROVIDER: 'route53',
      AWS_ROUTE53_HOSTED_ZONE_ID: fake.zoneId,
      AWS_ROUTE53_ENDPOINT: fake.endpoint,
      ACME_DNS_RESOLVERS: `127.0.0.1:${fake.dnsPort}`,
    });
  }
  let ca!: CountingCa;
  const t = await createTestApp({
    dialect,
    ...opts,
    env,
    wrapCa: (inner) => (ca = new CountingCa(inner)),
  });
  let dnsAddr: string;
  if (provider === 'embedded') {
    const port = await t.container.dnsServer!.start();
    dnsAddr = `127.0.0.1:${port}`;
  } else dnsAddr = `127.0.0.1:${fake!.dnsPort}`;
  if (pebble) await pebble.start(dnsAddr);
  let watchdog: ScheduleWatchdog | null = null;
  return {
    t,
    ca,
    pebble,
    proxy,
    fake,
    db: () => t.container.dbh.db,
    startWorker: async () => {
      watchdog = await startJobs({
        config: t.config,
        queue: t.container.queue,
        registry: t.container.registry,
        deps: t.container.jobDeps,
        logger: silentLogger,
        concurrency: 16,
      });
    },
    async cleanup() {
      watchdog?.stop();
      await t.container.dnsServer?.stop();
      await t.cleanup();
      await proxy?.stop();
      await pebble?.stop();
      await fake?.stop();
    },
  };
}

/** Wait until the certificate leaves 'pending'. */
export async function waitSettled(db: Db, id: number, ms = 30_000): Promise<CertificateRow> {
  const end = Date.now() + ms;
  for (;;) {
    const row = await db
      .selectFrom('certificates')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    if (row.status !== 'pending') return row;
    if (Date.now() > end) throw new Error(`certificate ${id} still pending at step ${row.step}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** `openssl verify` of leaf + chain against a root; returns openssl's output (throws on failure). */
export function opensslVerify(dir: string, rootPath: string, leaf: string, chain: string): string {
  writeFileSync(path.join(dir, 'leaf.pem'), leaf);
  writeFileSync(path.join(dir, 'chain.pem'), chain);
  return execFileSync(
    'openssl',
    [
      'verify',
      '-CAfile',
      rootPath,
      '-untrusted',
      path.join(dir, 'chain.pem'),
      path.join(dir, 'leaf.pem'),
    ],
    { encoding: 'utf8' },
  );
}

export function opensslSan(dir: string, leaf: string): string {
  writeFileSync(path.join(dir, 'san.pem'), leaf);
  return execFileSync(
    'openssl',
    ['x509', '-noout', '-ext', 'subjectAltName', '-in', path.join(dir, 'san.pem')],
    {
      encoding: 'utf8',
    },
  );
}
