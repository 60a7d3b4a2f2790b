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
  it('spaces requests 1/rate apart, the first at once', async () => {
    const p = paced(5);
    const times: number[] = [];
    for (let i = 0; i < 4; i++) times.push(await p.grant());
    expect(times).toEqual([1000, 1200, 1400, 1600]);
  });

  it('grants callers asking at the same moment distinct slots, in the order they asked', async () => {
    const sleeps: number[] = [];
    const granted: number[] = [];
    const wake: Array<() => void> = [];
    const pacer = new RequestPacer(
      4,
      () => 0, // the clock stands still while all three ask
      (ms) => new Promise<void>((r) => (sleeps.push(ms), wake.push(r))),
    );
    const all = Promise.all([0, 1, 2].map(async (i) => (await pacer.slot(), granted.push(i))));
    await Promise.resolve();
    expect(sleeps).toEqual([250, 500]);
    for (const w of wake) w();
    await all;
    expect(granted).toEqual([0, 1, 2]);
  });

  it('does not save up slots while idle', async () => {
    const p = paced(5);
    await p.grant();
    p.advance(10_000);
    const a = await p.grant();
    const b = await p.grant();
    expect(b - a).toBe(200);
  });

  it('never waits at 0 requests per second', async () => {
    const p = paced(0);
    for (let i = 0; i < 10; i++) await p.grant();
    expect(p.sleeps).toEqual([]);
  });
});
