/**
 * Applying a verified DNS UPDATE (RFC 2136) change set to a user's records: prerequisites (§3.2) and
 * updates (§3.4.2) evaluated against the user's rows in ONE transaction, under the same rules as the
 * record forms (names, values, blocked labels, CNAME consistency, the per-user limit), all or nothing.
 * ACME challenge TXT values (`_acme-challenge[.sub].{label}.{root}`) are not records: they go to the
 * `challenges` writer given in.
 */
import type { Transaction } from 'kysely';
import type { DnsRecordRow } from '../../db/schema.js';
import type { Database } from '../../db/schema.js';
import { inTransaction } from '../../db/group-commit.js';
import { recordPolicy } from './record-policy.js';
import {
  deleteDnsRecord as deleteRow,
  findBlockedLabel,
  findDnsRecordsOfUser,
  lockUserRow,
} from '../../db/repos/dns-records.js';
import type { DnsUpdate, Prerequisite, UpdateRcode, UpdateRr } from '../../ports/dns-update.js';
import { markDnsChanged, requestReconcile } from '../reconciler/request.js';
import { type Actor, auditDnsRecord, recordSnapshot } from './audit.js';
import { type DnsRecordDeps, insertNewRecord } from './dns-records.js';
import {
  canonicalValue,
  consistencyProblem,
  nameProblem,
  normalizeValue,
  valueProblem,
} from './rules.js';
import { ACME_CHALLENGE_LABEL, type RecordInput, isRecordType } from './types.js';

/**
 * Why the token may not write `relativeName` (relative to the user's domain: 'www', '_acme-challenge',
 * '_acme-challenge.www') with `type` ('ANY' for a whole-name delete), or null when it may.
 */
export type UpdateScope = (relativeName: string, type: string) => string | null;

/**
 * Writes ACME challenge TXT values of the user's own ACME client (src/domain/dns-records/
 * client-challenges.ts). Called inside the update's transaction with it, so a refused update leaves
 * no challenge behind; `relativeName` as for UpdateScope.
 */
export interface ChallengeWriter {
  add(trx: Transaction<Database>, relativeName: string, value: string): Promise<void>;
  /** Remove the name's values equal to `value`, or all of them for null. */
  remove(trx: Transaction<Database>, relativeName: string, value: string | null): Promise<void>;
}

export interface DnsUpdateResult {
  rcode: UpdateRcode;
  reason?: string;
}

/** Thrown inside the transaction to roll everything back and answer with `rcode`. */
class Refusal extends Error {
  constructor(
    readonly rcode: UpdateRcode,
    reason: string,
  ) {
    super(reason);
  }
}

type Row = Pick<DnsRecordRow, 'subdomain' | 'type' | 'value' | 'priority'> & {
  id: number | null;
  row: DnsRecordRow | null;
};

/** Where a name of the zone falls for this user. */
type Place =
  | { kind: 'record'; subdomain: string; relative: string }
  | { kind: 'challenge'; relative: string }
  | { kind: 'base'; relative: string }
  | { kind: 'foreign' };

function place(name: string, label: string, root: string): Place {
  const base = `${label}.${root}`;
  if (name === base) return { kind: 'base', relative: '' };
  if (!name.endsWith(`.${base}`)) return { kind: 'foreign' };
  const relative = name.slice(0, -(base.length + 1));
  const parts = relative.split('.');
  if (parts[0] === ACME_CHALLENGE_LABEL && parts.length <= 2)
    return { kind: 'challenge', relative };
  if (parts.length === 1) return { kind: 'record', subdomain: relative, relative };
  return { kind: 'foreign' };
}

/**
 * Apply `update` (already verified, names in the zone) to the actor's effective user's records. Returns
 * the rcode to answer: NOERROR when applied (or nothing to do), the RFC 2136 prerequisite rcodes,
 * REFUSED for anything outside the user's names, the scope or the record rules (nothing written).
 * Throws only when the database fails.
 */
export async function applyDnsUpdate(
  deps: DnsRecordDeps,
  actor: Actor,
  update: DnsUpdate,
  scope: UpdateScope,
  challenges: ChallengeWriter,
): Promise<DnsUpdateResult> {
  const owner = actor.effectiveUser;
  const root = deps.config.rootDomain.toLowerCase();
  if (update.zone !== root)
    return { rcode: 'NOTAUTH', reason: `not authoritative for ${update.zone}` };
  const now = deps.clock.now();
  const policy = await recordPolicy(deps.db, deps.config, owner);
  try {
    const changed = await inTransaction(deps.db, async (trx) => {
      await lockUserRow(trx, owner.id);
      const original = (await findDnsRecordsOfUser(trx, owner.id)).map((r): Row => ({
        ...r,
        id: r.id,
        row: r,
      }));
      for (const pre of update.prerequisites)
        checkPrerequisite(pre, original, owner.dns_label, root);

      let working = [...original];
      const challengeOps: (() => Promise<void>)[] = [];
      for (const op of update.updates) {
        const name = op.kind === 'add' || op.kind === 'delete-rr' ? op.rr.name : op.name;
        const type =
          op.kind === 'add' || op.kind === 'delete-rr'
            ? op.rr.type
            : op.kind === 'delete-rrset'
              ? op.type
              : 'ANY';
        const where = place(name, owner.dns_label, root);
        if (where.kind === 'foreign' || where.kind === 'base')
          throw new Refusal('REFUSED', `${name} is not one of your names`);
        const denied = scope(where.relative, type);
        if (denied) throw new Refusal('REFUSED', denied);
        if (where.kind === 'challenge') {
          if (type !== 'TXT' && type !== 'ANY')
            throw new Refusal('REFUSED', `${name} holds ACME challenge TXT values only`);
          const rel = where.relative;
          if (op.kind === 'add') {
            const value = op.rr.value;
            if (value === null || value === '' || value.length > 255)
              throw new Refusal('REFUSED', 'an ACME challenge value is a short text');
            challengeOps.push(() => challenges.add(trx, rel, value));
          } else if (op.kind === 'delete-rr') {
            const value = op.rr.value;
            if (value !== null) challengeOps.push(() => challenges.remove(trx, rel, value));
          } else challengeOps.push(() => challenges.remove(trx, rel, null));
          continue;
        }
        const sub = where.subdomain;
        switch (op.kind) {
          case 'add': {
            const input = await recordInput(trx, sub, op.rr);
            const mine = canonicalValue(input.type, input.value, input.priority);
            const here = working.filter((r) => r.subdomain === sub);
            // RFC 2136 §3.4.2.2: adding an RR that is already there changes nothing.
            if (
              here.some(
                (r) =>
                  r.type === input.type && canonicalValue(r.type, r.value, r.priority) === mine,
              )
            )
              break;
            const clash = consistencyProblem(
              input,
              here.map((r) => ({ ...r, id: r.id ?? 0, type: r.type })),
            );
            if (clash) throw new Refusal('REFUSED', Object.values(clash).join(' '));
            working.push({ ...input, id: null, row: null });
            break;
          }
          case 'delete-rrset':
            working = working.filter((r) => !(r.subdomain === sub && r.type === op.type));
            break;
          case 'delete-name':
            working = working.filter((r) => r.subdomain !== sub);
            break;
          case 'delete-rr': {
            const { rr } = op;
            if (!isRecordType(rr.type) || rr.value === null) break;
            const gone = canonicalValue(rr.type, rr.value, rr.priority);
            working = working.filter(
              (r) =>
                !(
                  r.subdomain === sub &&
                  r.type === rr.type &&
                  canonicalValue(r.type, r.value, r.priority) === gone
                ),
            );
            break;
          }
        }
      }

      // A record deleted and added back in one message keeps its row.
      const key = (r: Pick<Row, 'subdomain' | 'type' | 'value' | 'priority'>) =>
        `${r.subdomain} ${r.type} ${canonicalValue(r.type, r.value, r.priority)}`;
      const kept = new Set(working.filter((r) => r.id !== null).map((r) => r.id));
      const deleted = original.filter((r) => !kept.has(r.id));
      const deletedByKey = new Map(deleted.map((r) => [key(r), r]));
      const added: Row[] = [];
      for (const r of working) {
        if (r.id !== null) continue;
        const back = deletedByKey.get(key(r));
        if (back) {
          deletedByKey.delete(key(r));
          continue;
        }
        added.push(r);
      }
      const removed = [...deletedByKey.values()];
      const limit = policy.limit;
      const finalCount = original.length - removed.length + added.length;
      if (limit !== null && added.length > 0 && finalCount > limit && finalCount > original.length)
        throw new Refusal(
          'REFUSED',
          `this update would leave ${finalCount} records; the limit is ${limit}`,
        );

      const names = new Set<string>();
      for (const r of removed) {
        await deleteRow(trx, owner.id, r.id!);
        await auditDnsRecord(
          trx,
          actor,
          'dns-record.delete',
          r.id!,
          recordSnapshot(r.row!),
          null,
          now,
        );
        names.add(r.subdomain);
      }
      for (const r of added) {
        await insertNewRecord(
          trx,
          deps,
          actor,
          {
            subdomain: r.subdomain,
            type: r.type,
            value: r.value,
            priority: r.priority,
            ports: null,
            course: null,
            description: null,
          },
          now,
          policy,
        );
        names.add(r.subdomain);
      }
      for (const op of challengeOps) await op();
      if (names.size > 0)
        await markDnsChanged(
          trx,
          [...names].map((name) => ({ label: owner.dns_label, name })),
          now,
        );
      return names.size > 0 || challengeOps.length > 0;
    });
    if (changed) await requestReconcile(deps);
    return { rcode: 'NOERROR' };
  } catch (e) {
    if (e instanceof Refusal) {
      deps.logger?.info(
        { userId: owner.id, rcode: e.rcode, reason: e.message },
        'DNS UPDATE not applied',
      );
      return { rcode: e.rcode, reason: e.message };
    }
    throw e;
  }
}

/** The record an added RR stands for, under the form rules; Refusal when they say no. */
async function recordInput(
  trx: Transaction<Database>,
  subdomain: string,
  rr: UpdateRr,
): Promise<RecordInput> {
  const blocked = new Set<string>();
  if (await findBlockedLabel(trx, subdomain)) blocked.add(subdomain);
  const np = nameProblem(subdomain, blocked);
  if (np) throw new Refusal('REFUSED', np);
  if (!isRecordType(rr.type)) throw new Refusal('REFUSED', `type ${rr.type} is not supported`);
  if (rr.value === null) throw new Refusal('REFUSED', `that ${rr.type} value cannot be stored`);
  const vp = valueProblem(rr.type, rr.value);
  if (vp) throw new Refusal('REFUSED', vp);
  return {
    subdomain,
    type: rr.type,
    value: normalizeValue(rr.type, rr.value),
    priority: rr.type === 'MX' ? rr.priority : null,
    ports: null,
    course: null,
    description: null,
  };
}

/** RFC 2136 §3.2.5: the prerequisite holds against the user's records, or the Refusal its rcode. */
function checkPrerequisite(
  pre: Prerequisite,
  records: readonly Row[],
  label: string,
  root: string,
): void {
  const where = place(pre.name, label, root);
  if (where.kind === 'foreign')
    throw new Refusal('REFUSED', `${pre.name} is not one of your names`);
  if (where.kind === 'challenge')
    throw new Refusal('REFUSED', 'prerequisites on ACME challenge names are not supported');
  const here =
    where.kind === 'record' ? records.filter((r) => r.subdomain === where.subdomain) : [];
  switch (pre.kind) {
    case 'name-in-use':
      if (here.length === 0) throw new Refusal('NXDOMAIN', `${pre.name} has no records`);
      return;
    case 'name-absent':
      if (here.length > 0) throw new Refusal('YXDOMAIN', `${pre.name} has records`);
      return;
    case 'rrset-exists':
      if (!here.some((r) => r.type === pre.type))
        throw new Refusal('NXRRSET', `${pre.name} has no ${pre.type} records`);
      return;
    case 'rrset-absent':
      if (here.some((r) => r.type === pre.type))
        throw new Refusal('YXRRSET', `${pre.name} has ${pre.type} records`);
      return;
    case 'rrset-equals': {
      const have = new Set(
        here
          .filter((r) => r.type === pre.type)
          .map((r) => canonicalValue(r.type, r.value, r.priority)),
      );
      const want = new Set<string>();
      for (const rr of pre.records) {
        if (!isRecordType(rr.type) || rr.value === null)
          throw new Refusal('NXRRSET', `${pre.name} has no such ${pre.type} records`);
        want.add(canonicalValue(rr.type, normalizeValue(rr.type, rr.value), rr.priority));
      }
      if (have.size !== want.size || [...want].some((v) => !have.has(v)))
        throw new Refusal('NXRRSET', `${pre.name} ${pre.type} records differ`);
      return;
    }
  }
}
