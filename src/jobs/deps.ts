import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import type { Logger } from '../logger.js';
import type { Clock } from '../ports/clock.js';
import type { JobQueue } from '../ports/job-queue.js';

/** What job handlers may use: the same ports the web side has, never request state. */
export interface JobDeps {
  config: Config;
  db: Db;
  logger: Logger;
  clock: Clock;
  queue: JobQueue;
}
