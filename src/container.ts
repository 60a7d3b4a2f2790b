/**
 * Composition root: picks real or embedded adapters from Config and hands each its slice of config.
 */
import { createSmtpMailer } from './adapters/mail/smtp.js';
import { InProcessQueue } from './adapters/queue/in-process.js';
import type { Config } from './config.js';
import { type DbHandle, createDb, ensureMysqlDatabase } from './db/client.js';
import { prepareDatabase } from './db/migrate.js';
import type { JobDeps } from './jobs/deps.js';
import { buildRegistry } from './jobs/registry.js';
import type { Logger } from './logger.js';
import { type Clock, systemClock } from './ports/clock.js';
import type { JobQueue, JobRegistry } from './ports/job-queue.js';
import type { Mailer } from './ports/mailer.js';

export interface Container {
  config: Config;
  logger: Logger;
  clock: Clock;
  dbh: DbHandle;
  queue: JobQueue;
  registry: JobRegistry;
  mailer: Mailer | null;
  jobDeps: JobDeps;
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
  // BullMQ and ioredis are loaded only when Redis is configured: the embedded mode starts faster and smaller.
  const queue: JobQueue = config.redis
    ? new (await import('./adapters/queue/bullmq.js')).BullmqQueue(registry, logger, {
        url: config.redis.url,
        prefix: redisPrefix,
        removalAgeS: config.jobs.removalAgeS,
        ...(options.lockDurationMs ? { lockDurationMs: options.lockDurationMs } : {}),
      })
    : new InProcessQueue(registry, logger);
  const mailer =
    options.mailer !== undefined
      ? options.mailer
      : config.mail.smtp
        ? createSmtpMailer(config.mail.smtp)
        : null;
  const jobDeps: JobDeps = { config, db: dbh.db, logger, clock, queue, mailer };
  return {
    config,
    logger,
    clock,
    dbh,
    queue,
    registry,
    mailer,
    jobDeps,
    async close() {
      await mailer?.close();
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
