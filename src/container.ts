/**
 * Composition root: picks real or embedded adapters from Config and hands each its slice of config.
 */
import { EmbeddedDnsProvider, EmbeddedDnsServer } from './adapters/dns/embedded-server.js';
import { Route53Provider } from './adapters/dns/route53.js';
import { BullmqQueue, deleteRedisKeys } from './adapters/queue/bullmq.js';
import { InProcessQueue } from './adapters/queue/in-process.js';
import type { Config } from './config.js';
import { type DbHandle, createDb, ensureMysqlDatabase } from './db/client.js';
import { prepareDatabase } from './db/migrate.js';
import { findDnsSerial } from './db/repos/dns-sync.js';
import { loadZoneRecords } from './domain/reconciler/desired-state.js';
import type { JobDeps } from './jobs/deps.js';
import { buildRegistry } from './jobs/registry.js';
import type { Logger } from './logger.js';
import { type Clock, systemClock } from './ports/clock.js';
import type { DnsProvider } from './ports/dns-provider.js';
import type { JobQueue, JobRegistry } from './ports/job-queue.js';

export interface Container {
  config: Config;
  logger: Logger;
  clock: Clock;
  dbh: DbHandle;
  queue: JobQueue;
  registry: JobRegistry;
  jobDeps: JobDeps;
  /** Where DNS records are published. */
  dns: DnsProvider;
  /** The built-in DNS server (embedded provider only); started by the web role. */
  dnsServer: EmbeddedDnsServer | null;
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
  /** Replace the DNS provider chosen from config (tests). */
  dnsProvider?: DnsProvider;
}

export async function createContainer(
  config: Config,
  logger: Logger,
  options: ContainerOptions = {},
): Promise<Container> {
  const clock = options.clock ?? systemClock;
  const redisPrefix = options.redisPrefix ?? 'starchart';
  if (config.database.dialect === 'mysql' && (options.createDatabase ?? !config.isProduction)) {
    await ensureMysqlDatabase(config.database.url);
  }
  const dbh = await createDb(config.database);
  const registry = options.registry ?? buildRegistry();
  const queue: JobQueue = config.redis
    ? new BullmqQueue(registry, logger, {
        url: config.redis.url,
        prefix: redisPrefix,
        removalAgeS: config.jobs.removalAgeS,
        ...(options.lockDurationMs ? { lockDurationMs: options.lockDurationMs } : {}),
      })
    : new InProcessQueue(registry, logger);
  let dnsServer: EmbeddedDnsServer | null = null;
  let dns: DnsProvider;
  if (options.dnsProvider) dns = options.dnsProvider;
  else if (config.dns.provider === 'route53') dns = new Route53Provider(config.dns.route53);
  else {
    const db = dbh.db;
    dnsServer = new EmbeddedDnsServer({
      origin: config.rootDomain,
      nameservers: config.dns.embeddedServer.nameservers,
      host: config.dns.embeddedServer.host,
      port: config.dns.embeddedServer.port,
      logger,
      source: {
        serial: () => findDnsSerial(db),
        load: () => loadZoneRecords(db, config.rootDomain, () => findDnsSerial(db)),
      },
    });
    dns = new EmbeddedDnsProvider(dnsServer);
  }
  const jobDeps: JobDeps = { config, db: dbh.db, logger, clock, queue, dns };
  return {
    config,
    logger,
    clock,
    dbh,
    queue,
    registry,
    jobDeps,
    dns,
    dnsServer,
    async close() {
      await dbh.close();
    },
  };
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
          const n = await deleteRedisKeys(config.redis!.url, redisPrefix);
          container.logger.warn(
            { deletedKeys: n, prefix: redisPrefix },
            'queue keys deleted from Redis',
          );
        }
      : undefined,
  });
}
