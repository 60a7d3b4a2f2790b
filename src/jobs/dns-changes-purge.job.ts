import { z } from 'zod';
import { deleteZoneChangesBefore } from '../db/repos/dns-sync.js';
import type { JobDeps } from './deps.js';
import { defineJob } from './define.js';

/**
 * How long the log of changed DNS names is kept. A built-in DNS server that falls further behind than
 * this (it polls every 250 ms) reloads the whole zone instead.
 */
export const ZONE_CHANGES_RETENTION_MS = 5 * 60 * 1000;

/** Every minute: forget logged DNS name changes older than the retention (dns_zone_changes). */
export const dnsChangesPurgeJob = defineJob<Record<string, never>, JobDeps>({
  name: 'dns.changes.purge',
  schema: z.object({}).strict(),
  options: { attempts: 3, backoffMs: 10_000 },
  everyMs: () => 60 * 1000,
  async handler(_payload, deps) {
    const removed = await deleteZoneChangesBefore(
      deps.db,
      deps.clock.now() - ZONE_CHANGES_RETENTION_MS,
    );
    if (removed > 0)
      deps.logger.debug({ job: 'dns.changes.purge', removed }, 'old DNS change log rows removed');
  },
});
