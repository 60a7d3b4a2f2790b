/**
 * Email is written to the outbox in the same transaction as the change that causes it, then delivered by
 * the `email.deliver` job. A message is claimed by one conditional UPDATE before sending, so several workers
 * never send it twice; its Message-ID is fixed at creation, so a retry after an unknown outcome carries the
 * same id and can be recognised downstream.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../../db/client.js';
import type { OutboxRow } from '../../db/schema.js';
import {
  claimOutboxEmail,
  findOutboxEmail,
  insertOutboxEmail,
  updateOutboxEmail,
} from '../../db/repos/outbox.js';
import type { Logger } from '../../logger.js';
import type { Clock } from '../../ports/clock.js';
import type { Mailer } from '../../ports/mailer.js';
import { normaliseEmailAddress } from './email-address.js';

export const MAX_EMAIL_ATTEMPTS = 5;
/** How long a claimed message is reserved for its sender before another worker may retry it. */
export const SEND_LEASE_MS = 2 * 60_000;

export interface NewEmail {
  to: string;
  subject: string;
  text: string;
  html: string | null;
  /** One email per key, ever (e.g. `reminder:42:2026-11-30:7`). */
  dedupeKey?: string;
}

/**
 * Add an email to the outbox using the caller's transaction (or db). Returns the new id, or null when a
 * message with the same dedupe key already exists.
 */
export async function queueEmail(
  db: Db,
  appUrl: string,
  email: NewEmail,
  now: number,
): Promise<number | null> {
  const host = new URL(appUrl).hostname || 'starchart.invalid';
  return insertOutboxEmail(db, {
    message_id: `<${now.toString(36)}.${randomBytes(9).toString('base64url')}@${host}>`,
    dedupe_key: email.dedupeKey ?? null,
    to_address: email.to,
    subject: email.subject.slice(0, 255),
    text_body: email.text,
    html_body: email.html,
    next_attempt_at: now,
    created_at: now,
  });
}

export interface DeliverDeps {
  db: Db;
  mailer: Mailer | null;
  clock: Clock;
  logger: Logger;
  from: string;
}

export type DeliveryOutcome = 'sent' | 'skipped' | 'failed' | 'no-mailer';

/**
 * Try to deliver one outbox message. Returns 'skipped' when another worker holds it or it is done.
 * Throws after a failed attempt that will be retried; marks the row failed after the last attempt, and
 * at once, without sending, when its recipient is not a valid address (normaliseEmailAddress).
 */
export async function deliverEmail(deps: DeliverDeps, id: number): Promise<DeliveryOutcome> {
  if (!deps.mailer) return 'no-mailer';
  const now = deps.clock.now();
  if (!(await claimOutboxEmail(deps.db, id, now, SEND_LEASE_MS))) return 'skipped';
  const row = await findOutboxEmail(deps.db, id);
  if (!row) return 'skipped';
  // Checked again here, whatever wrote the row: an address that is not one plain recipient never
  // reaches the mailer, where a line break or a comma could add recipients or headers.
  const recipient = normaliseEmailAddress(row.to_address);
  if (!recipient.ok) {
    const reason = `invalid recipient address: ${recipient.reason}`;
    await updateOutboxEmail(deps.db, id, { status: 'failed', last_error: reason.slice(0, 2000) });
    deps.logger.warn(
      { emailId: id, to: JSON.stringify(row.to_address.slice(0, 300)), reason },
      'email not sent: invalid recipient address',
    );
    return 'failed';
  }
  try {
    await deps.mailer.send({
      messageId: row.message_id,
      from: deps.from,
      to: recipient.address,
      subject: row.subject,
      text: row.text_body,
      html: row.html_body,
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (Number(row.attempts) >= MAX_EMAIL_ATTEMPTS) {
      await updateOutboxEmail(deps.db, id, {
        status: 'failed',
        last_error: message.slice(0, 2000),
      });
      deps.logger.error(
        { emailId: id, attempts: row.attempts, err: message },
        'email delivery failed for good',
      );
      return 'failed';
    }
    // Due again at once: the queue's exponential backoff decides when the retry runs.
    await updateOutboxEmail(deps.db, id, {
      status: 'pending',
      last_error: message.slice(0, 2000),
      next_attempt_at: deps.clock.now(),
    });
    throw new Error(`email ${id} attempt ${row.attempts} failed: ${message}`, { cause: err });
  }
  await updateOutboxEmail(deps.db, id, {
    status: 'sent',
    sent_at: deps.clock.now(),
    last_error: null,
  });
  return 'sent';
}

/** What happened to an outbox email, in words a developer reading the development mailbox understands. */
export interface EmailDeliveryState {
  tone: 'ok' | 'warn' | 'err' | 'info';
  /** A few words for a badge. */
  label: string;
  /** One sentence with the detail. */
  detail: string;
}

/**
 * The delivery state of an outbox row. `smtpConfigured` says whether this service has a mailer: without
 * one a pending email is not waiting for anything, it is simply kept in the outbox.
 */
export function emailDeliveryState(
  row: Pick<OutboxRow, 'status' | 'attempts' | 'last_error'>,
  smtpConfigured: boolean,
): EmailDeliveryState {
  const attempts = Number(row.attempts);
  switch (row.status) {
    case 'sent':
      return {
        tone: 'ok',
        label: 'Sent',
        detail: 'Handed to the SMTP server.',
      };
    case 'failed':
      return {
        tone: 'err',
        label: 'Not sent',
        detail: row.last_error?.startsWith('invalid recipient address')
          ? `Never sent: ${row.last_error}.`
          : `Gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}${row.last_error ? `: ${row.last_error}` : ''}.`,
      };
    case 'sending':
      return {
        tone: 'info',
        label: 'Sending',
        detail: 'A worker is handing it to the SMTP server now.',
      };
    case 'pending':
      if (!smtpConfigured)
        return {
          tone: 'info',
          label: 'Kept here — no SMTP server configured',
          detail:
            'No SMTP server is configured (SMTP_HOST), so this email stays in the outbox and is only shown here.',
        };
      if (attempts > 0)
        return {
          tone: 'warn',
          label: `Retrying (attempt ${attempts} of ${MAX_EMAIL_ATTEMPTS} failed)`,
          detail: `The SMTP server refused it${row.last_error ? `: ${row.last_error}` : ''}. It is retried with increasing delays.`,
        };
      return { tone: 'info', label: 'Queued', detail: 'Waiting for a worker to send it.' };
  }
}
