/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { Fragment, h } from '../jsx/runtime.js';
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

const PAGE = 50;

export function devMailboxRoutes(container: Container, shell: PageShell) {
  const app = new Hono<AppEnv>();
  const { db } = container.dbh;
  app.get('/dev/mailbox', async (c) => {
    const page = queryPage(c);
    const rows = await findRecentOutbox(db, PAGE + 1, (page - 1) * PAGE);
    const more = rows.length > PAGE;
    return renderPage(
      c,
      shell,
      'Development mailbox',
      <>
        <h1>Development mailbox</h1>
        <p class="lead">
          Emails the service would send.{' '}
          {container.mailer
            ? 'SMTP is configured, so they are also delivered.'
            : 'No SMTP server is configured, so they stay here.'}{' '}
          This page does not exist in production.
        </p>
        {rows.length === 0 ? (
          <p class="alert info">
            {page > 1 ? (
              <>
                No emails this far back. <a href="/dev/mailbox">Newest emails</a>
              </>
            ) : (
              'No emails yet.'
            )}
          </p>
        ) : (
          <table class="responsive">
            <thead>
              <tr>
                <th>Sent to</th>
                <th>Subject</th>
                <th>Status</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {rows.slice(0, PAGE).map((r) => (
                <tr>
                  <td data-label="To">{r.to_address}</td>
                  <td data-label="Subject">
                    <a href={`/dev/mailbox/${r.id}`}>{r.subject}</a>
                  </td>
                  <td data-label="Status">
                    <span
                      class={`badge ${r.status === 'sent' ? 'ok' : r.status === 'failed' ? 'err' : 'warn'}`}
                    >
                      {r.status}
                    </span>
                  </td>
                  <td data-label="Created">
                    {new Date(Number(r.created_at)).toISOString().replace('T', ' ').slice(0, 19)}{' '}
                    UTC
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <p>
          {page > 1 && rows.length > 0 && <a href={`/dev/mailbox?page=${page - 1}`}>Newer</a>}{' '}
          {more && <a href={`/dev/mailbox?page=${page + 1}`}>Older</a>}
        </p>
      </>,
    );
  });
  app.get('/dev/mailbox/:id{[0-9]+}', async (c) => {
    const row = await findOutboxEmail(db, Number(c.req.param('id')));
    if (!row) return c.notFound();
    return renderPage(
      c,
      shell,
      row.subject,
      <>
        <p>
          <a href="/dev/mailbox">← All emails</a>
        </p>
        <h1>{row.subject}</h1>
        <p class="hint">
          To {row.to_address} · Message-ID <span class="mono">{row.message_id}</span> · {row.status}
          {row.last_error ? ` · last error: ${row.last_error}` : ''}
        </p>
        <section class="card">
          <pre class="pre-wrap">{row.text_body}</pre>
        </section>
      </>,
    );
  });
  return app;
}
