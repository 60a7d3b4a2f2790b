/**
 * How many records an owner may have and when a new, edited or renewed record expires: the operator's
 * settings for a person; for a shared namespace's account (decision 0026), its own record limit and no
 * later than its end of term. One lookup for namespaces only: a person's writes read nothing more.
 */
import type { DbOrTrx } from '../../db/repos/dns-records.js';
import type { User } from '../../db/schema.js';

const DAY_MS = 86_400_000;

export interface RecordPolicy {
  /** Records allowed, or null for no limit. */
  limit: number | null;
  /** Expiry of a record created, edited or renewed at `now`. */
  expiresAt(now: number): number;
  /** The refusal when the limit is reached. */
  limitMessage(): string;
}

export interface RecordPolicyConfig {
  dns: { recordLimit: number | null; recordLifetimeDays: number };
}

export async function recordPolicy(
  db: DbOrTrx,
  config: RecordPolicyConfig,
  owner: Pick<User, 'id'> & { kind?: User['kind'] },
): Promise<RecordPolicy> {
  const lifetimeMs = config.dns.recordLifetimeDays * DAY_MS;
  if (owner.kind !== 'namespace') {
    const limit = config.dns.recordLimit;
    return {
      limit,
      expiresAt: (now) => now + lifetimeMs,
      limitMessage: () =>
        `You have reached your limit of ${limit} DNS records. Delete a record you no longer need, then try again.`,
    };
  }
  const ns = await db
    .selectFrom('namespaces')
    .select(['record_limit', 'ends_at'])
    .where('account_id', '=', owner.id)
    .executeTakeFirst();
  const limit = ns?.record_limit ?? config.dns.recordLimit;
  const endsAt = ns?.ends_at === null || ns?.ends_at === undefined ? null : Number(ns.ends_at);
  return {
    limit,
    expiresAt: (now) => (endsAt === null ? now + lifetimeMs : Math.min(now + lifetimeMs, endsAt)),
    limitMessage: () =>
      `This namespace has reached its limit of ${limit} DNS records. Delete a record it no longer needs, or ask an administrator for a higher limit.`,
  };
}
