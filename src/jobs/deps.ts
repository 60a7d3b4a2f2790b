import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import type { Logger } from '../logger.js';
import type { Clock } from '../ports/clock.js';
import type { DnsProvider } from '../ports/dns-provider.js';
import type { JobQueue } from '../ports/job-queue.js';
import type { Mailer } from '../ports/mailer.js';

/** What job handlers may use: the same ports the web side has, never request state. */
export interface JobDeps {
  config: Config;
  db: Db;
  logger: Logger;
  clock: Clock;
  queue: JobQueue;
  /** null in development without SMTP_HOST: mail stays in the outbox (development mailbox). */
  mailer: Mailer | null;
  /** Where DNS records are published (Route53 or the built-in server). */
  dns: DnsProvider;
}
