/** Zone.patch: replacing parts of a zone in place gives the same zone as building it afresh. */
import { describe, expect, test } from 'vitest';
import { Zone, type ZoneRecord } from '../../src/adapters/dns/zone-responder.js';

const ORIGIN = 'example.test';
const zone = (records: ZoneRecord[], serial = 1) =>
  new Zone({ origin: ORIGIN, serial, nameservers: [`ns1.${ORIGIN}`], records });
const a = (name: string, value: string): ZoneRecord => ({ name, type: 'A', value });
const data = (x: unknown) => (x as { data: unknown }).data;

/** What the zone says about each name and type, in a comparable form. */
function view(z: Zone, names: string[]) {
  return names.flatMap((n) =>
    ['A', 'TXT', 'SOA'].map((t) => {
      const r = z.resolve(n, t);
      return `${n} ${t} ${r.rcode} ${r.negative} ${r.answers
        .map((x) => JSON.stringify(data(x)))
        .sort()
        .join(',')}`;
    }),
  );
}

const NAMES = [
  ORIGIN,
  `alice.${ORIGIN}`,
  `www.alice.${ORIGIN}`,
  `b.alice.${ORIGIN}`,
  `a.b.alice.${ORIGIN}`,
  `bob.${ORIGIN}`,
  `www.bob.${ORIGIN}`,
  `nothing.${ORIGIN}`,
];

describe('Zone.patch', () => {
  const start = [
    a(`www.alice.${ORIGIN}`, '192.0.2.1'),
    a(`a.b.alice.${ORIGIN}`, '192.0.2.2'),
    a(`www.bob.${ORIGIN}`, '192.0.2.3'),
    a(ORIGIN, '192.0.2.100'),
  ];

  test('replacing one name keeps its neighbours and drops empty non-terminals it leaves behind', () => {
    const z = zone(start);
    z.patch(2, [{ name: `a.b.alice.${ORIGIN}`, subtree: false }], []);
    const want = zone(
      start.filter((r) => r.name !== `a.b.alice.${ORIGIN}`),
      2,
    );
    expect(view(z, NAMES)).toEqual(view(want, NAMES));
    // b.alice had data only below it: it no longer exists at all (NXDOMAIN, not NODATA).
    expect(z.resolve(`b.alice.${ORIGIN}`, 'A').rcode).toBe(3);
    expect(z.resolve(`alice.${ORIGIN}`, 'A').rcode).toBe(0);
    expect(z.serial).toBe(2);
    expect((data(z.soa) as { serial: number }).serial).toBe(2);
  });

  test('replacing a subtree swaps everything under it and nothing else', () => {
    const z = zone(start);
    const fresh = [a(`new.alice.${ORIGIN}`, '192.0.2.9'), a(`www.alice.${ORIGIN}`, '192.0.2.8')];
    z.patch(3, [{ name: `alice.${ORIGIN}`, subtree: true }], fresh);
    const want = zone([a(`www.bob.${ORIGIN}`, '192.0.2.3'), a(ORIGIN, '192.0.2.100'), ...fresh], 3);
    const names = [...NAMES, `new.alice.${ORIGIN}`];
    expect(view(z, names)).toEqual(view(want, names));
  });

  test('records outside the replaced parts, and the apex, are left alone', () => {
    const z = zone(start);
    z.patch(
      4,
      [
        { name: `www.bob.${ORIGIN}`, subtree: false },
        { name: ORIGIN, subtree: true },
      ],
      [a(`www.bob.${ORIGIN}`, '192.0.2.33'), a(`www.alice.${ORIGIN}`, '192.0.2.77')],
    );
    expect(z.resolve(`www.bob.${ORIGIN}`, 'A').answers.map(data)).toEqual(['192.0.2.33']);
    // Not in a replaced part: not added.
    expect(z.resolve(`www.alice.${ORIGIN}`, 'A').answers.map(data)).toEqual(['192.0.2.1']);
    // The apex keeps its SOA, NS and data.
    expect(z.resolve(ORIGIN, 'A').answers.map(data)).toEqual(['192.0.2.100']);
    expect(z.resolve(ORIGIN, 'NS').answers).toHaveLength(1);
  });

  test('a name removed and added again in one patch, and patches in a row, match a fresh build', () => {
    const z = zone(start);
    z.patch(
      5,
      [{ name: `www.alice.${ORIGIN}`, subtree: false }],
      [a(`www.alice.${ORIGIN}`, '192.0.2.5')],
    );
    z.patch(6, [{ name: `bob.${ORIGIN}`, subtree: true }], []);
    z.patch(7, [{ name: `x.bob.${ORIGIN}`, subtree: false }], [a(`x.bob.${ORIGIN}`, '192.0.2.6')]);
    const want = zone(
      [
        a(`www.alice.${ORIGIN}`, '192.0.2.5'),
        a(`a.b.alice.${ORIGIN}`, '192.0.2.2'),
        a(ORIGIN, '192.0.2.100'),
        a(`x.bob.${ORIGIN}`, '192.0.2.6'),
      ],
      7,
    );
    const names = [...NAMES, `x.bob.${ORIGIN}`];
    expect(view(z, names)).toEqual(view(want, names));
  });
});

describe('Zone.resolve type names', () => {
  test('a type named like an Object.prototype member is NODATA, not a crash', () => {
    const z = zone([a(`www.alice.${ORIGIN}`, '192.0.2.1')]);
    for (const t of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const r = z.resolve(`www.alice.${ORIGIN}`, t);
      expect({ rcode: r.rcode, negative: r.negative, answers: r.answers }).toEqual({
        rcode: 0,
        negative: true,
        answers: [],
      });
    }
    expect(z.resolve(`www.alice.${ORIGIN}`, 'A').answers.map(data)).toEqual(['192.0.2.1']);
  });
});
