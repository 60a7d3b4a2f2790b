/**
 * Composition root: picks real or embedded adapters from Config and hands each its slice of config.
 */
import { readFileSync } from 'node:fs';
import type { SigningKeys } from './adapters/saml/dev-idp.js';
import { parseIdpMetadata } from './adapters/saml/idp-metadata.js';
import { SamlServiceProvider } from './adapters/saml/service-provider.js';
import { EmbeddedDnsProvider, EmbeddedDnsServer } from './adapters/dns/embedded-server.js';
import { InProcessQueue } from './adapters/queue/in-process.js';
import { AcmeCertificateAuthority } from './adapters/ca/acme.js';
import { LocalDevCertificateAuthority } from './adapters/ca/local-dev.js';
import {
  type ServerAddress,
  UdpDnsChecker,
  parseServer,
  zoneNameservers,
} from './adapters/dns/txt-checker.js';
import { existsSync } from 'node:fs';
import { withGenerationLockSync, writeFileAtomic } from './generated-files.js';
import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import type { CertificateAuthority } from './ports/certificate-authority.js';
import type { DnsChecker } from './ports/dns-checker.js';
import type { Config } from './config.js';
import { type DbHandle, createDb, ensureMysqlDatabase } from './db/client.js';
import { prepareDatabase } from './db/migrate.js';
import { databaseZoneSource } from './domain/reconciler/desired-state.js';
import type { JobDeps } from './jobs/deps.js';
import { buildRegistry } from './jobs/registry.js';
import type { Logger } from './logger.js';
import { type Clock, systemClock } from './ports/clock.js';
import type { IdentityProvider } from './ports/identity-provider.js';
import type { DnsProvider } from './ports/dns-provider.js';
import type { JobQueue, JobRegistry } from './ports/job-queue.js';
import type { Mailer } from './ports/mailer.js';
import type { RateLimiter } from './ports/rate-limiter.js';
import { MemoryRateLimiter } from './adapters/rate-limit/memory.js';
import { createDnsUpdateHandler } from './domain/tokens/dns-update-handler.js';
import type { DnsLookup, DnsServerRef } from './ports/dns-lookup.js';
import { UdpDnsLookup } from './adapters/dns/lookup.js';

/** The zone of a server that only takes updates: nothing (it answers no queries). */
const EMPTY_ZONE = {
  serial: async () => 0,
  load: async () => ({ serial: 0, records: [] }),
};

/** The built-in development IdP (development and test only). */
export interface DevIdp {
  entityId: string;
  ssoUrl: string;
  sloUrl: string;
  metadataXml: string;
  keys: SigningKeys;
}

export interface Container {
  config: Config;
  logger: Logger;
  clock: Clock;
  dbh: DbHandle;
  queue: JobQueue;
  registry: JobRegistry;
  mailer: Mailer | null;
  jobDeps: JobDeps;
  /** The SAML IdP sign-in goes through (configured, or the development IdP). */
  identityProvider: IdentityProvider;
  /** Present only when the development IdP serves sign-in; never in production. */
  devIdp: DevIdp | null;
  /** Where DNS records are published. */
  dns: DnsProvider;
  /** The built-in DNS server (embedded provider only); started by the web role. */
  dnsServer: EmbeddedDnsServer | null;
  /**
   * With Route53 and DNS_UPDATE_SERVER: the built-in server taking DNS UPDATE only (queries REFUSED);
   * started by the web role like dnsServer. Never used to check records.
   */
  updateOnlyServer: EmbeddedDnsServer | null;
  /** Issues certificates: ACME, or the development CA in embedded mode. */
  ca: CertificateAuthority;
  dnsChecker: DnsChecker;
  /** What DNS servers answer now, for people (the record check page). */
  dnsLookup: DnsLookup;
  /** Request and change limits for token use: Redis when configured (shared by replicas), else memory. */
  rateLimiter: RateLimiter;
  /**
   * This process's job worker: `running` once startService has registered the schedules and re-enqueued
   * unfinished work (the health check holds a worker process to its schedules only from then).
   */
  worker: { running: boolean };
  /** Close connections (after the roles have stopped). */
  close(): Promise<void>;
}

export interface ContainerOptions {
  clock?: Clock;
  /** Redis key prefix (tests use one per run). */
  redisPrefix?: string;
  /** BullMQ lock duration; tests shorten it to observe stalled-job recovery quickly. */
  lockDurationMs?: number;
  registry?: JobRegistry;
  /** Create the MySQL database if missing (development convenience; default outside production). */
  createDatabase?: boolean;
  /** Override the mailer (tests); null = outbox only. */
  mailer?: Mailer | null;
  /** Replace the DNS provider chosen from config (tests). */
  dnsProvider?: DnsProvider;
  /** Wrap or replace the certificate authority (tests count orders, simulate crashes). */
  wrapCa?: (ca: CertificateAuthority) => CertificateAuthority;
  certificateHooks?: JobDeps['certificateHooks'];
}

export async function createContainer(
  config: Config,
  logger: Logger,
  options: ContainerOptions = {},
): Promise<Container> {
  const clock = options.clock ?? systemClock;
  const redisPrefix = options.redisPrefix ?? 'starchart';
  // BullMQ and ioredis are loaded only when Redis is configured: the embedded mode starts faster and
  // smaller. The load starts now so it overlaps the database round trips below.
  const bullmq = config.redis ? import('./adapters/queue/bullmq.js') : null;
  bullmq?.catch(() => {}); // awaited below; this only keeps an early failure from being "unhandled"
  if (config.database.dialect === 'mysql' && (options.createDatabase ?? !config.isProduction)) {
    await ensureMysqlDatabase(config.database.url);
  }
  const dbh = await createDb(config.database);
  const registry = options.registry ?? buildRegistry();
  const queue: JobQueue =
    config.redis && bullmq
      ? new (await bullmq).BullmqQueue(registry, logger, {
          url: config.redis.url,
          prefix: redisPrefix,
          removalAgeS: config.jobs.removalAgeS,
          ...(options.lockDurationMs ? { lockDurationMs: options.lockDurationMs } : {}),
        })
      : new InProcessQueue(registry, logger);
  let updateOnlyServer: EmbeddedDnsServer | null = null;
  const mailer =
    options.mailer !== undefined
      ? options.mailer
      : config.mail.smtp
        ? (await import('./adapters/mail/smtp.js')).createSmtpMailer(config.mail.smtp)
        : null;
  const { identityProvider, devIdp } = await buildIdentityProvider(config, dbh, clock);
  const rateLimiter: RateLimiter = config.redis
    ? new (await import('./adapters/rate-limit/redis.js')).RedisRateLimiter(
        config.redis.url,
        redisPrefix,
        logger,
        () => clock.now(),
      )
    : new MemoryRateLimiter(() => clock.now());
  let dnsServer: EmbeddedDnsServer | null = null;
  let dns: DnsProvider;
  // DNS UPDATE (RFC 2136) with the access tokens' TSIG keys (DNS_UPDATE_SERVER, decision 0016).
  const updates = config.dns.updateServer
    ? createDnsUpdateHandler({ db: dbh.db, config, clock, queue, logger, rateLimiter })
    : undefined;
  const serverOptions = {
    origin: config.rootDomain,
    nameservers: config.dns.embeddedServer.nameservers,
    host: config.dns.embeddedServer.host,
    port: config.dns.embeddedServer.port,
    udpWorkers: config.dns.embeddedServer.udpWorkers,
    limits: config.dns.embeddedServer.limits,
    logger,
    ...(updates ? { updates } : {}),
  };
  if (options.dnsProvider) dns = options.dnsProvider;
  // Vendor SDKs load only when configured: the AWS SDK, nodemailer and the development IdP's X.509
  // code stay out of processes that do not use them (faster start, smaller memory).
  else if (config.dns.provider === 'route53') {
    dns = new (await import('./adapters/dns/route53.js')).Route53Provider(config.dns.route53);
    // Route53 serves the zone; the built-in server runs only to take updates (queries REFUSED, so
    // it needs no copy of the zone) and the reconciler pushes what they change.
    if (updates)
      updateOnlyServer = new EmbeddedDnsServer({
        ...serverOptions,
        udpWorkers: 0,
        source: EMPTY_ZONE,
        updatesOnly: true,
      });
  } else {
    dnsServer = new EmbeddedDnsServer({
      ...serverOptions,
      source: databaseZoneSource(dbh.db, config.rootDomain),
    });
    dns = new EmbeddedDnsProvider(dnsServer);
  }
  const ports = createCertificatePorts(config, dnsServer);
  const dnsLookup = createDnsLookup(config, dnsServer);
  const ca = options.wrapCa ? options.wrapCa(ports.ca) : ports.ca;
  const dnsChecker = ports.dnsChecker;
  const jobDeps: JobDeps = {
    config,
    db: dbh.db,
    logger,
    clock,
    queue,
    mailer,
    dns,
    ca,
    dnsChecker,
    ...(options.certificateHooks ? { certificateHooks: options.certificateHooks } : {}),
  };
  return {
    config,
    logger,
    clock,
    dbh,
    queue,
    registry,
    mailer,
    jobDeps,
    identityProvider,
    devIdp,
    dns,
    dnsServer,
    dnsLookup,
    updateOnlyServer,
    ca,
    dnsChecker,
    rateLimiter,
    worker: { running: false },
    async close() {
      await rateLimiter.close();
      await mailer?.close();
      await dbh.close();
    },
  };
}

/**
 * The certificate authority and the propagation checker from config: ACME when a directory URL is
 * set (account key from the secret, or generated once under DATA_DIR outside production), else the
 * development CA. Challenge records are checked on ACME_DNS_RESOLVERS, else the built-in server,
 * else the zone's NS servers.
 */
export function createCertificatePorts(
  config: Config,
  dnsServer: EmbeddedDnsServer | null,
): { ca: CertificateAuthority; dnsChecker: DnsChecker } {
  const configured = config.acme.dnsResolvers?.map(parseServer) ?? null;
  const embedded = config.dns.embeddedServer;
  const loopback = (h: string) => (h === '0.0.0.0' ? '127.0.0.1' : h === '::' ? '::1' : h);
  const servers = async (): Promise<ServerAddress[]> =>
    configured ??
    (dnsServer
      ? [{ host: loopback(embedded.host), port: dnsServer.port || embedded.port }]
      : zoneNameservers(config.rootDomain));
  const dnsChecker = new UdpDnsChecker(servers);
  if (!config.acme.directoryUrl) {
    if (config.isProduction) throw new Error('The development CA cannot run in production');
    return { ca: new LocalDevCertificateAuthority(config.dataDir, dnsChecker), dnsChecker };
  }
  return {
    ca: new AcmeCertificateAuthority({
      directoryUrl: config.acme.directoryUrl,
      accountKeyPem: config.acme.accountKeyPem ?? devAccountKey(config),
      accountEmail: config.acme.accountEmail,
      caBundlePath: config.acme.caBundlePath,
    }),
    dnsChecker,
  };
}

const RESOLVER_NAMES: Record<string, string> = {
  '1.1.1.1': 'Cloudflare',
  '1.0.0.1': 'Cloudflare',
  '8.8.8.8': 'Google',
  '8.8.4.4': 'Google',
  '9.9.9.9': 'Quad9',
};

/**
 * The record check's servers: the authoritative ones as the certificate checker finds them
 * (ACME_DNS_RESOLVERS, the built-in server, or the zone's NS hosts) and DNS_CHECK_RESOLVERS.
 */
export function createDnsLookup(config: Config, dnsServer: EmbeddedDnsServer | null): DnsLookup {
  const configured = config.acme.dnsResolvers?.map(parseServer) ?? null;
  const embedded = config.dns.embeddedServer;
  const loopback = (h: string) => (h === '0.0.0.0' ? '127.0.0.1' : h === '::' ? '::1' : h);
  const authoritative = async (): Promise<DnsServerRef[]> => {
    if (configured) return configured.map((s) => ({ ...s, label: `${s.host}:${s.port}` }));
    if (dnsServer)
      return [
        {
          label: 'Built-in DNS server',
          host: loopback(embedded.host),
          port: dnsServer.port || embedded.port,
        },
      ];
    return (await zoneNameservers(config.rootDomain)).map((s) => ({
      ...s,
      label: `Name server ${s.host}`,
    }));
  };
  const resolvers = config.dns.checkResolvers.map((hp) => {
    const s = parseServer(hp);
    const known = RESOLVER_NAMES[s.host];
    return { ...s, label: known ? `${known} ${s.host}` : `${s.host}:${s.port}` };
  });
  return new UdpDnsLookup(authoritative, resolvers);
}

/** Development only: an ACME account key generated once (under DATA_DIR's lock) and kept there. */
function devAccountKey(config: Config): string {
  if (config.isProduction)
    throw new Error('LETS_ENCRYPT_ACCOUNT_PRIVATE_KEY_PEM is required in production');
  const file = path.join(config.dataDir, 'acme-account-key.pem');
  if (!existsSync(file))
    withGenerationLockSync(config.dataDir, () => {
      if (existsSync(file)) return;
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      writeFileAtomic(file, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 0o600);
    });
  return readFileSync(file, 'utf8');
}

/** The SP for the configured IdP metadata, or for the development IdP (refused in production). */
async function buildIdentityProvider(
  config: Config,
  dbh: DbHandle,
  clock: Clock,
): Promise<{ identityProvider: IdentityProvider; devIdp: DevIdp | null }> {
  let devIdp: DevIdp | null = null;
  let metadataXml: string;
  if (config.saml.idpMetadataPath) {
    metadataXml = readFileSync(config.saml.idpMetadataPath, 'utf8');
  } else {
    if (config.isProduction || !config.saml.devIdp)
      throw new Error('The development IdP cannot run in production; set SAML_IDP_METADATA_PATH');
    const { ensureDevIdpKeys, devIdpEndpoints, idpMetadataXml } =
      await import('./adapters/saml/dev-idp.js');
    const keys = await ensureDevIdpKeys(config.dataDir);
    const endpoints = devIdpEndpoints(config.appUrl);
    metadataXml = idpMetadataXml(endpoints, keys.certB64);
    devIdp = { ...endpoints, metadataXml, keys };
  }
  let idp;
  try {
    idp = parseIdpMetadata(metadataXml);
  } catch (err) {
    throw new Error(
      `SAML_IDP_METADATA_PATH (${config.saml.idpMetadataPath ?? 'development IdP'}): ${(err as Error).message}`,
      { cause: err },
    );
  }
  const identityProvider = new SamlServiceProvider({
    appUrl: config.appUrl,
    idp,
    displayName: devIdp ? 'the development IdP' : 'your organisation',
    clockSkewMs: config.saml.clockSkewMs,
    db: dbh.db,
    clock,
  });
  return { identityProvider, devIdp };
}

/** Migrations at start (and the guarded wipe), shared by main and `npm run db:migrate`. */
export async function prepareSchema(
  container: Pick<Container, 'config' | 'dbh' | 'logger'>,
  redisPrefix = 'starchart',
) {
  const { config } = container;
  return prepareDatabase(container.dbh, {
    wipe: config.dangerWipe,
    logger: container.logger,
    onWipe: config.redis
      ? async () => {
          const { deleteRedisKeys } = await import('./adapters/queue/bullmq.js');
          const n = await deleteRedisKeys(config.redis!.url, redisPrefix);
          container.logger.warn(
            { deletedKeys: n, prefix: redisPrefix },
            'queue keys deleted from Redis',
          );
        }
      : undefined,
  });
}
