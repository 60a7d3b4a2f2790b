/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { Fragment, h } from '../jsx/runtime.js';
import type { OutboxRow } from '../../db/schema.js';
import { emailDeliveryState } from '../../domain/notifications/outbox.js';
import { shortDateTime } from '../../time-format.js';
import { Icon } from './icons.js';
import { type Column, DataTable } from './table.js';

function StatusBadge(props: { row: OutboxRow; smtpConfigured: boolean }) {
  const state = emailDeliveryState(props.row, props.smtpConfigured);
  return (
    <span class={`badge ${state.tone}`} title={state.detail}>
      {state.label}
    </span>
  );
}

const MAILBOX_COLUMNS = (smtpConfigured: boolean): Column<OutboxRow>[] => [
  { label: 'Subject', cell: (r) => <a href={`/dev/mailbox/${r.id}`}>{r.subject}</a> },
  { label: 'To', cell: (r) => r.to_address },
  { label: 'Status', cell: (r) => <StatusBadge row={r} smtpConfigured={smtpConfigured} /> },
  { label: 'Written', cell: (r) => shortDateTime(Number(r.created_at)) },
];

/** The development mailbox: every email the service wrote, newest first, with what happened to it. */
export function MailboxPage(props: {
  rows: OutboxRow[];
  page: number;
  more: boolean;
  smtpConfigured: boolean;
}) {
  const { rows, page } = props;
  return (
    <>
      <h1>Development mailbox</h1>
      <p class="lead">
        Every email the service writes, newest first.{' '}
        {props.smtpConfigured
          ? 'An SMTP server is configured, so they are also sent.'
          : 'No SMTP server is configured (SMTP_HOST), so they are kept here and nobody receives them.'}{' '}
        This page exists only outside production.
      </p>
      {rows.length === 0 ? (
        <div class="empty">
          <Icon name="inbox" />
          {page > 1 ? (
            <p>
              No emails this far back. <a href="/dev/mailbox">Newest emails</a>
            </p>
          ) : (
            <>
              <h2>No emails yet</h2>
              <p>
                Emails appear here when the service writes one: a certificate is ready, a record is
                about to expire.
              </p>
            </>
          )}
        </div>
      ) : (
        <DataTable class="mailbox" columns={MAILBOX_COLUMNS(props.smtpConfigured)} rows={rows} />
      )}
      {(page > 1 || props.more) && rows.length > 0 && (
        <nav class="pagination" aria-label="Pages of emails">
          <span>
            {page > 1 && (
              <a href={page === 2 ? '/dev/mailbox' : `/dev/mailbox?page=${page - 1}`} rel="prev">
                ← Newer
              </a>
            )}
          </span>
          <span class="muted">Page {page}</span>
          <span>
            {props.more && (
              <a href={`/dev/mailbox?page=${page + 1}`} rel="next">
                Older →
              </a>
            )}
          </span>
        </nav>
      )}
    </>
  );
}

/** One email: who it went to, what happened to it, and its text. */
export function MailboxEmailPage(props: { row: OutboxRow; smtpConfigured: boolean }) {
  const { row } = props;
  const state = emailDeliveryState(row, props.smtpConfigured);
  return (
    <>
      <p>
        <a href="/dev/mailbox">← All emails</a>
      </p>
      <h1>{row.subject}</h1>
      <div class="card mail-meta">
        <dl class="facts">
          <dt>To</dt>
          <dd>{row.to_address}</dd>
          <dt>Written</dt>
          <dd>{shortDateTime(Number(row.created_at))}</dd>
          <dt>Status</dt>
          <dd>
            <span class={`badge ${state.tone}`}>{state.label}</span>{' '}
            <span class="muted">{state.detail}</span>
          </dd>
          {row.sent_at !== null && (
            <>
              <dt>Sent</dt>
              <dd>{shortDateTime(Number(row.sent_at))}</dd>
            </>
          )}
          <dt>Message-ID</dt>
          <dd class="mono">{row.message_id}</dd>
        </dl>
      </div>
      <section class="card mail-body" aria-label="Email text">
        <pre class="pre-wrap">{row.text_body}</pre>
      </section>
    </>
  );
}
