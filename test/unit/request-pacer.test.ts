import { describe, expect, it } from 'vitest';
import { RequestPacer } from '../../src/adapters/dns/route53.js';

/** A pacer on a fake clock: sleeping advances the clock; returns when each slot was granted. */
function paced(perSecond: number) {
  let now = 1000;
  const sleeps: number[] = [];
  const pacer = new RequestPacer(
    perSecond,
    () => now,
    async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  );
  const grant = async () => {
    await pacer.slot();
    return now;
  };
  return { pacer, grant, sleeps, advance: (ms: number) => (now += ms) };
}

describe('RequestPacer (Route53 request pace)', () => {
  it('lets a second’s worth go at once, then waits for the window (plus 25 ms) to move on', async () => {
    const p = paced(5);
    const times: number[] = [];
    for (let i = 0; i < 11; i++) times.push(await p.grant());
    expect(times).toEqual([1000, 1000, 1000, 1000, 1000, 2025, 2025, 2025, 2025, 2025, 3050]);
  });

  it('never sends more than the rate allows in any second', async () => {
    const p = paced(5);
    const times: number[] = [];
    for (let i = 0; i < 50; i++) times.push(await p.grant());
    for (const t of times)
      expect(times.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(5);
  });

  it('grants callers asking at the same moment distinct slots past the burst, in the order they asked', async () => {
    const sleeps: number[] = [];
    const granted: number[] = [];
    const wake: Array<() => void> = [];
    const pacer = new RequestPacer(
      2,
      () => 0, // the clock stands still while all five ask
      (ms) => new Promise<void>((r) => (sleeps.push(ms), wake.push(r))),
    );
    const all = Promise.all(
      [0, 1, 2, 3, 4].map(async (i) => (await pacer.slot(), granted.push(i))),
    );
    await Promise.resolve();
    expect(sleeps).toEqual([1025, 1025, 2050]);
    for (const w of wake) w();
    await all;
    expect(granted).toEqual([0, 1, 2, 3, 4]);
  });

  it('saves up no more than a second’s worth while idle', async () => {
    const p = paced(5);
    for (let i = 0; i < 6; i++) await p.grant();
    p.advance(10_000);
    const times: number[] = [];
    for (let i = 0; i < 6; i++) times.push(await p.grant());
    expect(times.map((t) => t - times[0]!)).toEqual([0, 0, 0, 0, 0, 1025]);
  });

  it('never waits at 0 requests per second', async () => {
    const p = paced(0);
    for (let i = 0; i < 10; i++) await p.grant();
    expect(p.sleeps).toEqual([]);
  });
});
