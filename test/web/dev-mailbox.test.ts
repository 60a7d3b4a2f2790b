import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateOutboxEmail } from '../../src/db/repos/outbox.js';
import { emailDeliveryState, queueEmail } from '../../src/domain/notifications/outbox.js';
import { type TestApp, createTestApp } from '../support/app.js';

describe('development mailbox', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.cleanup());

  it('lists outbox messages and shows one, when no SMTP server is configured', async () => {
    expect(t.container.mailer).toBeNull();
    const id = await queueEmail(
      t.container.dbh.db,
      t.config.appUrl,
      { to: 'dev@example.edu', subject: 'Hello <there>', text: 'Body text line', html: null },
      Date.now(),
    );
    const list = await t.request('/dev/mailbox');
    expect(list.status).toBe(200);
    const html = await list.text();
    expect(html).toContain('Hello &lt;there&gt;');
    expect(html).toContain('dev@example.edu');
    const one = await t.request(`/dev/mailbox/${id}`);
    expect(await one.text()).toContain('Body text line');
    expect((await t.request('/dev/mailbox/999999')).status).toBe(404);
  });

  it('says what happened to each email instead of "pending"', async () => {
    const db = t.container.dbh.db;
    const queue = async (subject: string) =>
      (await queueEmail(
        db,
        t.config.appUrl,
        { to: 'dev@example.edu', subject, text: 'x', html: null },
        Date.now(),
      ))!;
    const kept = await queue('Kept one');
    const sent = await queue('Sent one');
    const failed = await queue('Failed one');
    await updateOutboxEmail(db, sent, { status: 'sent', sent_at: Date.now() });
    await db
      .updateTable('email_outbox')
      .set({ status: 'failed', attempts: 5, last_error: 'connect ECONNREFUSED 127.0.0.1:1025' })
      .where('id', '=', failed)
      .execute();
    const html = await (await t.request('/dev/mailbox')).text();
    const statusOf = (id: number) => {
      const row = html.slice(html.indexOf(`href="/dev/mailbox/${id}"`));
      return /<span class="badge (\w+)"[^>]*>([^<]+)<\/span>/.exec(row)!.slice(1, 3);
    };
    expect(statusOf(kept)).toEqual(['info', 'Kept here — no SMTP server configured']);
    expect(statusOf(sent)).toEqual(['ok', 'Sent']);
    expect(statusOf(failed)).toEqual(['err', 'Not sent']);
    expect(html).not.toMatch(/>pending</);
    const one = await (await t.request(`/dev/mailbox/${failed}`)).text();
    expect(one).toContain('Gave up after 5 attempts: connect ECONNREFUSED 127.0.0.1:1025.');
  });
});

describe('emailDeliveryState', () => {
  const row = (
    status: 'pending' | 'sending' | 'sent' | 'failed',
    attempts = 0,
    err: string | null = null,
  ) => ({
    status,
    attempts,
    last_error: err,
  });
  it('a pending email without SMTP is kept here; with SMTP it is queued or retrying', () => {
    expect(emailDeliveryState(row('pending'), false).label).toBe(
      'Kept here — no SMTP server configured',
    );
    expect(emailDeliveryState(row('pending'), true)).toMatchObject({
      tone: 'info',
      label: 'Queued',
    });
    expect(emailDeliveryState(row('pending', 2, '421 try later'), true)).toMatchObject({
      tone: 'warn',
      label: 'Retrying (attempt 2 of 5 failed)',
      detail: 'The SMTP server refused it: 421 try later. It is retried with increasing delays.',
    });
  });
  it('sending, sent and failed say so, a refused address included', () => {
    expect(emailDeliveryState(row('sending', 1), true).label).toBe('Sending');
    expect(emailDeliveryState(row('sent', 1), false)).toMatchObject({ tone: 'ok', label: 'Sent' });
    expect(
      emailDeliveryState(row('failed', 0, 'invalid recipient address: two addresses'), true).detail,
    ).toBe('Never sent: invalid recipient address: two addresses.');
    expect(emailDeliveryState(row('failed', 1, 'boom'), true).detail).toBe(
      'Gave up after 1 attempt: boom.',
    );
  });
});
