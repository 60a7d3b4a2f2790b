/**
 * The record check: what the authoritative servers (the built-in server, or Route53's) answer for one
 * of the owner's records right now, and what public resolvers answer, with a plain-words summary. It
 * replaces the original's link to an outside lookup site. Read-only; the owner's records only.
 */
import type { Config } from '../../config.js';
import type { Db } from '../../db/client.js';
import type { DnsRecordRow, User } from '../../db/schema.js';
import type { DnsLookup, DnsServerRef, LookupResult } from '../../ports/dns-lookup.js';
import type { RateLimiter } from '../../ports/rate-limiter.js';
import { RateLimited } from '../tokens/rate-limits.js';
import { baseDomainOf, getDnsRecord } from './dns-records.js';
import { canonicalIPv6, canonicalValue } from './rules.js';

export interface ServerView {
  server: DnsServerRef;
  result: LookupResult;
  /** The record's value is among the answers (null when the server did not answer). */
  matches: boolean | null;
}

export type CheckSummary =
  /** Every authoritative server and every public resolver that answered has the value. */
  | 'live'
  /** The authoritative servers have it; some public resolvers still answer from their cache. */
  | 'propagating'
  /** The authoritative servers do not have it yet (being published, or an error). */
  | 'not-published'
  /** No authoritative server answered. */
  | 'unknown';

export interface RecordCheck {
  record: DnsRecordRow;
  name: string;
  expected: string;
  authoritative: ServerView[];
  resolvers: ServerView[];
  summary: CheckSummary;
}

export interface RecordCheckDeps {
  db: Db;
  config: Pick<Config, 'rootDomain'> & { dns: Pick<Config['dns'], 'checksPerMinute'> };
  lookup: DnsLookup;
  /** Counts checks per person (Redis when configured, so every replica shares the count). */
  limiter: RateLimiter;
}

/** How an answer is compared with the record: the same canonical form the rules store. */
function comparable(type: DnsRecordRow['type'], value: string): string {
  switch (type) {
    case 'AAAA':
      return canonicalIPv6(value.trim());
    case 'MX':
    case 'CNAME':
      return value.trim().toLowerCase().replace(/\.$/, '');
    case 'A':
      return value.trim();
    case 'TXT':
      return value;
  }
}

function view(record: DnsRecordRow, expected: string, server: DnsServerRef, result: LookupResult) {
  const matches = result.ok
    ? result.answers.some(
        (a) => a.type === record.type && comparable(record.type, a.value) === expected,
      )
    : null;
  return { server, result, matches };
}

/**
 * Count one check by `actorId` (the person signed in: an admin impersonating counts as the admin).
 * Each check sends a query to every public resolver, so someone reloading the page in a loop would
 * have this service hammer them; past DNS_CHECK_PER_MINUTE it throws RateLimited instead.
 */
async function limitCheck(deps: RecordCheckDeps, actorId: number): Promise<void> {
  const perMinute = deps.config.dns.checksPerMinute;
  if (perMinute <= 0) return;
  const verdict = await deps.limiter.hit([
    { key: `check:${actorId}:m`, limit: perMinute, windowMs: 60_000 },
  ]);
  if (!verdict.allowed)
    throw new RateLimited(
      verdict.retryAfterS,
      `You ran more than ${perMinute} record checks in a minute. Each check asks several public DNS servers, so we pause here for a moment: try again in ${verdict.retryAfterS} s.`,
    );
}

/**
 * Check record `id` of `owner` for `actorId`. NOT_FOUND for someone else's (or no) record;
 * RateLimited (before any query is sent) past the per-person limit.
 */
export async function checkDnsRecord(
  deps: RecordCheckDeps,
  owner: User,
  id: number,
  actorId: number,
): Promise<RecordCheck> {
  const record = await getDnsRecord(deps, owner, id);
  await limitCheck(deps, actorId);
  const name = `${record.subdomain}.${baseDomainOf(owner, deps.config.rootDomain)}`;
  // canonicalValue is already the form answers are compared in (comparable() of an answer).
  const expected = canonicalValue(record.type, record.value, record.priority);
  const servers = await deps.lookup.authoritative().catch(() => [] as DnsServerRef[]);
  const resolvers = deps.lookup.publicResolvers();
  const [auth, pub] = await Promise.all([
    Promise.all(
      servers.map(async (s) =>
        view(record, expected, s, await deps.lookup.query(s, name, record.type, false)),
      ),
    ),
    Promise.all(
      resolvers.map(async (s) =>
        view(record, expected, s, await deps.lookup.query(s, name, record.type, true)),
      ),
    ),
  ]);
  const answered = auth.filter((v) => v.matches !== null);
  const summary: CheckSummary =
    answered.length === 0
      ? 'unknown'
      : answered.some((v) => !v.matches)
        ? 'not-published'
        : pub.some((v) => v.matches === false)
          ? 'propagating'
          : 'live';
  return { record, name, expected, authoritative: auth, resolvers: pub, summary };
}
