import { describe, expect, it } from 'vitest';
import { labelNameGroups } from '../../src/domain/reconciler/desired-state.js';

const named = (entries: [string, string[]][]) =>
  new Map(entries.map(([label, names]) => [label, new Set(names)]));

describe('labelNameGroups (changed names → one query per group)', () => {
  it('covers every changed (label, name) pair, each label in exactly one group', () => {
    const input = named(
      Array.from({ length: 900 }, (_, i) => [`u${i}`, [`host${i}`, ...(i % 3 ? [] : ['www'])]]),
    );
    const groups = labelNameGroups(input);
    const seen = groups.flatMap((g) => g.labels);
    expect(seen).toEqual([...input.keys()]);
    for (const g of groups)
      for (const label of g.labels)
        for (const n of input.get(label)!) expect(g.names.has(n)).toBe(true);
  });

  it('keeps labels x names per query small, so the index is not probed for every combination', () => {
    const input = named(Array.from({ length: 900 }, (_, i) => [`u${i}`, [`host${i}`]]));
    const groups = labelNameGroups(input);
    expect(groups.length).toBeGreaterThan(1);
    for (const g of groups) expect(g.labels.length * g.names.size).toBeLessThanOrEqual(512);
  });

  it('puts many labels sharing a name in one group, and a label with many names alone', () => {
    const shared = labelNameGroups(
      named(Array.from({ length: 300 }, (_, i) => [`u${i}`, ['www']])),
    );
    expect(shared).toHaveLength(1);
    const big = labelNameGroups(
      named([
        ['alice', Array.from({ length: 2000 }, (_, i) => `n${i}`)],
        ['bob', ['www']],
      ]),
    );
    expect(big.map((g) => g.labels)).toEqual([['alice'], ['bob']]);
  });

  it('gives no groups for no changes', () => {
    expect(labelNameGroups(new Map())).toEqual([]);
  });
});
