/** Record rules (original-behaviour §1.12 plus the new consistency rules), the Route53 codec and batching. */
import { describe, expect, test } from 'vitest';
import {
  decodeTxt,
  decodeTxtStrings,
  decodeValue,
  encodeTxt,
} from '../../src/adapters/dns/route53-values.js';
import {
  canonicalIPv6,
  checkRecordForm,
  consistencyProblem,
  emptyForm,
  isProfane,
  nameProblem,
  txtPresentationLength,
  valueProblem,
} from '../../src/domain/dns-records/rules.js';
import type { RecordInput } from '../../src/domain/dns-records/types.js';
import { buildDesiredState, ownerLabel } from '../../src/domain/reconciler/desired-state.js';
import {
  changeSize,
  diffRecordSets,
  groupByName,
  minimumRequests,
  packBatches,
} from '../../src/domain/reconciler/plan.js';
import type { RecordSetChange } from '../../src/ports/dns-provider.js';

describe('record names', () => {
  test.each(['osd700', 'osd-700', 'osd_700', '_osd700', 'ab', 'a1', 'x'.repeat(63)])(
    'valid: %s',
    (n) => {
      expect(nameProblem(n)).toBeNull();
    },
  );
  test.each([
    ['invalid__name', /two of - and _/],
    ['osd700.', /without dots/],
    ['osd..700', /without dots/],
    ['osd700.a2', /without dots/],
    ['-osd700', /start with a hyphen/],
    ['osd700-', /end with a letter or a number/],
    ['osd700_', /end with a letter or a number/],
    ['osd--700', /two of/],
    ['osd__700', /two of/],
    ['osd-_700', /two of/],
    ['osd@700', /not allowed/],
    ['damn', /not available/],
    ['my-damn-site', /not available/],
    ['Www', /lowercase/],
    ['a', /at least 2/],
    ['x'.repeat(64), /at most 63/],
    ['', /Enter a name/],
    [' www', /spaces/],
    ['_acme-challenge', /reserved/],
    ['ünï', /not allowed/],
  ])('invalid: %s', (n, why) => {
    expect(nameProblem(n)).toMatch(why);
  });
  test('profanity is whole-word, as the original', () => {
    expect(isProfane('damnit')).toBe(false);
    expect(isProfane('my_damn')).toBe(false);
    expect(nameProblem('damnit')).toBeNull();
  });
  test('blocked labels from the database are refused', () => {
    expect(nameProblem('admin', new Set(['admin']))).toMatch(/not available/);
  });
});

describe('record values', () => {
  test.each([
    ['A', '192.168.0.1'],
    ['A', '0.0.0.0'],
    ['AAAA', '2001:0db8:85a3:0000:0000:8a2e:0370:7334'],
    ['AAAA', 'a:b:c:d:e:f:0:1'],
    ['AAAA', '::1'],
    ['CNAME', 'proper-domain.com'],
    ['CNAME', 'test.domain.com'],
    ['MX', 'mail.example.com'],
    ['TXT', 'starchart'],
    // The longest plain text Route53 takes: 3953 characters + 16 pairs of quotes + 15 spaces = 4000.
    ['TXT', 'x'.repeat(3953)],
  ] as const)('valid %s %s', (type, v) => expect(valueProblem(type, v)).toBeNull());
  test.each([
    ['A', '192.168.0'],
    ['A', '192.168.0.'],
    ['A', 'a.b.c.d'],
    ['A', '256.1.1.1'],
    ['A', 'invalid'],
    ['AAAA', 'a:b:c:d:e:f:0:1:'],
    ['AAAA', 'g:b:c:d:e:f:0:1'],
    ['AAAA', 'fe80::1%eth0'],
    ['AAAA', 'invalid'],
    ['CNAME', ''],
    ['CNAME', '192.168.1.1'],
    ['CNAME', '::1'],
    ['CNAME', 'improper-domain'],
    ['CNAME', 'improper_domain.com'],
    ['CNAME', 'https://example.com'],
    ['CNAME', 'example.com/path'],
    ['CNAME', 'example.com.'],
    ['CNAME', 'example.123'],
    ['CNAME', '-bad.example.com'],
    ['MX', ''],
    ['MX', '10.0.0.1'],
    ['MX', 'improper_domain.com'],
    ['TXT', ''],
    ['TXT', 'x'.repeat(4001)],
    // Under 4000 characters of text, over Route53's 4000 once written as DNS strings (it refused them).
    ['TXT', 'x'.repeat(3954)],
    ['TXT', 'x'.repeat(4000)],
    ['TXT', 'a '.repeat(900)],
    ['TXT', 'é'.repeat(600)],
  ] as const)('invalid %s %j', (type, v) =>
    expect(valueProblem(type, v)).toEqual(expect.any(String)),
  );
  test('a TXT value too long as written for DNS says so, with its size', () => {
    expect(valueProblem('TXT', 'a '.repeat(900))).toBe(
      'This text is too long for DNS: written out as DNS text strings it takes 4523 of the 4000 characters allowed (spaces, quotes, backslashes and non-ASCII characters take several each).',
    );
  });
  test('host messages say what to fix', () => {
    expect(valueProblem('CNAME', 'https://example.com')).toMatch(/without http/);
    expect(valueProblem('CNAME', 'example.com.')).toMatch(/dot at the end/);
    expect(valueProblem('CNAME', '192.0.2.1')).toMatch(/not an IP address/);
  });
});

describe('the whole form', () => {
  const form = (o: Partial<ReturnType<typeof emptyForm>>) => ({ ...emptyForm(), ...o });
  test('MX priority defaults to 10, accepts 0-65535', () => {
    const ok = checkRecordForm(form({ subdomain: 'mail', type: 'MX', value: 'Mail.Example.com' }));
    expect(ok.ok && ok.input).toMatchObject({ priority: 10, value: 'mail.example.com' });
    const p = checkRecordForm(
      form({ subdomain: 'mail', type: 'MX', value: 'mx.example.com', priority: '0' }),
    );
    expect(p.ok && p.input.priority).toBe(0);
    const bad = checkRecordForm(
      form({ subdomain: 'mail', type: 'MX', value: 'mx.example.com', priority: '70000' }),
    );
    expect(!bad.ok && bad.errors.priority).toMatch(/0 to 65535/);
  });
  test('ports, course, description limits', () => {
    const ok = checkRecordForm(
      form({ subdomain: 'www', type: 'A', value: '192.0.2.1', ports: '8080, 1234,8080' }),
    );
    expect(ok.ok && ok.input.ports).toBe('8080, 1234');
    const bad = checkRecordForm(
      form({
        subdomain: 'www',
        type: 'A',
        value: '192.0.2.1',
        ports: '80,x',
        course: 'c'.repeat(65),
        description: 'd'.repeat(1001),
      }),
    );
    expect(!bad.ok && Object.keys(bad.errors).sort()).toEqual(['course', 'description', 'ports']);
  });
  test('empty form: every required field has its own message (type does not hide the rest)', () => {
    const r = checkRecordForm(emptyForm());
    expect(!r.ok && Object.keys(r.errors).sort()).toEqual(['subdomain', 'type', 'value']);
  });
  test('a missing type still reports name problems', () => {
    const r = checkRecordForm(form({ subdomain: '-x', value: '1.2.3.4' }));
    expect(!r.ok && r.errors.subdomain).toBeTruthy();
  });
});

describe('consistency', () => {
  const input = (o: Partial<RecordInput>): RecordInput => ({
    subdomain: 'www',
    type: 'A',
    value: '192.0.2.1',
    priority: null,
    ports: null,
    course: null,
    description: null,
    ...o,
  });
  const existing = [
    { id: 1, subdomain: 'www', type: 'A' as const, value: '192.0.2.1', priority: null },
  ];
  test('CNAME cannot share its name', () => {
    expect(
      consistencyProblem(input({ type: 'CNAME', value: 'example.com' }), existing)?.subdomain,
    ).toMatch(/only record/);
    expect(
      consistencyProblem(input({ type: 'TXT', value: 'x' }), [
        { id: 2, subdomain: 'www', type: 'CNAME', value: 'a.com', priority: null },
      ])?.subdomain,
    ).toMatch(/already has a CNAME/);
    expect(
      consistencyProblem(
        input({ subdomain: 'api', type: 'CNAME', value: 'example.com' }),
        existing,
      ),
    ).toBeNull();
  });
  test('no duplicate identical values (IPv6 and MX compared canonically)', () => {
    expect(consistencyProblem(input({}), existing)?.value).toMatch(/exact A record/);
    expect(consistencyProblem(input({ value: '192.0.2.2' }), existing)).toBeNull();
    const v6 = [
      { id: 3, subdomain: 'www', type: 'AAAA' as const, value: '2001:db8::1', priority: null },
    ];
    expect(
      consistencyProblem(input({ type: 'AAAA', value: '2001:0DB8:0:0::1' }), v6)?.value,
    ).toBeTruthy();
    const mx = [
      { id: 4, subdomain: 'www', type: 'MX' as const, value: 'mx.example.com', priority: 10 },
    ];
    expect(
      consistencyProblem(input({ type: 'MX', value: 'mx.example.com', priority: 10 }), mx),
    ).not.toBeNull();
    expect(
      consistencyProblem(input({ type: 'MX', value: 'mx.example.com', priority: 20 }), mx),
    ).toBeNull();
  });
  test('canonical IPv6', () => {
    expect(canonicalIPv6('2001:db8::1')).toBe('2001:0db8:0000:0000:0000:0000:0000:0001');
    expect(canonicalIPv6('::ffff:192.0.2.1')).toBe('0000:0000:0000:0000:0000:ffff:c000:0201');
  });
});

describe('Route53 value encoding', () => {
  test('TXT: quoting, escaping, 255-byte strings, round trip', () => {
    expect(encodeTxt('abc')).toBe('"abc"');
    expect(encodeTxt('a b"c\\d')).toBe('"a\\040b\\"c\\\\d"');
    const long = 'x'.repeat(1000);
    expect(decodeTxtStrings(encodeTxt(long)).map((b) => b.length)).toEqual([255, 255, 255, 235]);
    for (const v of [long, 'ünïcode ✓', 'say "hi"', 'tab\there'])
      expect(decodeTxt(encodeTxt(v))).toBe(v);
  });
  test('the record rules measure TXT values exactly as they are encoded for Route53', () => {
    const samples = [
      'a',
      'x'.repeat(255),
      'x'.repeat(256),
      'x'.repeat(3953),
      'a b"c\\d',
      'ünïcode ✓ '.repeat(40),
      'tab\there\nnewline',
      String.fromCharCode(...Array.from({ length: 128 }, (_, i) => i)).repeat(5),
    ];
    for (const v of samples)
      expect(txtPresentationLength(v), v.slice(0, 20)).toBe(encodeTxt(v).length);
  });
  test('MX keeps priority; AAAA and CNAME canonical', () => {
    expect(decodeValue('MX', '10 Mail.Example.com.')).toBe('10 mail.example.com');
    expect(decodeValue('CNAME', 'Example.com.')).toBe('example.com');
    expect(decodeValue('AAAA', '2001:db8::1')).toBe(canonicalIPv6('2001:db8::1'));
  });
});

describe('ownership and planning', () => {
  test('only {x}.{label}.{root} names have an owner label', () => {
    expect(ownerLabel('www.alice.starchart.test', 'starchart.test')).toBe('alice');
    expect(ownerLabel('_acme-challenge.alice.starchart.test.', 'starchart.test')).toBe('alice');
    expect(ownerLabel('starchart.test', 'starchart.test')).toBeNull();
    expect(ownerLabel('www.starchart.test', 'starchart.test')).toBeNull();
    expect(ownerLabel('a.b.c.starchart.test', 'starchart.test')).toBeNull();
    expect(ownerLabel('www.alice.example.com', 'starchart.test')).toBeNull();
  });
  test('diff: create, upsert, delete, in sync; deletes first', () => {
    const desired = buildDesiredState(
      'r.test',
      [
        {
          id: 1,
          label: 'a',
          subdomain: 'new',
          type: 'A',
          value: '192.0.2.1',
          priority: null,
          status: 'pending',
          status_at: null,
          updated_at: 1,
          change_id: null,
        },
        {
          id: 2,
          label: 'a',
          subdomain: 'same',
          type: 'A',
          value: '192.0.2.2',
          priority: null,
          status: 'pending',
          status_at: null,
          updated_at: 1,
          change_id: null,
        },
        {
          id: 3,
          label: 'a',
          subdomain: 'chg',
          type: 'A',
          value: '192.0.2.3',
          priority: null,
          status: 'live',
          status_at: null,
          updated_at: 1,
          change_id: null,
        },
      ],
      [],
    );
    const d = diffRecordSets(desired, [
      { name: 'same.a.r.test', type: 'A', ttl: 300, values: ['192.0.2.2'] },
      { name: 'chg.a.r.test', type: 'A', ttl: 300, values: ['192.0.2.99'] },
      { name: 'old.a.r.test', type: 'A', ttl: 300, values: ['192.0.2.4'] },
    ]);
    expect(d.changes.map((c) => `${c.action} ${c.set.name}`)).toEqual([
      'DELETE old.a.r.test',
      'CREATE new.a.r.test',
      'UPSERT chg.a.r.test',
    ]);
    expect(d.inSync.map((s) => s.name)).toEqual(['same.a.r.test']);
    expect(d.inSync[0]!.staleRecordIds).toEqual([2]);
  });
  test('packing: UPSERT counts twice, names stay together, minimum computed', () => {
    const size = changeSize((_t, v) => v.length);
    const mk = (action: RecordSetChange['action'], name: string, n: number): RecordSetChange => ({
      action,
      set: {
        name,
        type: 'A',
        ttl: 300,
        values: Array.from({ length: n }, (_, i) => `10.0.0.${i}`),
      },
    });
    const changes = [
      mk('UPSERT', 'a', 300),
      mk('CREATE', 'b', 300),
      mk('DELETE', 'c', 300),
      mk('CREATE', 'c', 100),
    ];
    const limits = { maxRecords: 1000, maxValueChars: 1_000_000, maxChanges: 1000 };
    const batches = packBatches(groupByName(changes), limits, size);
    expect(
      batches.map((b) =>
        b
          .flat()
          .map((c) => c.set.name)
          .join(''),
      ),
    ).toEqual(['ab', 'cc']);
    expect(batches[1]![0]!.map((c) => c.action)).toEqual(['DELETE', 'CREATE']);
    expect(minimumRequests(changes, limits, size)).toBe(2);
  });
});
