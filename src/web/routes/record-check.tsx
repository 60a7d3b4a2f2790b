/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { h } from '../jsx/runtime.js';
/** GET /dns-records/:id/check: the record check page (the owner's records only). */
import { Hono } from 'hono';
import type { Container } from '../../container.js';
import { checkDnsRecord } from '../../domain/dns-records/check.js';
import { parseRecordId } from '../../domain/dns-records/dns-records.js';
import type { AppEnv } from '../env.js';
import { requireUser } from '../middleware/session.js';
import { type PageShell, renderPage } from '../render.js';
import { RecordCheckPage } from '../views/dns-records/check.js';

export function recordCheckRoutes(container: Container, shell: PageShell) {
  const deps = { db: container.dbh.db, config: container.config, lookup: container.dnsLookup };
  const app = new Hono<AppEnv>();
  app.get('/dns-records/:id/check', requireUser, async (c) => {
    const owner = c.get('session')!.effectiveUser;
    const check = await checkDnsRecord(deps, owner, parseRecordId(c.req.param('id')));
    c.header('Cache-Control', 'no-store');
    return renderPage(c, shell, `Check ${check.name}`, <RecordCheckPage check={check} />);
  });
  return app;
}
