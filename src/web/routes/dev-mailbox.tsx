/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { h } from '../jsx/runtime.js';
/**
 * Development mailbox: outside production, without SMTP, messages stay in the outbox and are listed here.
 * Never mounted in production.
 */
import { Hono } from 'hono';
import type { Container } from '../../container.js';
import { findOutboxEmail, findRecentOutbox } from '../../db/repos/outbox.js';
import type { AppEnv } from '../env.js';
import { queryPage } from '../query.js';
import { type PageShell, renderPage } from '../render.js';
import { MailboxEmailPage, MailboxPage } from '../views/dev-mailbox.js';

const PAGE = 50;

export function devMailboxRoutes(container: Container, shell: PageShell) {
  const app = new Hono<AppEnv>();
  const { db } = container.dbh;
  const smtpConfigured = container.mailer !== null;
  app.get('/dev/mailbox', async (c) => {
    const page = queryPage(c);
    const rows = await findRecentOutbox(db, PAGE + 1, (page - 1) * PAGE);
    return renderPage(
      c,
      shell,
      'Development mailbox',
      <MailboxPage
        rows={rows.slice(0, PAGE)}
        page={page}
        more={rows.length > PAGE}
        smtpConfigured={smtpConfigured}
      />,
    );
  });
  app.get('/dev/mailbox/:id{[0-9]+}', async (c) => {
    const row = await findOutboxEmail(db, Number(c.req.param('id')));
    if (!row) return c.notFound();
    return renderPage(
      c,
      shell,
      row.subject,
      <MailboxEmailPage row={row} smtpConfigured={smtpConfigured} />,
    );
  });
  return app;
}
