/**
 * This machine's speed changes from minute to minute (a shared 2-core VM: the same build measured
 * 840 and 1,500 requests/s an hour apart). Benchmarks print this fixed workload's time next to their
 * figures, so two runs can be compared: if it took 30% longer, expect figures about 30% lower.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

/** Median milliseconds of a fixed mix of string building, JSON, hashing and gzip (single thread). */
export function fixedWorkloadMs(): number {
  const rounds: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    for (let i = 0; i < 200; i++) {
      let html = '';
      for (let j = 0; j < 100; j++)
        html += `<tr id="r${j}"><td>${j * i}</td><td>${'x'.repeat(j % 17)}</td></tr>`;
      const json = JSON.parse(
        JSON.stringify({ html, i, list: Array.from({ length: 50 }, (_, k) => k) }),
      ) as {
        html: string;
      };
      createHash('sha256').update(json.html).digest('hex');
      gzipSync(json.html, { level: 1 });
    }
    rounds.push(performance.now() - t0);
  }
  rounds.sort((a, b) => a - b);
  return rounds[3]!;
}

export function printMachineSpeed(): void {
  console.log(
    `machine speed: the fixed workload (bench/support/calibrate.ts) took ${fixedWorkloadMs().toFixed(0)} ms (lower is faster; compare runs by it)`,
  );
}
