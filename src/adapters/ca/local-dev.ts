/**
 * The development CA (embedded mode, never production): a root and an intermediate generated once
 * under DATA_DIR/dev-ca, and an ACME-shaped order workflow persisted as JSON files so issuance goes
 * through the same durable state machine as Let's Encrypt. Like a real CA it validates DNS-01: it
 * looks up the challenge TXT values on the authoritative server(s) before marking them valid.
 *
 * It mirrors Let's Encrypt's profiles (`classic` with the lifetime Let's Encrypt gives it on the day,
 * `tlsserver` 45 days, `shortlived` 160 hours; domain/certificates/profiles.ts) and serves RFC 9773
 * renewal information for what it issued: the suggested window runs from 2/3 to 3/4 of the lifetime
 * elapsed (the middle of the last third, leaving a quarter of the lifetime for retries), and callers
 * are asked to come back after 6 hours.
 */
import { createPublicKey, randomBytes, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  CaError,
  type CaDirectoryInfo,
  type CertificateAuthority,
  type DnsChallenge,
  type NewOrderOptions,
  type OrderState,
  type OrderStatus,
  type RenewalInfo,
} from '../../ports/certificate-authority.js';
import { ariCertId } from '../../domain/certificates/ari.js';
import {
  CLASSIC_45_DAYS_FROM,
  CLASSIC_64_DAYS_FROM,
  classicLifetimeMs,
  expectedLifetimeMs,
} from '../../domain/certificates/profiles.js';
import { withGenerationLock, writeFileAtomic } from '../../generated-files.js';
import type { DnsChecker } from '../../ports/dns-checker.js';

// @peculiar/x509 is large; it is loaded the first time the development CA creates or signs something.
let x509Module: Promise<typeof import('@peculiar/x509')> | null = null;
const loadX509 = () =>
  // eslint-disable-next-line no-restricted-syntax -- the bundle takes @peculiar/x509's ES module build
  (x509Module ??= import('@peculiar/x509').then((m) => {
    m.cryptoProvider.set(webcrypto as unknown as Crypto);
    return m;
  }));

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY = 86_400_000;
const HOUR = 3_600_000;
/** The renewal window, as fractions of the lifetime elapsed. */
export const DEV_RENEWAL_WINDOW = { from: 2 / 3, to: 3 / 4 } as const;
/** The Retry-After of the development CA's renewal information. */
export const DEV_RENEWAL_RETRY_AFTER_MS = 6 * HOUR;
export const DEV_PROFILES = ['classic', 'tlsserver', 'shortlived'] as const;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

interface StoredOrder {
  id: string;
  identifiers: string[];
  status: OrderStatus;
  challenges: DnsChallenge[];
  certificate: string | null;
  createdAt: number;
  /** Requested profile; absent in orders written before profiles existed (= classic). */
  profile?: string | null;
  replaces?: string | null;
}

/** What renewalInfo needs of an issued certificate, kept under dev-ca/ari/{certId}.json. */
interface StoredIssued {
  notBefore: number;
  notAfter: number;
}

interface CaMaterial {
  rootPem: string;
  intermediatePem: string;
  intermediateKey: CryptoKey;
}

const pemBody = (pem: string) =>
  Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
const toPem = (der: ArrayBuffer, label: string) =>
  `-----BEGIN ${label}-----\n${Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END ${label}-----\n`;

export class LocalDevCertificateAuthority implements CertificateAuthority {
  readonly kind = 'local-dev' as const;
  private readonly dir: string;
  private material: Promise<CaMaterial> | null = null;

  constructor(
    private readonly dataDir: string,
    private readonly dns: DnsChecker,
    private readonly now: () => number = Date.now,
  ) {
    this.dir = path.join(dataDir, 'dev-ca');
    mkdirSync(path.join(this.dir, 'orders'), { recursive: true });
    mkdirSync(path.join(this.dir, 'ari'), { recursive: true });
  }

  async directoryInfo(): Promise<CaDirectoryInfo> {
    const classicDays = Math.round(classicLifetimeMs(this.now()) / DAY);
    return {
      renewalInfo: true,
      profiles: {
        classic: `The default: ${classicDays}-day certificates today (Let's Encrypt's classic lifetime: 90 days, 64 days from ${day(CLASSIC_64_DAYS_FROM)}, 45 days from ${day(CLASSIC_45_DAYS_FROM)})`,
        tlsserver: '45-day certificates for TLS servers',
        shortlived: 'Short-lived 160-hour (6-day) certificates',
      },
    };
  }

  async renewalInfo(certId: string): Promise<RenewalInfo | null> {
    const file = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(certId)
      ? path.join(this.dir, 'ari', `${certId}.json`)
      : null;
    if (!file || !existsSync(file))
      throw new CaError(
        'rejected',
        `the development CA issued no certificate with id ${certId}`,
        'urn:ietf:params:acme:error:malformed',
      );
    const c = JSON.parse(readFileSync(file, 'utf8')) as StoredIssued;
    const life = c.notAfter - c.notBefore;
    return {
      windowStart: c.notBefore + Math.round(life * DEV_RENEWAL_WINDOW.from),
      windowEnd: c.notBefore + Math.round(life * DEV_RENEWAL_WINDOW.to),
      retryAfterMs: DEV_RENEWAL_RETRY_AFTER_MS,
      explanationUrl: null,
    };
  }

  /** The root certificate (generated on first use). */
  async rootCertificatePem(): Promise<string> {
    return (await this.ensure()).rootPem;
  }

  /** Generate (once) or load the root and intermediate. */
  ensure(): Promise<CaMaterial> {
    this.material ??= this.loadOrCreate();
    return this.material;
  }

  private async loadOrCreate(): Promise<CaMaterial> {
    const f = (n: string) => path.join(this.dir, n);
    const complete = () => existsSync(f('intermediate.key')) && existsSync(f('root.pem'));
    // Under DATA_DIR's generation lock: processes sharing a fresh DATA_DIR issue from one CA.
    if (!complete()) await withGenerationLock(this.dataDir, () => this.generate(f, complete));
    const intermediateKey = await webcrypto.subtle.importKey(
      'pkcs8',
      pemBody(readFileSync(f('intermediate.key'), 'utf8')),
      EC,
      false,
      ['sign'],
    );
    return {
      rootPem: readFileSync(f('root.pem'), 'utf8'),
      intermediatePem: readFileSync(f('intermediate.pem'), 'utf8'),
      intermediateKey: intermediateKey,
    };
  }

  /** Generate the root and intermediate (caller holds the lock), unless another process just did. */
  private async generate(f: (n: string) => string, complete: () => boolean): Promise<void> {
    if (complete()) return;
    const x509 = await loadX509();
    const rootKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
    const root = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomBytes(12).toString('hex'),
      name: 'CN=Starchart Development Root CA, O=Starchart development',
      notBefore: new Date(this.now() - DAY),
      notAfter: new Date(this.now() + 3650 * DAY),
      keys: rootKeys,
      signingAlgorithm: SIGN,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
      ],
    });
    const intKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
    const intermediate = await x509.X509CertificateGenerator.create({
      serialNumber: randomBytes(12).toString('hex'),
      subject: 'CN=Starchart Development Intermediate CA, O=Starchart development',
      issuer: root.subject,
      notBefore: new Date(this.now() - DAY),
      notAfter: new Date(this.now() + 1825 * DAY),
      publicKey: intKeys.publicKey,
      signingKey: rootKeys.privateKey,
      signingAlgorithm: SIGN,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(intKeys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(rootKeys.publicKey),
      ],
    });
    const intKeyDer = await webcrypto.subtle.exportKey('pkcs8', intKeys.privateKey);
    // Write the key last: its presence means the set is complete.
    writeFileAtomic(f('root.pem'), root.toString('pem') + '\n');
    writeFileAtomic(f('intermediate.pem'), intermediate.toString('pem') + '\n');
    writeFileAtomic(f('intermediate.key'), toPem(intKeyDer, 'PRIVATE KEY'), 0o600);
  }

  private orderFile(url: string): string {
    const m = /^devca:order\/([a-f0-9]{24})$/.exec(url);
    if (!m) throw new CaError('rejected', `unknown order ${url}`);
    return path.join(this.dir, 'orders', `${m[1]}.json`);
  }

  private read(url: string): StoredOrder {
    const file = this.orderFile(url);
    if (!existsSync(file)) throw new CaError('rejected', `no such order ${url}`);
    return JSON.parse(readFileSync(file, 'utf8')) as StoredOrder;
  }

  private write(order: StoredOrder): void {
    const file = this.orderFile(`devca:order/${order.id}`);
    writeFileSync(`${file}.tmp`, JSON.stringify(order));
    renameSync(`${file}.tmp`, file);
  }

  async createOrder(identifiers: string[], options: NewOrderOptions = {}): Promise<string> {
    const profile = options.profile ?? null;
    if (profile !== null && !(DEV_PROFILES as readonly string[]).includes(profile))
      throw new CaError(
        'rejected',
        `the development CA has no profile "${profile}" (it offers ${DEV_PROFILES.join(', ')})`,
        'urn:ietf:params:acme:error:invalidProfile',
      );
    await this.ensure();
    const id = randomBytes(12).toString('hex');
    this.write({
      id,
      identifiers,
      status: 'pending',
      createdAt: this.now(),
      profile,
      replaces: options.replaces ?? null,
      certificate: null,
      challenges: identifiers.map((identifier) => ({
        identifier,
        name: `_acme-challenge.${identifier.replace(/^\*\./, '')}`,
        value: randomBytes(32).toString('base64url'),
        status: 'pending',
        error: null,
      })),
    });
    return `devca:order/${id}`;
  }

  async getOrder(orderUrl: string): Promise<OrderState> {
    const o = this.read(orderUrl);
    return { url: orderUrl, status: o.status, challenges: o.challenges };
  }

  async answerChallenges(orderUrl: string): Promise<void> {
    const o = this.read(orderUrl);
    if (o.status !== 'pending') return;
    const pending = o.challenges.filter((c) => c.status === 'pending');
    const missing = new Set(
      await this.dns.missingTxt(pending.map((c) => ({ name: c.name, values: [c.value] }))),
    );
    for (const c of pending) {
      if (missing.has(c.name)) {
        c.status = 'invalid';
        c.error = `No TXT record with the expected value found at ${c.name}`;
      } else c.status = 'valid';
    }
    o.status = o.challenges.every((c) => c.status === 'valid')
      ? 'ready'
      : o.challenges.some((c) => c.status === 'invalid')
        ? 'invalid'
        : 'pending';
    this.write(o);
  }

  async finalizeOrder(
    orderUrl: string,
    privateKeyPem: string,
    identifiers: string[],
  ): Promise<void> {
    const o = this.read(orderUrl);
    if (o.status !== 'ready') return;
    if ([...identifiers].sort().join() !== [...o.identifiers].sort().join())
      throw new CaError('rejected', 'the CSR names do not match the order');
    const ca = await this.ensure();
    const spki = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'der' });
    const x509 = await loadX509();
    const issuer = new x509.X509Certificate(ca.intermediatePem);
    const wildcard = identifiers.find((i) => i.startsWith('*.')) ?? identifiers[0]!;
    const notBefore = this.now() - 60_000;
    const notAfter = this.now() + expectedLifetimeMs(o.profile ?? null, this.now());
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: randomBytes(16)
        .toString('hex')
        .replace(/^[89a-f]/, '1'),
      subject: `CN=${wildcard}`,
      issuer: issuer.subject,
      notBefore: new Date(notBefore),
      notAfter: new Date(notAfter),
      publicKey: new Uint8Array(spki),
      signingKey: ca.intermediateKey,
      signingAlgorithm: SIGN,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(
          identifiers.map((value) => ({ type: 'dns' as const, value })),
        ),
        await x509.AuthorityKeyIdentifierExtension.create(await issuer.publicKey.export()),
      ],
    });
    const leafPem = leaf.toString('pem') + '\n';
    const certId = await ariCertId(leafPem);
    if (certId) {
      const issued: StoredIssued = { notBefore, notAfter };
      writeFileAtomic(path.join(this.dir, 'ari', `${certId}.json`), JSON.stringify(issued));
    }
    o.certificate = leafPem + ca.intermediatePem;
    o.status = 'valid';
    this.write(o);
  }

  async downloadCertificate(orderUrl: string): Promise<string> {
    const o = this.read(orderUrl);
    if (o.status !== 'valid' || !o.certificate)
      throw new CaError('rejected', `the order is ${o.status}, not valid`);
    return o.certificate;
  }

  async revokeCertificate(_certificatePem: string): Promise<void> {
    // Nothing relies on revocation status of development certificates; accepted for parity.
  }
}
