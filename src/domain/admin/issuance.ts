/** The issuance budget and queue as admins see them (domain/certificates/queue.ts computes them). */
import { type QueueDeps, type QueueOverview, queueOverview } from '../certificates/queue.js';
import { type AdminActor, assertAdmin } from './admin-actor.js';

export async function getIssuanceOverview(
  deps: QueueDeps,
  actor: AdminActor,
): Promise<QueueOverview> {
  assertAdmin(actor);
  return queueOverview(deps);
}
