/**
 * The ACME adapter's directory information, RFC 9773 renewal information, order options and rate-limit
 * answers, against the real Pebble with real DNS-01 through test/support/acme-proxy.ts, which stands in
 * for what Pebble 2.4 lacks (renewalInfo, meta.profiles, Let's Encrypt's 429 rateLimited answers).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, type Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { X509Certificate } from '@peculiar/x509';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AcmeCertificateAuthority } from '../../src/adapters/ca/acme.js';
import { loadConfig } from '../../src/config.js';
import { ariCertId } from '../../src/domain/certificates/ari.js';
import { requestCertificate } from '../../src/domain/certificates/certificates.js';
import { certificateDeps } from '../../src/jobs/certificate-deps.js';
import { CaError } from '../../src/ports/certificate-authority.js';
import { startService } from '../../src/service.js';
import { DEFAULT_RENEWAL_RETRY_AFTER_S, LETS_ENCRYPT_PROFILES } from '../support/acme-proxy.js';
import {
  type CertEnv,
  ROOT,
  certificateEnv,
  opensslVerify,
  waitSettled,
} from '../support/certificates.js';
import { silentLogger, uniqueDatabaseConfig } from '../support/db.js';
import { insertUser } from '../support/factories.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'starchart-ari-'));
const caError = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a CaError');
    },
    (err: unknown) => {
      expect(err).toBeInstanceOf(CaError);
      return err as CaError;
    },
  );

describe('ACME through the proxy in front of Pebble (renewal information, profiles, 429)', () => {
  let e: CertEnv;
  let issuedLeaf: string;
  beforeAll(async () => {
    e = await certificateEnv('sqlite', 'embedded', { acmeProxy: true });
    await e.startWorker();
  });
  afterAll(async () => {
    await e?.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });
  /** A fresh adapter (its own directory cache) on the same account key and trust. */
  const freshAdapter = (getTimeoutMs?: number) =>
    new AcmeCertificateAuthority({
      directoryUrl: e.proxy!.directoryUrl,
      accountKeyPem: e.t.config.acme.accountKeyPem ?? '',
      accountEmail: null,
      caBundlePath: e.proxy!.caBundlePath,
      getTimeoutMs,
    });

  test('directoryInfo reports renewal information and the profiles', async () => {
    expect(await e.ca.directoryInfo()).toEqual({
      renewalInfo: true,
      profiles: LETS_ENCRYPT_PROFILES,
    });
  });

  test('a full issuance (real DNS-01) still works through the proxy, which sees the download', async () => {
    const user = await insertUser(e.db());
    const { certificate } = await requestCertificate(
      certificateDeps(e.t.container.jobDeps),
      null,
      user,
    );
    const row = await waitSettled(e.db(), certificate.id);
    expect(row.error).toBeNull();
    expect(row.status).toBe('issued');
    expect(
      opensslVerify(scratch, await e.pebble!.rootPemPath(), row.certificate!, row.chain!),
    ).toMatch(/: OK/);
    expect(
      e
        .proxy!.newOrders.at(-1)!
        .payload.identifiers!.map((i) => i.value)
        .sort(),
    ).toEqual([`*.${user.dns_label}.${ROOT}`, `${user.dns_label}.${ROOT}`].sort());
    expect(e.proxy!.newOrders.at(-1)!.status).toBe(201);
    issuedLeaf = row.certificate!;
    const id = (await ariCertId(issuedLeaf))!;
    expect(e.proxy!.certificates.get(id)?.certId).toBe(id);
  });

  test('renewalInfo of an issued certificate: by default the last third of its lifetime, Retry-After 6 h', async () => {
    expect(issuedLeaf).toBeTruthy();
    const id = (await ariCertId(issuedLeaf))!;
    const leaf = new X509Certificate(issuedLeaf);
    const nb = leaf.notBefore.getTime();
    const na = leaf.notAfter.getTime();
    const before = e.proxy!.renewalInfoRequests.length;
    expect(await e.ca.renewalInfo(id)).toEqual({
      windowStart: nb + Math.round(((na - nb) * 2) / 3),
      windowEnd: na,
      retryAfterMs: DEFAULT_RENEWAL_RETRY_AFTER_S * 1000,
      explanationUrl: null,
    });
    expect(e.proxy!.renewalInfoRequests.slice(before)).toEqual([id]);
  });

  test("renewalInfo returns the test's window, Retry-After and explanation URL", async () => {
    const id = 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE';
    const start = Date.parse('2027-01-02T03:04:05Z');
    const end = Date.parse('2027-01-03T00:00:00Z');
    e.proxy!.setWindow(id, start, end, 1234, 'https://ca.test/incident');
    expect(await e.ca.renewalInfo(id)).toEqual({
      windowStart: start,
      windowEnd: end,
      retryAfterMs: 1_234_000,
      explanationUrl: 'https://ca.test/incident',
    });
    e.proxy!.setWindow(id, start, end, null);
    expect((await e.ca.renewalInfo(id))?.retryAfterMs).toBeNull();
  });

  test('renewalInfo errors: unknown id rejected, 429 rate limited, 5xx unavailable', async () => {
    const unknown = 'AAAAAAAAAAAAAAAAAAAAAAAAAAA.AQ';
    expect((await caError(e.ca.renewalInfo(unknown))).kind).toBe('rejected');
    e.proxy!.setRenewalInfoResponse(unknown, {
      status: 429,
      body: JSON.stringify({ type: 'urn:ietf:params:acme:error:rateLimited', detail: 'slow down' }),
      headers: { 'content-type': 'application/problem+json', 'retry-after': '90' },
    });
    const limited = await caError(e.ca.renewalInfo(unknown));
    expect([limited.kind, limited.retryAfterMs]).toEqual(['rateLimited', 90_000]);
    expect(limited.message).toContain('slow down');
    e.proxy!.setRenewalInfoResponse(unknown, { status: 503, body: 'down for maintenance' });
    expect((await caError(e.ca.renewalInfo(unknown))).kind).toBe('unavailable');
    e.proxy!.setRenewalInfoResponse(unknown, null);
    expect((await caError(e.ca.renewalInfo('not an id'))).kind).toBe('rejected');
  });

  test('a malformed or oversized renewal-information answer is unavailable with a clear message', async () => {
    const id = 'BBBBBBBBBBBBBBBBBBBBBBBBBBB.Ag';
    const cases: [string, RegExp][] = [
      ['{"suggestedWindow":{"start":"yesterday","end":"2027-01-01T00:00:00Z"}}', /RFC 3339/],
      [
        '{"suggestedWindow":{"start":"2027-01-02T00:00:00Z","end":"2027-01-01T00:00:00Z"}}',
        /end must be after its start/,
      ],
      ['{"window":1}', /suggestedWindow/],
      ['not json', /not JSON/],
      [JSON.stringify({ pad: 'x'.repeat(70 * 1024) }), /exceeds 65536 bytes/],
    ];
    for (const [body, message] of cases) {
      e.proxy!.setRenewalInfoResponse(id, { status: 200, body });
      const err = await caError(e.ca.renewalInfo(id));
      expect(err.kind).toBe('unavailable');
      expect(err.message).toMatch(message);
    }
    e.proxy!.setRenewalInfoResponse(id, null);
  });

  test('createOrder sends replaces and profile in the newOrder payload', async () => {
    const ids = [`ari-${Date.now()}.${ROOT}`];
    await e.ca.createOrder(ids, {
      replaces: 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE',
      profile: 'tlsserver',
    });
    expect(e.proxy!.newOrders.at(-1)).toMatchObject({
      status: 201,
      payload: {
        identifiers: [{ type: 'dns', value: ids[0] }],
        replaces: 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE',
        profile: 'tlsserver',
      },
    });
    await e.ca.createOrder(ids);
    const plain = e.proxy!.newOrders.at(-1)!.payload;
    expect('replaces' in plain || 'profile' in plain).toBe(false);
    const invalid = await caError(e.ca.createOrder(ids, { profile: 'longlived' }));
    expect([invalid.kind, invalid.type]).toEqual([
      'rejected',
      'urn:ietf:params:acme:error:invalidProfile',
    ]);
  });

  test("the CA's 429 on newOrder becomes CaError rateLimited with retryAfterMs; the next order goes through", async () => {
    const ids = [`limited-${Date.now()}.${ROOT}`];
    e.proxy!.rateLimitNext(120);
    const err = await caError(e.ca.createOrder(ids));
    expect([err.kind, err.type, err.retryAfterMs]).toEqual([
      'rateLimited',
      'urn:ietf:params:acme:error:rateLimited',
      120_000,
    ]);
    expect(err.message).toMatch(/too many new orders \(test limit\)/);
    expect(e.proxy!.newOrders.at(-1)!.status).toBe(429);
    await e.ca.createOrder(ids); // the fresh Replay-Nonce of the 429 is usable
    expect(e.proxy!.newOrders.at(-1)!.status).toBe(201);

    e.proxy!.limitNewOrders(1, 45);
    await e.ca.createOrder(ids);
    expect((await caError(e.ca.createOrder(ids))).retryAfterMs).toBe(45_000);
    expect((await caError(e.ca.createOrder(ids))).kind).toBe('rateLimited');
    e.proxy!.limitNewOrders(null);
    await e.ca.createOrder(ids);
    expect(e.proxy!.newOrders.slice(-4).map((o) => o.status)).toEqual([201, 429, 429, 201]);
  });

  test('a directory without renewalInfo or profiles: renewalInfo is null, no profiles', async () => {
    e.proxy!.setRenewalInfo(false);
    e.proxy!.setProfiles(null);
    try {
      const ca = freshAdapter();
      expect(await ca.directoryInfo()).toEqual({ renewalInfo: false, profiles: {} });
      expect(await ca.renewalInfo('aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE')).toBeNull();
    } finally {
      e.proxy!.setRenewalInfo(true);
      e.proxy!.setProfiles(LETS_ENCRYPT_PROFILES);
    }
  });

  test('the directory is read once per adapter, and read again after a failed read', async () => {
    const ca = freshAdapter();
    e.proxy!.failDirectory(1);
    const before = e.proxy!.directoryRequests;
    const err = await caError(ca.directoryInfo());
    expect(err.kind).toBe('unavailable');
    expect(err.message).toContain(e.proxy!.directoryUrl);
    expect((await ca.directoryInfo()).renewalInfo).toBe(true);
    await ca.directoryInfo();
    await ca.renewalInfo('aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE');
    expect(e.proxy!.directoryRequests - before).toBe(2);
  });

  test('an unreachable directory is unavailable, naming its URL', async () => {
    const dead = new AcmeCertificateAuthority({
      directoryUrl: 'https://127.0.0.1:9/dir',
      accountKeyPem: e.t.config.acme.accountKeyPem ?? '',
      accountEmail: null,
      caBundlePath: e.proxy!.caBundlePath,
    });
    const err = await caError(dead.directoryInfo());
    expect(err.kind).toBe('unavailable');
    expect(err.message).toContain('https://127.0.0.1:9/dir');
  });

  test('a directory that never answers times out as unavailable', async () => {
    // A TCP listener that accepts and stays silent: the TLS handshake never completes.
    const sockets: Socket[] = [];
    const silent = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const url = `https://127.0.0.1:${(silent.address() as AddressInfo).port}/dir`;
      const ca = new AcmeCertificateAuthority({
        directoryUrl: url,
        accountKeyPem: e.t.config.acme.accountKeyPem ?? '',
        accountEmail: null,
        caBundlePath: e.proxy!.caBundlePath,
        getTimeoutMs: 300,
      });
      const started = Date.now();
      const err = await caError(ca.directoryInfo());
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(err.kind).toBe('unavailable');
      expect(err.message).toContain(`${url}: no complete answer within 0.3 s`);
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise((r) => silent.close(r));
    }
  });

  describe('start-up check of LETS_ENCRYPT_PROFILE', () => {
    const start = async (profile: string, logger = silentLogger) => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'starchart-profile-'));
      const db = uniqueDatabaseConfig('sqlite');
      const config = loadConfig({
        NODE_ENV: 'test',
        ROLE: 'web',
        DATA_DIR: dataDir,
        DATABASE_URL: db.url,
        ROOT_DOMAIN: ROOT,
        PORT: '0',
        HOST: '127.0.0.1',
        DNS_SERVER_PORT: '0',
        LETS_ENCRYPT_DIRECTORY_URL: e.proxy!.directoryUrl,
        ACME_CA_BUNDLE_PATH: e.proxy!.caBundlePath,
        LETS_ENCRYPT_PROFILE: profile,
      });
      try {
        const service = await startService(config, logger, {
          profileCheck: { retryDelaysMs: [10, 10] },
        });
        await service.stop();
        return 'started';
      } finally {
        await db.cleanup();
        rmSync(dataDir, { recursive: true, force: true });
      }
    };

    test('refuses to start when the directory does not advertise the profile', async () => {
      e.proxy!.setProfiles({ classic: 'c', tlsserver: 't' });
      try {
        await expect(start('shortlived')).rejects.toThrow(
          `LETS_ENCRYPT_PROFILE is "shortlived" but the certificate authority at ${e.proxy!.directoryUrl} offers: classic, tlsserver`,
        );
        expect(await start('tlsserver')).toBe('started');
        e.proxy!.setProfiles(null);
        await expect(start('tlsserver')).rejects.toThrow(/offers no profiles/);
      } finally {
        e.proxy!.setProfiles(LETS_ENCRYPT_PROFILES);
      }
    });

    test('retries an unreadable directory, then starts with a warning naming the URL', async () => {
      const lines: string[] = [];
      const logger = pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
      e.proxy!.failDirectory(2);
      expect(await start('shortlived', logger)).toBe('started');
      expect(lines).toEqual([]);
      e.proxy!.failDirectory(3);
      expect(await start('shortlived', logger)).toBe('started');
      expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual([
        expect.stringContaining(
          `LETS_ENCRYPT_PROFILE "shortlived" could not be checked: the directory of the certificate authority at ${e.proxy!.directoryUrl} could not be read after 3 tries`,
        ),
      ]);
    });
  });
});
