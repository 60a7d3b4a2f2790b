/**
 * The desired state of the zone, computed from the database: every user record at
 * `{subdomain}.{label}.{root}` and every ACME challenge value at `_acme-challenge.{label}.{root}`,
 * grouped into record sets in canonical value form.
 */
import type { Db } from '../../db/client.js';
import {
  type ChallengeRow,
  type DesiredRecordRow,
  findChallengeRows,
  findDesiredRecords,
  findDnsSerial,
  findOwnedLabels,
  findZoneChangesSince,
} from '../../db/repos/dns-sync.js';
import { canonicalValue } from '../dns-records/rules.js';
import {
  ACME_CHALLENGE_LABEL,
  RECORD_TTL,
  type RecordType,
  isRecordType,
} from '../dns-records/types.js';

export interface DesiredSet {
  name: string;
  type: RecordType;
  ttl: number;
  values: string[];
  label: string;
  recordIds: number[];
  challengeIds: number[];
  /** True when every row of the set failed at the provider and none changed since: do not retry blindly. */
  knownBad: boolean;
  errorMessage: string | null;
  /** Rows not shown as live and with no provider change in flight (made live when the set is in sync). */
  staleRecordIds: number[];
  staleChallengeIds: number[];
}

export const setKey = (name: string, type: string) => `${name}|${type}`;

/**
 * The user label a name belongs to when it is `{one label}.{label}.{root}` or an ACME challenge name
 * under one of the user's names (`_acme-challenge.{one label}.{label}.{root}`); null otherwise.
 */
export function ownerLabel(name: string, root: string): string | null {
  const n = name.toLowerCase().replace(/\.$/, '');
  if (!n.endsWith(`.${root}`)) return null;
  const rest = n.slice(0, -(root.length + 1)).split('.');
  if (rest.some((l) => l === '')) return null;
  if (rest.length === 2) return rest[1]!;
  if (rest.length === 3 && rest[0] === ACME_CHALLENGE_LABEL) return rest[2]!;
  return null;
}

/**
 * The zone-change name of a challenge name: its labels under the user's label (`_acme-challenge` or
 * `_acme-challenge.www`); null when it is not a challenge name under `label`.
 */
export function challengeChangeName(name: string, label: string, root: string): string | null {
  const n = name.toLowerCase().replace(/\.$/, '');
  const suffix = `.${label}.${root}`;
  if (!n.endsWith(suffix) || ownerLabel(n, root) !== label) return null;
  const rel = n.slice(0, -suffix.length);
  return rel === ACME_CHALLENGE_LABEL || rel.startsWith(`${ACME_CHALLENGE_LABEL}.`) ? rel : null;
}

/**
 * Desired record sets for these labels (null = the whole zone). Duplicate values collapse (the rules
 * prevent them; old data might not). Sets are keyed by setKey(name, type).
 */
export async function loadDesiredState(
  db: Db,
  root: string,
  labels: readonly string[] | null,
): Promise<Map<string, DesiredSet>> {
  const [records, challenges] = await Promise.all([
    findDesiredRecords(db, labels),
    findChallengeRows(db, null, labels),
  ]);
  return buildDesiredState(root, records, challenges);
}

export function buildDesiredState(
  root: string,
  records: readonly DesiredRecordRow[],
  challenges: readonly ChallengeRow[],
): Map<string, DesiredSet> {
  const sets = new Map<string, DesiredSet & { bad: boolean[] }>();
  const add = (
    name: string,
    type: RecordType,
    label: string,
    value: string,
    ref: { record?: number; challenge?: number },
    bad: boolean,
    message: string | null,
    stale: boolean,
  ) => {
    const key = setKey(name, type);
    let s = sets.get(key);
    if (!s) {
      s = {
        name,
        type,
        ttl: RECORD_TTL,
        values: [],
        label,
        recordIds: [],
        challengeIds: [],
        knownBad: false,
        errorMessage: null,
        staleRecordIds: [],
        staleChallengeIds: [],
        bad: [],
      };
      sets.set(key, s);
    }
    if (!s.values.includes(value)) s.values.push(value);
    if (ref.record !== undefined) s.recordIds.push(ref.record);
    if (ref.challenge !== undefined) s.challengeIds.push(ref.challenge);
    if (stale && ref.record !== undefined) s.staleRecordIds.push(ref.record);
    if (stale && ref.challenge !== undefined) s.staleChallengeIds.push(ref.challenge);
    s.bad.push(bad);
    if (bad && message) s.errorMessage = message;
  };
  for (const r of records) {
    if (!isRecordType(r.type)) continue;
    const name = `${r.subdomain}.${r.label}.${root}`.toLowerCase();
    const bad = r.status === 'error' && r.status_at !== null && r.updated_at <= r.status_at;
    const stale = r.status !== 'live' && (r.change_id === null || r.status === 'error');
    add(
      name,
      r.type,
      r.label,
      canonicalValue(r.type, r.value, r.priority),
      { record: r.id },
      bad,
      null,
      stale,
    );
  }
  for (const c of challenges) {
    const name = c.name.toLowerCase().replace(/\.$/, '');
    const label = ownerLabel(name, root);
    if (!label || !challengeChangeName(name, label, root)) continue;
    const bad = c.status === 'error' && c.status_at !== null && c.created_at <= c.status_at;
    const stale = c.status !== 'live' && (c.change_id === null || c.status === 'error');
    add(name, 'TXT', label, c.value, { challenge: c.id }, bad, null, stale);
  }
  const out = new Map<string, DesiredSet>();
  for (const [k, s] of sets) {
    const { bad, ...rest } = s;
    out.set(k, { ...rest, knownBad: bad.length > 0 && bad.every(Boolean) });
  }
  return out;
}

type FlatRecord = { name: string; type: RecordType; value: string };

function flatten(sets: Map<string, DesiredSet>): FlatRecord[] {
  const records: FlatRecord[] = [];
  for (const s of sets.values())
    for (const value of s.values) records.push({ name: s.name, type: s.type, value });
  return records;
}

/** Labels per query of a whole-zone load (bounds the rows and sets held at once, see 0028). */
export const ZONE_LOAD_CHUNK_LABELS = 250;

/**
 * Every record of the zone as flat (name, type, value) rows, with the serial read first (so a change
 * committed while the chunks load is in a later patch). Loaded in chunks of labels: only the flat rows
 * of the whole zone are held, never its database rows and record sets at once.
 */
export async function loadZoneRecords(
  db: Db,
  root: string,
  readSerial: () => Promise<number>,
): Promise<{ serial: number; records: FlatRecord[] }> {
  const serial = await readSerial();
  const labels = [...(await findOwnedLabels(db))];
  const records: FlatRecord[] = [];
  for (let i = 0; i < labels.length; i += ZONE_LOAD_CHUNK_LABELS) {
    const chunk = labels.slice(i, i + ZONE_LOAD_CHUNK_LABELS);
    for (const r of flatten(await loadDesiredState(db, root, chunk))) records.push(r);
  }
  return { serial, records };
}

/** A part of the zone to replace: the records at `name`, and with `subtree` also every name below it. */
export interface ZoneScope {
  name: string;
  subtree: boolean;
}

/** A zone update: the serial it brings the zone to, the parts replaced and every record now in them. */
export interface ZonePatch<R = FlatRecord> {
  serial: number;
  scopes: ZoneScope[];
  records: R[];
}

/** Beyond this many changed names a whole-zone load is as cheap as loading them one by one. */
export const MAX_ZONE_CHANGES = 5000;

/**
 * A query for "labels IN (…) AND subdomain IN (…)" probes the (user, subdomain) index once per label x
 * name: 900 changed names under 900 labels made 810,000 probes and stalled the server for 80 ms. Groups
 * of labels whose product stays under this bound make the same lookup a few milliseconds.
 */
const MAX_PROBES_PER_QUERY = 512;

/** Split changed names by label into groups for one query each (see MAX_PROBES_PER_QUERY). */
export function labelNameGroups(
  named: ReadonlyMap<string, ReadonlySet<string>>,
): { labels: string[]; names: Set<string> }[] {
  const groups: { labels: string[]; names: Set<string> }[] = [];
  let group: { labels: string[]; names: Set<string> } | null = null;
  for (const [label, names] of named) {
    if (group) {
      const merged = new Set([...group.names, ...names]);
      if ((group.labels.length + 1) * merged.size <= MAX_PROBES_PER_QUERY) {
        group.labels.push(label);
        group.names = merged;
        continue;
      }
    }
    group = { labels: [label], names: new Set(names) };
    groups.push(group);
  }
  return groups;
}

/**
 * What changed in the zone after serial `since`: the current serial, the parts of the zone that
 * changed and every record now in those parts. Null when only a whole-zone load can tell (the change
 * log was pruned past `since`, the serial went backwards after a wipe, or too much changed).
 */
export async function loadZoneChanges(
  db: Db,
  root: string,
  since: number,
): Promise<ZonePatch | null> {
  const { serial, changes } = await findZoneChangesSince(db, since);
  if (!changes || changes.length > MAX_ZONE_CHANGES) return null;
  if (changes.length === 0) return { serial, scopes: [], records: [] };
  const whole = new Set(changes.filter((c) => c.name === null).map((c) => c.label));
  const named = new Map<string, Set<string>>();
  for (const c of changes) {
    if (c.name === null || whole.has(c.label)) continue;
    const names = named.get(c.label) ?? new Set<string>();
    names.add(c.name.toLowerCase());
    named.set(c.label, names);
  }
  const scopes: ZoneScope[] = [...whole].map((l) => ({ name: `${l}.${root}`, subtree: true }));
  for (const [label, names] of named)
    for (const n of names) scopes.push({ name: `${n}.${label}.${root}`, subtree: false });

  // Challenge names are `_acme-challenge` or `_acme-challenge.{subdomain}` under the label.
  const isChallenge = (n: string) =>
    n === ACME_CHALLENGE_LABEL || n.startsWith(`${ACME_CHALLENGE_LABEL}.`);
  const challengeNames = [...named].flatMap(([l, names]) =>
    [...names].filter(isChallenge).map((n) => `${n}.${l}.${root}`),
  );
  const [wholeRecords, namedRecords, challenges] = await Promise.all([
    findDesiredRecords(db, [...whole]),
    Promise.all(labelNameGroups(named).map((g) => findDesiredRecords(db, g.labels, [...g.names]))),
    findChallengeRows(db, challengeNames, [...whole]),
  ]);
  // The name filter is per label x name: keep only the pairs that changed.
  const records = [
    ...wholeRecords,
    ...namedRecords.flat().filter((r) => named.get(r.label)?.has(r.subdomain.toLowerCase())),
  ];
  return { serial, scopes, records: flatten(buildDesiredState(root, records, challenges)) };
}

/** The zone as the database holds it, in the shape the built-in DNS server reads (its ZoneSource). */
export function databaseZoneSource(db: Db, root: string) {
  return {
    serial: () => findDnsSerial(db),
    load: () => loadZoneRecords(db, root, () => findDnsSerial(db)),
    changesSince: (since: number) => loadZoneChanges(db, root, since),
  };
}
