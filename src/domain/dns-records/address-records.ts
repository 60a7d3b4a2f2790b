/**
 * The address records (A and AAAA) at one name, set as a whole: what dynamic DNS clients (dyndns2)
 * ask for. "Make the A set at `home` equal to [192.0.2.7]" creates, replaces or removes rows under the
 * same rules, limit, audit and prompt DNS push as the record forms.
 *
 * Routers poll every few minutes with an unchanged address, so the unchanged case is a read only: no
 * row, audit entry or zone change is written. Expiry is still renewed by these updates, but at most once
 * per RENEW_EVERY (a day, or a tenth of the lifetime if that is shorter): a poll that finds the address
 * unchanged and the records renewed less than that long ago writes nothing.
 */
import { inTransaction } from '../../db/group-commit.js';
import {
  countDnsRecords,
  deleteDnsRecord as deleteRow,
  findBlockedLabel,
  findDnsRecordsAtNameWithExpiry,
  lockUserRow,
  updateDnsRecord as updateRow,
} from '../../db/repos/dns-records.js';
import type { DnsRecordRow } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import { recordPolicy } from './record-policy.js';
import { markDnsChanged, requestReconcile } from '../reconciler/request.js';
import { type Actor, auditDnsRecord as audit, recordSnapshot as snapshot } from './audit.js';
import { type DnsRecordDeps, insertNewRecord } from './dns-records.js';
import { canonicalValue, nameProblem, normalizeValue, valueProblem } from './rules.js';

const DAY_MS = 86_400_000;
/** Addresses one family may hold at a name through this call (dyndns2 sends one or a few). */
export const MAX_ADDRESSES_PER_FAMILY = 10;

/** The addresses wanted at the name; null leaves that family's records as they are. */
export interface AddressSet {
  ipv4: readonly string[] | null;
  ipv6: readonly string[] | null;
}

export interface AddressResult {
  /** True when records were created or removed (the published answer changes). */
  changed: boolean;
  /** True when the expiry of unchanged records was pushed out (a write, at most once per RENEW_EVERY). */
  renewed: boolean;
  /** The addresses now at the name, per family (as stored). */
  ipv4: string[];
  ipv6: string[];
}

export interface SetAddressOptions {
  /** Called once before anything is written (e.g. the per-user change rate limit); may throw. */
  beforeWrite?: () => Promise<void>;
}

type Family = 'A' | 'AAAA';
type Existing = Pick<
  DnsRecordRow,
  'id' | 'subdomain' | 'type' | 'value' | 'priority' | 'expires_at'
>;

/** How long after a renewal the next update renews again: a day, or a tenth of a shorter lifetime. */
export const renewEveryMs = (lifetimeDays: number) =>
  Math.min(DAY_MS, (lifetimeDays * DAY_MS) / 10);

/** Validate and normalise one family's addresses; duplicates collapse. Throws INVALID_INPUT. */
function wanted(type: Family, values: readonly string[] | null): Map<string, string> | null {
  if (values === null) return null;
  if (values.length > MAX_ADDRESSES_PER_FAMILY)
    throw new AppError(
      'INVALID_INPUT',
      `At most ${MAX_ADDRESSES_PER_FAMILY} ${type} addresses at one name.`,
      { value: 'too many addresses' },
    );
  const out = new Map<string, string>();
  for (const raw of values) {
    const problem = valueProblem(type, raw);
    if (problem) throw new AppError('INVALID_INPUT', problem, { value: problem });
    const value = normalizeValue(type, raw);
    out.set(canonicalValue(type, value, null), value);
  }
  return out;
}

interface Plan {
  add: { type: Family; value: string }[];
  remove: Existing[];
  keep: Existing[];
}

function plan(rows: readonly Existing[], want: Record<Family, Map<string, string> | null>): Plan {
  const p: Plan = { add: [], remove: [], keep: [] };
  for (const type of ['A', 'AAAA'] as const) {
    const w = want[type];
    if (w === null) continue;
    const have = new Map<string, Existing>();
    for (const r of rows)
      if (r.type === type) {
        const key = canonicalValue(type, r.value, null);
        // A duplicate row (should not exist) is removed rather than kept twice.
        if (have.has(key) || !w.has(key)) p.remove.push(r);
        else have.set(key, r);
      }
    for (const [key, value] of w) {
      const row = have.get(key);
      if (row) p.keep.push(row);
      else p.add.push({ type, value });
    }
  }
  return p;
}

const familyOf = (rows: readonly Pick<Existing, 'type' | 'value'>[], type: Family) =>
  rows.filter((r) => r.type === type).map((r) => r.value);

/**
 * Make the A and/or AAAA records at `relativeName` (one label under the actor's effective user's
 * domain) equal to `addresses`, creating the name if needed, and renew their expiry (see RENEW_EVERY).
 * The caller has checked the token's scope for the name and each family given. An unchanged set whose
 * records were renewed recently returns `{changed: false, renewed: false}` after reads only. Throws
 * INVALID_INPUT (name or address, or a CNAME at the name), LIMIT_EXCEEDED (the per-user record limit),
 * and whatever `beforeWrite` throws.
 */
export async function setAddressRecords(
  deps: DnsRecordDeps,
  actor: Actor,
  relativeName: string,
  addresses: AddressSet,
  opts: SetAddressOptions = {},
): Promise<AddressResult> {
  const owner = actor.effectiveUser;
  const want = { A: wanted('A', addresses.ipv4), AAAA: wanted('AAAA', addresses.ipv6) };
  const now = deps.clock.now();
  const policy = await recordPolicy(deps.db, deps.config, owner);
  const renewBefore = policy.expiresAt(now) - renewEveryMs(deps.config.dns.recordLifetimeDays);
  const stale = (r: Existing) => Number(r.expires_at) < renewBefore;

  // The poll path: one read, and nothing written when nothing is due. The name is checked only when
  // something will be written: records already at a name passed the rules when they were created (a
  // malformed name has no records, so it always reaches the check).
  const seen = await findDnsRecordsAtNameWithExpiry(deps.db, owner.id, relativeName);
  const first = plan(seen, want);
  const cname = seen.some((r) => r.type === 'CNAME');
  if (
    seen.length > 0 &&
    !cname &&
    first.add.length === 0 &&
    first.remove.length === 0 &&
    !first.keep.some(stale)
  )
    return {
      changed: false,
      renewed: false,
      ipv4: familyOf(seen, 'A'),
      ipv6: familyOf(seen, 'AAAA'),
    };
  const np = nameProblem(relativeName);
  if (np) throw new AppError('INVALID_INPUT', np, { subdomain: np });
  if (cname)
    throw new AppError(
      'INVALID_INPUT',
      `${relativeName} has a CNAME record, which cannot share its name with address records.`,
      { type: 'CNAME at this name' },
    );
  if (first.add.length > 0 && (await findBlockedLabel(deps.db, relativeName)))
    throw new AppError('INVALID_INPUT', 'That name is not available. Please choose another.', {
      subdomain: 'blocked',
    });
  await opts.beforeWrite?.();

  const result = await inTransaction(deps.db, async (trx) => {
    await lockUserRow(trx, owner.id);
    const rows = await findDnsRecordsAtNameWithExpiry(trx, owner.id, relativeName);
    if (rows.some((r) => r.type === 'CNAME'))
      throw new AppError(
        'INVALID_INPUT',
        `${relativeName} has a CNAME record, which cannot share its name with address records.`,
        { type: 'CNAME at this name' },
      );
    const p = plan(rows, want);
    const limit = policy.limit;
    const grows = p.add.length - p.remove.length;
    if (limit !== null && grows > 0 && (await countDnsRecords(trx, owner.id)) + grows > limit)
      throw new AppError('LIMIT_EXCEEDED', policy.limitMessage());
    const expires_at = policy.expiresAt(now);
    for (const r of p.remove) {
      await deleteRow(trx, owner.id, r.id);
      await audit(trx, actor, 'dns-record.delete', r.id, snapshot(r), null, now);
    }
    const added: Pick<Existing, 'type' | 'value'>[] = [];
    for (const a of p.add) {
      added.push(
        await insertNewRecord(
          trx,
          deps,
          actor,
          {
            subdomain: relativeName,
            type: a.type,
            value: a.value,
            priority: null,
            ports: null,
            course: null,
            description: null,
          },
          now,
          policy,
        ),
      );
    }
    let renewed = false;
    for (const r of p.keep) {
      if (!stale(r)) continue;
      await updateRow(trx, owner.id, r.id, { expires_at, reminders_sent: '[]', updated_at: now });
      await audit(
        trx,
        actor,
        'dns-record.renew',
        r.id,
        JSON.stringify({ expires_at: Number(r.expires_at) }),
        JSON.stringify({ expires_at }),
        now,
      );
      renewed = true;
    }
    const changed = p.add.length > 0 || p.remove.length > 0;
    if (changed) await markDnsChanged(trx, [{ label: owner.dns_label, name: relativeName }], now);
    const removed = new Set(p.remove.map((r) => r.id));
    const final = [...rows.filter((r) => !removed.has(r.id)), ...added];
    return { changed, renewed, ipv4: familyOf(final, 'A'), ipv6: familyOf(final, 'AAAA') };
  });
  if (result.changed) await requestReconcile(deps);
  return result;
}
