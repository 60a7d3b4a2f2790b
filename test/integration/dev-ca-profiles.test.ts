/**
 * The development CA's profiles and RFC 9773 renewal information, on a real DATA_DIR. The DNS checker
 * is a stub that stands in for the built-in DNS server already serving every challenge TXT value.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { X509Certificate } from '@peculiar/x509';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEV_RENEWAL_RETRY_AFTER_MS,
  LocalDevCertificateAuthority,
} from '../../src/adapters/ca/local-dev.js';
import { ariCertId } from '../../src/domain/certificates/ari.js';
import { loadConfig } from '../../src/config.js';
import { CaError } from '../../src/ports/certificate-authority.js';
import { startService } from '../../src/service.js';
import { silentLogger, uniqueDatabaseConfig } from '../support/db.js';
import { requestCertificate } from '../../src/domain/certificates/certificates.js';
import { certificateDeps } from '../../src/jobs/certificate-deps.js';
import { createTestApp } from '../support/app.js';
import { type CertEnv, certificateEnv, waitSettled } from '../support/certificates.js';
import { insertUser } from '../support/factories.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function devCa(now: () => number) {
  const dir = mkdtempSync(path.join(tmpdir(), 'devca-'));
  dirs.push(dir);
  const allPublished = { missingTxt: async () => [] };
  return new LocalDevCertificateAuthority(dir, allPublished, now);
}

const key = () =>
  generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();

async function issue(ca: LocalDevCertificateAuthority, profile: string | null) {
  const ids = ['*.jsmith.starchart.test', 'jsmith.starchart.test'];
  const url = await ca.createOrder(ids, { profile });
  await ca.answerChallenges(url);
  await ca.finalizeOrder(url, key(), ids);
  const chain = await ca.downloadCertificate(url);
  const leafPem = chain.split(/(?<=-----END CERTIFICATE-----\n)/)[0]!;
  const leaf = new X509Certificate(leafPem);
  return { leafPem, lifetime: leaf.notAfter.getTime() - leaf.notBefore.getTime() };
}

describe('development CA profiles', () => {
  it('advertises classic, tlsserver and shortlived with their lifetimes, and renewal information', async () => {
    const info = await devCa(() => Date.parse('2027-03-01T00:00:00Z')).directoryInfo();
    expect(info.renewalInfo).toBe(true);
    expect(Object.keys(info.profiles).sort()).toEqual(['classic', 'shortlived', 'tlsserver']);
    expect(info.profiles.classic).toMatch(/64-day certificates today/);
    expect(info.profiles.tlsserver).toMatch(/45-day/);
    expect(info.profiles.shortlived).toMatch(/160-hour/);
  });

  it.each([
    ['2026-12-07T12:00:00Z', null, 90 * DAY],
    ['2026-12-07T12:00:00Z', 'classic', 90 * DAY],
    ['2027-02-10T00:00:00Z', 'classic', 64 * DAY],
    ['2028-02-16T00:00:00Z', null, 45 * DAY],
    ['2026-12-07T12:00:00Z', 'tlsserver', 45 * DAY],
    ['2026-12-07T12:00:00Z', 'shortlived', 160 * HOUR],
  ])(
    'at %s profile %s issues certificates of the profile lifetime',
    async (when, profile, life) => {
      const now = Date.parse(when);
      const { lifetime } = await issue(
        devCa(() => now),
        profile,
      );
      // notBefore is backdated one minute against clock skew, like Let's Encrypt's.
      expect(lifetime).toBe(life + 60_000);
    },
  );

  it('refuses a profile it does not offer', async () => {
    const err = await devCa(Date.now)
      .createOrder(['x.starchart.test'], { profile: 'longlived' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaError);
    expect((err as CaError).kind).toBe('rejected');
    expect((err as CaError).message).toMatch(/offers classic, tlsserver, shortlived/);
  });
});

describe('development CA renewal information', () => {
  it('suggests 2/3 to 3/4 of the lifetime elapsed, retry after 6 hours', async () => {
    const now = Date.parse('2026-12-07T12:00:00Z');
    const ca = devCa(() => now);
    const { leafPem } = await issue(ca, 'tlsserver');
    const certId = await ariCertId(leafPem);
    expect(certId).toMatch(/^[\w-]+\.[\w-]+$/);
    const info = await ca.renewalInfo(certId!);
    const leaf = new X509Certificate(leafPem);
    const nb = leaf.notBefore.getTime();
    const life = leaf.notAfter.getTime() - nb;
    expect(info).toEqual({
      windowStart: nb + Math.round((life * 2) / 3),
      windowEnd: nb + Math.round((life * 3) / 4),
      retryAfterMs: DEV_RENEWAL_RETRY_AFTER_MS,
      explanationUrl: null,
    });
    expect(DEV_RENEWAL_RETRY_AFTER_MS).toBe(6 * HOUR);
  });

  it('answers an unknown certificate id with a rejection', async () => {
    const ca = devCa(Date.now);
    for (const id of ['aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE', '../../etc/passwd'])
      await expect(ca.renewalInfo(id)).rejects.toMatchObject({ kind: 'rejected' });
  });
});

describe('start-up check against the development CA (embedded mode)', () => {
  const start = async (profile: string) => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'starchart-devca-start-'));
    dirs.push(dataDir);
    const db = uniqueDatabaseConfig('sqlite');
    const config = loadConfig({
      NODE_ENV: 'test',
      ROLE: 'worker',
      DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      ROOT_DOMAIN: 'starchart.test',
      DNS_SERVER_PORT: '0',
      LETS_ENCRYPT_PROFILE: profile,
    });
    try {
      const service = await startService(config, silentLogger);
      await service.stop();
    } finally {
      await db.cleanup();
    }
  };

  it('starts with a profile the development CA offers and refuses one it does not', async () => {
    await start('shortlived');
    await expect(start('longlived')).rejects.toThrow(
      'LETS_ENCRYPT_PROFILE is "longlived" but the development CA offers: classic, tlsserver, shortlived',
    );
  });
});

describe('the certificate page tells a student what the lifetime means', () => {
  let e: CertEnv | null = null;
  afterAll(async () => e?.cleanup());

  it('shortlived (6 days): a warning before the request and on the issued certificate, pointing to tokens and the API', async () => {
    e = await certificateEnv('sqlite', 'embedded', {
      devCa: true,
      env: { LETS_ENCRYPT_PROFILE: 'shortlived' },
    });
    await e.startWorker();
    const user = await insertUser(e.db());
    const agent = await e.t.agent(user);
    const before = await (await agent.get('/certificate')).text();
    expect(before).toContain('Certificates here last only 6 days and 16 hours.');
    expect(before).toContain('href="/tokens"');
    const id = (await requestCertificate(certificateDeps(e.t.container.jobDeps), null, user))
      .certificate.id;
    const row = await waitSettled(e.db(), id);
    expect(row.status).toBe('issued');
    // 160 hours (the CA back-dates notBefore by a minute, as real CAs do for clock skew).
    expect(Math.abs(row.valid_to! - row.valid_from! - 160 * 3_600_000)).toBeLessThan(3_600_000);
    const after = await (await agent.get('/certificate')).text();
    expect(after).toContain('This certificate lasts only 6 days and 16 hours.');
    expect(after).toContain(`data-lifetime-ms="${row.valid_to! - row.valid_from!}"`);
  });

  it('classic: the lifetime is stated plainly, no warning', async () => {
    const t = await createTestApp({});
    try {
      const user = await insertUser(t.container.dbh.db);
      const html = await (await (await t.agent(user)).get('/certificate')).text();
      expect(html).toMatch(/Certificates last (90|64|45) days\. We renew yours automatically/);
      expect(html).not.toContain('id="short-lived"');
    } finally {
      await t.cleanup();
    }
  });
});
