import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueEmail } from '../../src/domain/notifications/outbox.js';
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
});
