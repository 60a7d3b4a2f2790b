/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { h } from '../jsx/runtime.js';
/** GET /dns-records/:id/check: the record check page (the owner's records only, a few a minute). */
import { Hono } from 'hono';
import type { Container } from '../../container.js';
import { checkDnsRecord } from '../../domain/dns-records/check.js';
import { parseRecordId } from '../../domain/dns-records/dns-records.js';
import { RateLimited } from '../../domain/tokens/rate-limits.js';
import type { AppEnv } from '../env.js';
import { requireUser } from '../middleware/session.js';
import { type PageShell, renderPage } from '../render.js';
import { RecordCheckLimitedPage, RecordCheckPage } from '../views/dns-records/check.js';

export function recordCheckRoutes(container: Container, shell: PageShell) {
  const deps = {
    db: container.dbh.db,
    config: container.config,
    lookup: container.dnsLookup,
    limiter: container.rateLimiter,
  };
  const app = new Hono<AppEnv>();
  app.get('/dns-records/:id/check', requireUser, async (c) => {
    const session = c.get('session')!;
    const id = parseRecordId(c.req.param('id'));
    c.header('Cache-Control', 'no-store');
    try {
      const check = await checkDnsRecord(deps, session.effectiveUser, id, session.user.id);
      return renderPage(c, shell, `Check ${check.name}`, <RecordCheckPage check={check} />);
    } catch (err) {
      if (!(err instanceof RateLimited)) throw err;
      c.header('Retry-After', String(err.retryAfterS));
      return renderPage(
        c,
        shell,
        'Too many checks',
        <RecordCheckLimitedPage id={id} message={err.message} />,
        429,
      );
    }
  });
  return app;
}
