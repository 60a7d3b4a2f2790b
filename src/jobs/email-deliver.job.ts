import { z } from 'zod';
import { findDueOutboxIds } from '../db/repos/outbox.js';
import { deliverEmail } from '../domain/notifications/outbox.js';
import { defineJob } from './define.js';
import type { JobDeps } from './deps.js';

const deliverDeps = (deps: JobDeps) => ({
  db: deps.db,
  mailer: deps.mailer,
  clock: deps.clock,
  logger: deps.logger,
  from: deps.config.mail.from,
});

/** Deliver one outbox email over SMTP; retried with exponential backoff, then marked failed. */
export const emailDeliverJob = defineJob<{ id: number }, JobDeps>({
  name: 'email.deliver',
  schema: z.object({ id: z.number().int().positive() }),
  options: { attempts: 5, backoffMs: 30_000 },
  dedupeId: (p) => `email:${p.id}`,
  async handler(payload, deps) {
    await deliverEmail(deliverDeps(deps), payload.id);
  },
  async recover(deps) {
    if (!deps.mailer) return [];
    return (await findDueOutboxIds(deps.db, deps.clock.now())).map((id) => ({ id }));
  },
});

/** Every minute: hand any due outbox message (lost job, expired send lease) back to the queue. */
export const emailSweepJob = defineJob<Record<string, never>, JobDeps>({
  name: 'email.sweep',
  schema: z.object({}).strict(),
  options: { attempts: 1, backoffMs: 1000 },
  everyMs: (config) => (config.mail.smtp ? 60_000 : null),
  async handler(_payload, deps) {
    if (!deps.mailer) return;
    for (const id of await findDueOutboxIds(deps.db, deps.clock.now()))
      await deps.queue.enqueue('email.deliver', { id });
  },
});
