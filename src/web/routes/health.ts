import { Hono } from 'hono';
import type { Container } from '../../container.js';
import type { AppEnv } from '../env.js';

interface HealthReport {
  status: 'ok' | 'error';
  checks: Record<string, { status: 'ok' | 'error'; [k: string]: unknown }>;
}

/**
 * GET /healthcheck: checks the database and, when configured, Redis. 200 when all pass, 503 naming the
 * failing part. Concurrent requests share one in-flight check (truthful, and cheap under load). It never
 * contacts a host taken from the request.
 */
export function healthRoutes(container: Container) {
  const app = new Hono<AppEnv>();
  let inFlight: Promise<HealthReport> | null = null;
  const check = async (): Promise<HealthReport> => {
    const timed = async (fn: () => Promise<void>) => {
      const started = performance.now();
      try {
        await fn();
        return { status: 'ok' as const, ms: Math.round((performance.now() - started) * 10) / 10 };
      } catch (e) {
        return { status: 'error' as const, error: e instanceof Error ? e.message : String(e) };
      }
    };
    const [database, queue] = await Promise.all([
      timed(() => container.dbh.ping()),
      timed(() => container.queue.ping()),
    ]);
    const checks: HealthReport['checks'] = {
      database: { ...database, dialect: container.dbh.dialect },
      [container.queue.kind === 'bullmq' ? 'redis' : 'queue']: {
        ...queue,
        kind: container.queue.kind,
      },
    };
    const status = Object.values(checks).every((c) => c.status === 'ok') ? 'ok' : 'error';
    return { status, checks };
  };
  app.get('/healthcheck', async (c) => {
    inFlight ??= check().finally(() => {
      inFlight = null;
    });
    const report = await inFlight;
    c.header('Cache-Control', 'no-store');
    if (report.status !== 'ok') {
      const failing = Object.entries(report.checks)
        .filter(([, v]) => v.status !== 'ok')
        .map(([k]) => k);
      c.get('log').warn({ failing, report }, 'healthcheck failing');
      return c.json({ ...report, failing }, 503);
    }
    return c.json(report, 200);
  });
  return app;
}
