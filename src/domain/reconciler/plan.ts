/**
 * Pure planning: the difference between desired and published record sets, and packing of changes
 * into provider batches that respect the request limits (ResourceRecord elements, value characters,
 * change count; UPSERT counts twice). Changes for one name always travel together (a CNAME replacing
 * an A must be in the same atomic batch as the A's deletion).
 */
import type { BatchLimits, RecordSet, RecordSetChange } from '../../ports/dns-provider.js';
import { type DesiredSet, setKey } from './desired-state.js';

export interface PlannedChange extends RecordSetChange {
  /** Desired set this change serves (absent for deletions of sets nobody wants any more). */
  desired: DesiredSet | null;
}

const sameValues = (a: readonly string[], b: readonly string[]) => {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((v) => s.has(v)) && s.size === new Set(b).size;
};

export interface Diff {
  changes: PlannedChange[];
  /** Desired sets already published exactly as wanted. */
  inSync: DesiredSet[];
  /** Desired sets skipped because they failed before and nothing changed since. */
  skippedBad: DesiredSet[];
}

/**
 * Changes that make `actual` (only names the reconciler owns) equal `desired`. Deletions come before
 * creations so a name can change type within one batch.
 */
export function diffRecordSets(
  desired: Map<string, DesiredSet>,
  actual: readonly RecordSet[],
): Diff {
  const published = new Map(actual.map((s) => [setKey(s.name, s.type), s]));
  const deletes: PlannedChange[] = [];
  const writes: PlannedChange[] = [];
  const inSync: DesiredSet[] = [];
  const skippedBad: DesiredSet[] = [];
  for (const [key, cur] of published) {
    if (!desired.has(key)) deletes.push({ action: 'DELETE', set: cur, desired: null });
  }
  for (const [key, want] of desired) {
    const cur = published.get(key);
    const set: RecordSet = { name: want.name, type: want.type, ttl: want.ttl, values: want.values };
    if (cur && cur.ttl === want.ttl && sameValues(cur.values, want.values)) {
      inSync.push(want);
      continue;
    }
    if (want.knownBad) {
      skippedBad.push(want);
      continue;
    }
    writes.push({ action: cur ? 'UPSERT' : 'CREATE', set, desired: want });
  }
  return { changes: [...deletes, ...writes], inSync, skippedBad };
}

export type SizeOf = (change: RecordSetChange) => { records: number; chars: number };

/** Size of one change against the limits; UPSERT counts twice. */
export function changeSize(
  encodedLength: (type: RecordSet['type'], value: string) => number,
): SizeOf {
  return (c) => {
    const factor = c.action === 'UPSERT' ? 2 : 1;
    let chars = 0;
    for (const v of c.set.values) chars += encodedLength(c.set.type, v);
    return { records: c.set.values.length * factor, chars: chars * factor };
  };
}

/** Group changes by owner name, keeping deletions before writes inside a group. */
export function groupByName<T extends RecordSetChange>(changes: readonly T[]): T[][] {
  const groups = new Map<string, T[]>();
  for (const c of changes) {
    const g = groups.get(c.set.name) ?? [];
    g.push(c);
    groups.set(c.set.name, g);
  }
  return [...groups.values()].map((g) =>
    g.sort((a, b) => (a.action === 'DELETE' ? 0 : 1) - (b.action === 'DELETE' ? 0 : 1)),
  );
}

/**
 * Pack name groups into as few batches as the limits allow (in order). Each batch is a list of name
 * groups. A group larger than one request on its own becomes its own batch (the provider rejects it
 * and the reconciler reports it).
 */
export function packBatches<T extends RecordSetChange>(
  groups: readonly T[][],
  limits: BatchLimits,
  sizeOf: SizeOf,
): T[][][] {
  const batches: T[][][] = [];
  let cur: T[][] = [];
  let count = 0;
  let records = 0;
  let chars = 0;
  for (const g of groups) {
    let gr = 0;
    let gc = 0;
    for (const c of g) {
      const s = sizeOf(c);
      gr += s.records;
      gc += s.chars;
    }
    if (
      cur.length > 0 &&
      (records + gr > limits.maxRecords ||
        chars + gc > limits.maxValueChars ||
        count + g.length > limits.maxChanges)
    ) {
      batches.push(cur);
      cur = [];
      count = 0;
      records = 0;
      chars = 0;
    }
    cur.push(g);
    count += g.length;
    records += gr;
    chars += gc;
  }
  if (cur.length > 0) batches.push(cur);
  return batches;
}

/** The fewest requests the limits allow for these changes (for reporting efficiency). */
export function minimumRequests(
  changes: readonly RecordSetChange[],
  limits: BatchLimits,
  sizeOf: SizeOf,
): number {
  let records = 0;
  let chars = 0;
  for (const c of changes) {
    const s = sizeOf(c);
    records += s.records;
    chars += s.chars;
  }
  return Math.max(
    Math.ceil(records / limits.maxRecords),
    Math.ceil(chars / limits.maxValueChars),
    Math.ceil(changes.length / limits.maxChanges),
  );
}
