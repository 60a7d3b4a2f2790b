/**
 * A short summary of a V8 .heapsnapshot: self size grouped by node type and constructor name, and the
 * largest single objects with the edge that holds them (parent name and property), to see what an idle
 * process keeps in memory.
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export function summarizeHeapSnapshot(file: string, top = 15): string[] {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const nf = s.snapshot.meta.node_fields;
  const ef = s.snapshot.meta.edge_fields;
  const N = nf.length;
  const E = ef.length;
  const types = s.snapshot.meta.node_types[0];
  const edgeTypes = s.snapshot.meta.edge_types[0];
  const iType = nf.indexOf('type');
  const iName = nf.indexOf('name');
  const iSize = nf.indexOf('self_size');
  const iEdges = nf.indexOf('edge_count');
  const eType = ef.indexOf('type');
  const eName = ef.indexOf('name_or_index');
  const eTo = ef.indexOf('to_node');
  const nodes = s.nodes;
  const count = nodes.length / N;
  const label = (n: number) => {
    const type = types[nodes[n * N + iType]!]!;
    const name = s.strings[nodes[n * N + iName]!]!;
    if (type === 'object' || type === 'closure' || type === 'native') return `${type} ${name}`;
    return `(${type})`;
  };
  const groups = new Map<string, { size: number; count: number }>();
  let total = 0;
  for (let n = 0; n < count; n++) {
    const size = nodes[n * N + iSize]!;
    total += size;
    const g = groups.get(label(n)) ?? { size: 0, count: 0 };
    g.size += size;
    g.count++;
    groups.set(label(n), g);
  }
  // The largest single nodes, and one edge that retains each.
  const biggest = Array.from({ length: count }, (_, n) => n)
    .sort((a, b) => nodes[b * N + iSize]! - nodes[a * N + iSize]!)
    .slice(0, top);
  const wanted = new Set(biggest.map((n) => n * N));
  const holder = new Map<number, string>();
  let edge = 0;
  for (let n = 0; n < count; n++) {
    const edges = nodes[n * N + iEdges]!;
    for (let k = 0; k < edges; k++, edge++) {
      const to = s.edges[edge * E + eTo]!;
      if (!wanted.has(to) || holder.has(to)) continue;
      const et = edgeTypes[s.edges[edge * E + eType]!]!;
      if (et === 'weak') continue;
      const nameOrIndex = s.edges[edge * E + eName]!;
      const prop =
        et === 'element' || et === 'hidden' ? `[${nameOrIndex}]` : s.strings[nameOrIndex];
      holder.set(to, `${label(n)}.${prop}`);
    }
  }
  const mb = (b: number) => `${(b / 1048576).toFixed(2)} MB`;
  const lines = [`JS heap in snapshot: ${mb(total)} in ${count} nodes; by type/constructor:`];
  for (const [name, g] of [...groups].sort((a, b) => b[1].size - a[1].size).slice(0, top))
    lines.push(`  ${mb(g.size).padStart(9)}  ${String(g.count).padStart(8)} × ${name}`);
  lines.push('largest single objects (held by):');
  for (const n of biggest) {
    const str =
      types[nodes[n * N + iType]!] === 'string'
        ? ` "${s.strings[nodes[n * N + iName]!]!.slice(0, 60).replace(/\s+/g, ' ')}…"`
        : '';
    lines.push(
      `  ${mb(nodes[n * N + iSize]!).padStart(9)}  ${label(n)}${str}  ← ${holder.get(n * N) ?? '?'}`,
    );
  }
  return lines;
}
