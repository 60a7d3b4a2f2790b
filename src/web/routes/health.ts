import { Hono } from 'hono';
import type { Container } from '../../container.js';
import { expectedSchedules } from '../../jobs/worker.js';
import type { AppEnv } from '../env.js';

type CheckStatus = 'ok' | 'degraded' | 'error';

interface HealthReport {
  status: CheckStatus;
  checks: Record<string, { status: CheckStatus; [k: string]: unknown }>;
}

/**
 * GET /healthcheck: checks the database, Redis when configured, and the job schedules. 200 when all
 * pass, 503 naming the failing part. Missing schedules (or a queue emptied since a worker last
 * recovered it) are an error (503) in a process whose worker is running: its watchdog should have
 * re-created them, and a restart does. A web-only process only reports them ('degraded', 200): a
 * restart of it would repair nothing, and taking every web replica out would not bring the worker back.
 * Concurrent requests share one in-flight check (truthful, and cheap under load). It never contacts a
 * host taken from the request.
 */
export function healthRoutes(container: Container) {
  const app = new Hono<AppEnv>();
  const { config, queue, registry } = container;
  const runsWorker = config.role !== 'web';
  const scheduleNames = expectedSchedules(registry, config).map((s) => s.name);
  let inFlight: Promise<HealthReport> | null = null;

  const jobsCheck = async () => {
    const [missing, marker] = await Promise.all([
      queue.missingSchedules(scheduleNames),
      queue.hasMarker(),
    ]);
    if (missing.length === 0 && marker) return { status: 'ok' as const };
    const reasons = [
      ...(missing.length > 0 ? [`recurring job schedules missing: ${missing.join(', ')}`] : []),
      ...(marker
        ? []
        : ['the job queue was emptied and unfinished work has not been re-enqueued yet']),
    ];
    const repairing = runsWorker && container.worker.running;
    return {
      status: repairing ? ('error' as const) : ('degraded' as const),
      reason: `${reasons.join('; ')}${repairing ? '' : ' (no worker in this process repairs it)'}`,
      missingSchedules: missing,
      queueEmptied: !marker,
    };
  };

  const check = async (): Promise<HealthReport> => {
    const timed = async <T extends object>(fn: () => Promise<T | void>, timeoutMs?: number) => {
      const started = performance.now();
      try {
        const result = await (timeoutMs ? withTimeout(fn(), timeoutMs) : fn());
        const ms = Math.round((performance.now() - started) * 10) / 10;
        return { status: 'ok' as CheckStatus, ms, ...(result ?? {}) };
      } catch (e) {
        return {
          status: 'error' as CheckStatus,
          error: e instanceof Error ? e.message : String(e),
        };
      }
    };
    const [database, queuePing] = await Promise.all([
      timed(() => container.dbh.ping()),
      timed(() => queue.ping()),
    ]);
    const checks: HealthReport['checks'] = {
      database: { ...database, dialect: container.dbh.dialect },
      [queue.kind === 'bullmq' ? 'redis' : 'queue']: { ...queuePing, kind: queue.kind },
    };
    // Schedules live in Redis, visible to every process; in-process ones only exist where the worker runs.
    const seesSchedules = queue.kind === 'bullmq' || container.worker.running;
    if (queuePing.status === 'ok' && seesSchedules) checks.jobs = await timed(jobsCheck, 1000);
    const statuses = Object.values(checks).map((c) => c.status);
    const status = statuses.includes('error')
      ? 'error'
      : statuses.includes('degraded')
        ? 'degraded'
        : 'ok';
    return { status, checks };
  };
  app.get('/healthcheck', async (c) => {
    inFlight ??= check().finally(() => {
      inFlight = null;
    });
    const report = await inFlight;
    c.header('Cache-Control', 'no-store');
    const failing = Object.entries(report.checks)
      .filter(([, v]) => v.status !== 'ok')
      .map(([k]) => k);
    if (report.status === 'error') {
      c.get('log').warn({ failing, report }, 'healthcheck failing');
      return c.json({ ...report, failing }, 503);
    }
    if (report.status === 'degraded') return c.json({ ...report, degraded: failing }, 200);
    return c.json(report, 200);
  });
  return app;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
