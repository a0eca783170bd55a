import { isIPv6 } from 'node:net';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import semver from 'semver';
import { compareSemver, parseCidr, parseIsoInstant, parseSemver } from '../../../shared/rules';
import type { Clause, Condition } from '../../../shared/rules';
import { parseIPv6 } from '../../../shared/rules/cidr';
import { compareSemverText } from '../../../shared/rules/semver';
import { clauseMatcher } from './support';

type Case = [context: unknown, expected: boolean];

/** Runs each [context, expected] pair through a one-clause flag. */
function check(clause: Condition, cases: Case[]): void {
  const matches = clauseMatcher(clause);
  for (const [context, expected] of cases) {
    expect({ context, matched: matches(context) }).toEqual({ context, matched: expected });
  }
}

/** Behaviour shared by every operator that reads an attribute: missing, null and non-objects never match. */
const MISSING: Case[] = [
  [{}, false],
  [{ a: null }, false],
  [{ a: undefined }, false],
  [null, false],
  ['a string context', false],
  [[{ a: 'x' }], false],
];

describe('equality operators', () => {
  it('eq: strict equality, any element of an array', () => {
    check({ attribute: 'a', op: 'eq', values: ['x'] }, [
      ...MISSING,
      [{ a: 'x' }, true],
      [{ a: 'y' }, false],
      [{ a: 'X' }, false],
      [{ a: ['y', 'x'] }, true],
      [{ a: ['y'] }, false],
      [{ a: [] }, false],
      [{ a: { x: 1 } }, false],
      [{ a: 0 }, false],
    ]);
    check({ attribute: 'n', op: 'eq', values: [1] }, [
      [{ n: 1 }, true],
      [{ n: '1' }, false],
      [{ n: true }, false],
    ]);
    check({ attribute: 'b', op: 'eq', values: [false] }, [
      [{ b: false }, true],
      [{ b: 0 }, false],
      [{ b: 'false' }, false],
    ]);
  });

  it('eq: caseInsensitive folds strings only', () => {
    check({ attribute: 'a', op: 'eq', values: ['Straße', 7], caseInsensitive: true }, [
      [{ a: 'STRASSE' }, false], // lower-casing, not full case folding
      [{ a: 'straße' }, true],
      [{ a: 'STRAßE' }, true],
      [{ a: 7 }, true],
      [{ a: ['x', 'StRaßE'] }, true],
    ]);
  });

  it('neq: negation of eq, false when missing or of no comparable type', () => {
    check({ attribute: 'a', op: 'neq', values: ['x'] }, [
      ...MISSING,
      [{ a: 'y' }, true],
      [{ a: 'x' }, false],
      [{ a: 3 }, true],
      [{ a: {} }, false],
      [{ a: [] }, false],
      [{ a: ['y', 'z'] }, true],
      [{ a: ['y', 'x'] }, false],
      [{ a: [{}, 'y'] }, true],
    ]);
    check({ attribute: 'a', op: 'neq', values: ['X'], caseInsensitive: true }, [
      [{ a: 'x' }, false],
      [{ a: 'y' }, true],
    ]);
  });

  it('in and not_in: membership in the values', () => {
    check({ attribute: 'a', op: 'in', values: ['x', 'y', 3] }, [
      ...MISSING,
      [{ a: 'y' }, true],
      [{ a: 3 }, true],
      [{ a: '3' }, false],
      [{ a: ['q', 'x'] }, true],
      [{ a: true }, false],
    ]);
    check({ attribute: 'a', op: 'in', values: ['X'], caseInsensitive: true }, [[{ a: 'x' }, true]]);
    check({ attribute: 'a', op: 'not_in', values: ['x', 'y'] }, [
      ...MISSING,
      [{ a: 'z' }, true],
      [{ a: 'x' }, false],
      [{ a: ['z', 'q'] }, true],
      [{ a: ['z', 'y'] }, false],
      [{ a: [] }, false],
      [{ a: { z: 1 } }, false],
    ]);
  });
});

describe('string operators', () => {
  it('contains / not_contains', () => {
    check({ attribute: 'a', op: 'contains', values: ['lo W'] }, [
      ...MISSING,
      [{ a: 'Hello World' }, true],
      [{ a: 'hello world' }, false],
      [{ a: 12 }, false],
      [{ a: ['nope', 'Hello World'] }, true],
    ]);
    check({ attribute: 'a', op: 'contains', values: ['LO w'], caseInsensitive: true }, [
      [{ a: 'Hello World' }, true],
    ]);
    check({ attribute: 'a', op: 'not_contains', values: ['bad', 'worse'] }, [
      ...MISSING,
      [{ a: 'good' }, true],
      [{ a: 'not bad' }, false],
      [{ a: 'worse' }, false],
      [{ a: 5 }, false],
      [{ a: ['good', 'fine'] }, true],
      [{ a: ['good', 'bad'] }, false],
      [{ a: [5, 'good'] }, true],
    ]);
    check({ attribute: 'a', op: 'not_contains', values: ['BAD'], caseInsensitive: true }, [
      [{ a: 'bad' }, false],
      [{ a: 'good' }, true],
    ]);
  });

  it('starts_with / ends_with', () => {
    check({ attribute: 'a', op: 'starts_with', values: ['/admin', '/ops'] }, [
      ...MISSING,
      [{ a: '/admin/x' }, true],
      [{ a: '/ops' }, true],
      [{ a: '/Admin' }, false],
      [{ a: 'x/admin' }, false],
      [{ a: true }, false],
    ]);
    check({ attribute: 'a', op: 'starts_with', values: ['/ADMIN'], caseInsensitive: true }, [
      [{ a: '/admin/x' }, true],
    ]);
    check({ attribute: 'a', op: 'ends_with', values: ['.edu'] }, [
      ...MISSING,
      [{ a: 'mit.edu' }, true],
      [{ a: 'mit.EDU' }, false],
      [{ a: ['x.com', 'y.edu'] }, true],
      [{ a: 1 }, false],
    ]);
    check({ attribute: 'a', op: 'ends_with', values: ['.EDU'], caseInsensitive: true }, [
      [{ a: 'mit.edu' }, true],
    ]);
  });

  it('matches: unicode-mode regexes, unanchored unless the pattern anchors', () => {
    check({ attribute: 'a', op: 'matches', values: ['^user-\\d+$', 'admin'] }, [
      ...MISSING,
      [{ a: 'user-42' }, true],
      [{ a: 'user-x' }, false],
      [{ a: 'superadmin!' }, true],
      [{ a: 'ADMIN' }, false],
      [{ a: 42 }, false],
      [{ a: ['nobody', 'user-1'] }, true],
    ]);
    check({ attribute: 'a', op: 'matches', values: ['^admin$'], caseInsensitive: true }, [
      [{ a: 'ADMIN' }, true],
    ]);
    check({ attribute: 'a', op: 'matches', values: ['^\\p{Lu}'] }, [
      [{ a: 'Élan' }, true],
      [{ a: 'élan' }, false],
    ]);
  });
});

describe('number operators', () => {
  it('gt, gte, lt, lte compare numbers only', () => {
    check({ attribute: 'a', op: 'gt', values: [10] }, [
      ...MISSING,
      [{ a: 11 }, true],
      [{ a: 10 }, false],
      [{ a: '11' }, false],
      [{ a: true }, false],
      [{ a: [1, 2, 30] }, true],
      [{ a: [1, 2] }, false],
    ]);
    check({ attribute: 'a', op: 'gte', values: [10] }, [
      [{ a: 10 }, true],
      [{ a: 9.99 }, false],
    ]);
    check({ attribute: 'a', op: 'lt', values: [0] }, [
      [{ a: -0.5 }, true],
      [{ a: 0 }, false],
      [{ a: -0 }, false],
    ]);
    check({ attribute: 'a', op: 'lte', values: [0] }, [
      [{ a: 0 }, true],
      [{ a: 1e-9 }, false],
    ]);
  });

  it('several values mean "any of them": gt the smallest, lt the largest', () => {
    check({ attribute: 'a', op: 'gt', values: [100, 5] }, [
      [{ a: 6 }, true],
      [{ a: 5 }, false],
    ]);
    check({ attribute: 'a', op: 'lt', values: [100, 5] }, [
      [{ a: 99 }, true],
      [{ a: 100 }, false],
    ]);
  });
});

describe('semver operators', () => {
  it('order releases numerically and prereleases per SemVer 2.0.0 §11', () => {
    // The example chain of the specification, each lower than the next.
    const chain = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.0.1',
      '1.1.0',
      '2.0.0',
      '10.0.0',
    ];
    for (let i = 0; i < chain.length - 1; i++) {
      const low = parseSemver(chain[i]!)!;
      const high = parseSemver(chain[i + 1]!)!;
      expect([chain[i], compareSemver(low, high)]).toEqual([chain[i], -1]);
      expect(compareSemver(high, low)).toBe(1);
    }
    expect(compareSemver(parseSemver('1.0.0+build.1')!, parseSemver('1.0.0+other')!)).toBe(0);
  });

  it('parse what node-semver parses strictly, and compare the same way', () => {
    const identifier = fc.oneof(
      fc.nat({ max: 30 }).map(String),
      fc.constantFrom('alpha', 'beta', 'rc', 'x-1', '0a'),
    );
    const version = fc
      .tuple(
        fc.nat({ max: 12 }),
        fc.nat({ max: 12 }),
        fc.nat({ max: 12 }),
        fc.array(identifier, { maxLength: 3 }),
        fc.boolean(),
      )
      .map(
        ([a, b, c, pre, build]) =>
          `${a}.${b}.${c}${pre.length ? `-${pre.join('.')}` : ''}${build ? '+b.7' : ''}`,
      );
    fc.assert(
      fc.property(version, version, (x, y) => {
        const px = parseSemver(x)!;
        const py = parseSemver(y)!;
        expect(px).not.toBeNull();
        expect(Math.sign(compareSemver(px, py))).toBe(semver.compare(x, y));
        expect(Math.sign(compareSemverText(x, py))).toBe(semver.compare(x, y));
      }),
      { numRuns: 1000, seed: 5 },
    );
    for (const invalid of [
      '1.2',
      '1',
      '01.2.3',
      '1.02.3',
      '1.2.3-',
      '1.2.3-01',
      '1.2.3+',
      'x.y.z',
      ' 1.2.3',
      'V1.2.3',
    ]) {
      expect([invalid, parseSemver(invalid)]).toEqual([invalid, null]);
    }
    expect(parseSemver('99999999999999999999.0.0')).toBeNull();
    expect(Number.isNaN(compareSemverText('99999999999999999999.0.0', parseSemver('1.0.0')!))).toBe(true);
  });

  it('clauses: missing, wrong types and arrays', () => {
    check({ attribute: 'v', op: 'semver_gte', values: ['2.0.0'] }, [
      [{}, false],
      [{ v: null }, false],
      [{ v: 2 }, false],
      [{ v: '2.0' }, false],
      [{ v: '2.0.0' }, true],
      [{ v: 'v2.0.0' }, true],
      [{ v: '2.0.0-rc.1' }, false],
      [{ v: ['1.0.0', '3.0.0'] }, true],
    ]);
    check({ attribute: 'v', op: 'semver_eq', values: ['1.2.3', '2.0.0-beta.1'] }, [
      [{ v: '1.2.3+build' }, true],
      [{ v: '2.0.0-beta.1' }, true],
      [{ v: '2.0.0-beta.01' }, false],
    ]);
    check({ attribute: 'v', op: 'semver_gt', values: ['1.0.0'] }, [
      [{ v: '1.0.1-alpha' }, true],
      [{ v: '1.0.0' }, false],
    ]);
    check({ attribute: 'v', op: 'semver_lt', values: ['1.0.0'] }, [
      [{ v: '1.0.0-rc.9' }, true],
      [{ v: '1.0.0' }, false],
    ]);
    check({ attribute: 'v', op: 'semver_lte', values: ['1.0.0'] }, [
      [{ v: '1.0.0' }, true],
      [{ v: '1.0.1' }, false],
    ]);
  });
});

describe('date operators', () => {
  it('parse ISO-8601 by hand: dates, offsets, fractions, no local time', () => {
    expect(parseIsoInstant('2024-01-01')).toBe(Date.UTC(2024, 0, 1));
    expect(parseIsoInstant('2024-01-01T12:30:00Z')).toBe(Date.UTC(2024, 0, 1, 12, 30));
    expect(parseIsoInstant('2024-01-01T12:30')).toBe(Date.UTC(2024, 0, 1, 12, 30));
    expect(parseIsoInstant('2024-01-01T12:30:00+02:00')).toBe(Date.UTC(2024, 0, 1, 10, 30));
    expect(parseIsoInstant('2024-01-01T12:30:00-0530')).toBe(Date.UTC(2024, 0, 1, 18, 0));
    expect(parseIsoInstant('2024-01-01T00:00:00.123456Z')).toBe(Date.UTC(2024, 0, 1) + 123);
    expect(parseIsoInstant('2024-01-01T00:00:00.5Z')).toBe(Date.UTC(2024, 0, 1) + 500);
    expect(parseIsoInstant('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(parseIsoInstant('0050-06-01')).toBe(new Date('0050-06-01T00:00:00Z').getTime());
    for (const invalid of [
      '2023-02-29',
      '2024-13-01',
      '2024-00-10',
      '2024-01-32',
      '2024-01-01T24:00Z',
      '20240101',
      'Jan 1 2024',
      '2024-01-01T10:00:00+25:00',
    ]) {
      expect([invalid, parseIsoInstant(invalid)]).toEqual([invalid, NaN]);
    }
  });

  it('agree with Date for valid ISO strings with an offset', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1900-01-01Z'), max: new Date('2200-01-01Z'), noInvalidDate: true }),
        (date) => {
          expect(parseIsoInstant(date.toISOString())).toBe(date.getTime());
        },
      ),
      { numRuns: 500, seed: 6 },
    );
  });

  it('before/after accept ISO strings and epoch ms on both sides', () => {
    const instant = Date.UTC(2025, 5, 1);
    check({ attribute: 'd', op: 'before', values: ['2025-06-01T00:00:00Z'] }, [
      [{}, false],
      [{ d: null }, false],
      [null, false],
      [{ d: '2025-05-31' }, true],
      [{ d: '2025-06-01' }, false],
      [{ d: instant - 1 }, true],
      [{ d: instant }, false],
      [{ d: 'soon' }, false],
      [{ d: true }, false],
      [{ d: ['2030-01-01', '2020-01-01'] }, true],
    ]);
    check({ attribute: 'd', op: 'after', values: [instant] }, [
      [{}, false],
      [{ d: '2025-06-01T00:00:00.001Z' }, true],
      [{ d: '2025-06-01T02:00:00+02:00' }, false],
      [{ d: instant + 1 }, true],
      [{ d: Number.NaN }, false],
    ]);
  });
});

describe('existence operators', () => {
  it('exists: anything but undefined and null; not_exists: the opposite', () => {
    const present: unknown[] = [false, 0, '', [], {}, 'x'];
    check({ attribute: 'a', op: 'exists', values: [] }, [
      ...present.map((a): Case => [{ a }, true]),
      [{}, false],
      [{ a: null }, false],
      [null, false],
    ]);
    check({ attribute: 'a', op: 'not_exists', values: [] }, [
      ...present.map((a): Case => [{ a }, false]),
      [{}, true],
      [{ a: null }, true],
      [null, true],
    ]);
  });

  it('inherited properties and __proto__ never count as attributes', () => {
    check({ attribute: 'toString', op: 'exists', values: [] }, [[{}, false]]);
    check({ attribute: 'constructor.name', op: 'exists', values: [] }, [[{}, false]]);
    check({ attribute: '__proto__', op: 'exists', values: [] }, [[JSON.parse('{"__proto__": 1}'), false]]);
    check({ attribute: 'hasOwnProperty', op: 'not_exists', values: [] }, [[{}, true]]);
  });
});

describe('in_cidr', () => {
  it('parses IPv4 strictly and IPv6 in every notation', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ family: 4, network: 0x0a000000, mask: 0xff000000 });
    expect(parseCidr('10.1.2.3/8')).toEqual({ family: 4, network: 0x0a000000, mask: 0xff000000 });
    expect(parseCidr('0.0.0.0/0')).toEqual({ family: 4, network: 0, mask: 0 });
    expect(parseCidr('2001:db8::/32')).toMatchObject({ family: 6, prefix: 32 });
    for (const invalid of [
      '10.0.0.0/33',
      '10.0.0/8',
      '010.0.0.0/8',
      '0x0a.0.0.0',
      '10.0.0.256',
      '::/129',
      'fe80::1%eth0',
      '10.0.0.0/08',
      '',
    ]) {
      expect([invalid, parseCidr(invalid)]).toEqual([invalid, null]);
    }
  });

  it('parses IPv6 like Node and ipaddr.js do, in every notation', () => {
    const group = fc.integer({ min: 0, max: 0xffff });
    const address = fc.tuple(
      fc.array(group, { minLength: 8, maxLength: 8 }),
      fc.nat({ max: 3 }),
      fc.boolean(),
    );
    fc.assert(
      fc.property(address, ([groups, style, upper]) => {
        const parsed = ipaddr.IPv6.parse(groups.map((g) => g.toString(16)).join(':'));
        const text = [
          parsed.toString(), // compressed
          parsed.toNormalizedString(), // every group, no padding
          groups.map((g) => g.toString(16).padStart(4, '0')).join(':'), // zero-padded
          `::ffff:${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`,
        ][style]!;
        const input = upper ? text.toUpperCase() : text;
        const expected = style === 3 ? [0, 0, 0, 0, 0, 0xffff, groups[6], groups[7]] : groups;
        expect(parseIPv6(input)).toEqual(expected);
        expect(isIPv6(input)).toBe(true);
      }),
      { numRuns: 1000, seed: 7 },
    );
    const noise = fc.string({
      unit: fc.constantFrom(...'0123456789abcdefABCDEF:.%g '.split('')),
      maxLength: 45,
    });
    fc.assert(
      fc.property(noise, (text) => {
        if (text.includes('%')) return;
        const ours = parseIPv6(text);
        expect([text, ours !== null]).toEqual([text, isIPv6(text)]);
        if (ours !== null) expect(ours).toEqual(ipaddr.IPv6.parse(text).parts);
      }),
      { numRuns: 3000, seed: 8 },
    );
    expect(parseIPv6('fe80::1%eth0', true)).toEqual([0xfe80, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6('fe80::1%eth0')).toBeNull();
    expect(parseIPv6('fe80::1%', true)).toBeNull();
    for (const invalid of [
      '::ffff:01.2.3.4',
      '1.2.3.4::',
      '1:2:3:4:5:6:7:8::',
      ':1::',
      '1::2::3',
      '12345::',
      '::g',
    ]) {
      expect([invalid, parseIPv6(invalid)]).toEqual([invalid, null]);
    }
  });

  it('matches IPv4 and IPv6 addresses, mapped addresses and arrays', () => {
    check(
      {
        attribute: 'ip',
        op: 'in_cidr',
        values: ['10.0.0.0/8', '172.16.0.0/12', '2001:db8::/32', 'fe80::/10', '192.0.2.1'],
      },
      [
        ...MISSING,
        [{ ip: '10.255.255.255' }, true],
        [{ ip: '11.0.0.0' }, false],
        [{ ip: '172.31.0.1' }, true],
        [{ ip: '172.32.0.1' }, false],
        [{ ip: '192.0.2.1' }, true],
        [{ ip: '192.0.2.2' }, false],
        [{ ip: '2001:db8:ffff::1' }, true],
        [{ ip: '2001:0DB8::1' }, true],
        [{ ip: '2001:db9::' }, false],
        [{ ip: 'fe80::1%eth0' }, true],
        [{ ip: 'febf:ffff::1' }, true],
        [{ ip: 'fec0::1' }, false],
        [{ ip: '::ffff:10.1.2.3' }, true],
        [{ ip: '::ffff:11.1.2.3' }, false],
        [{ ip: '::1' }, false],
        [{ ip: '10.0.0' }, false],
        [{ ip: '10.0.0.1.5' }, false],
        [{ ip: ' 10.0.0.1' }, false],
        [{ ip: 167772161 }, false],
        [{ ip: ['8.8.8.8', '172.16.5.4'] }, true],
      ],
    );
    check({ attribute: 'ip', op: 'in_cidr', values: ['::/0'] }, [
      [{ ip: '1::' }, true],
      [{ ip: '1.2.3.4' }, false],
    ]);
    check({ attribute: 'ip', op: 'in_cidr', values: ['0.0.0.0/0'] }, [
      [{ ip: '1.2.3.4' }, true],
      [{ ip: '::ffff:1.2.3.4' }, true],
      [{ ip: '2001:db8::1' }, false],
    ]);
  });
});

describe('segment operators', () => {
  const segments = [
    {
      key: 'staff',
      conditions: { attribute: 'email', op: 'ends_with', values: ['@corp.example'] } as Clause,
      included: ['u-contractor', '42'],
      excluded: ['u-fired'],
    },
    { key: 'vip', included: ['u-vip'] },
  ];

  it('in_segment: included, or matching conditions, and not excluded; targeting key by default', () => {
    const matches = clauseMatcher({ op: 'in_segment', values: ['staff', 'vip'] }, segments);
    expect(matches({ targetingKey: 'u-contractor' })).toBe(true);
    expect(matches({ targetingKey: 'u-vip' })).toBe(true);
    expect(matches({ userId: 'u-vip' })).toBe(true);
    expect(matches({ targetingKey: 42 })).toBe(true);
    expect(matches({ targetingKey: 'u-1', email: 'a@corp.example' })).toBe(true);
    expect(matches({ email: 'a@corp.example' })).toBe(true);
    expect(matches({ targetingKey: 'u-fired', email: 'a@corp.example' })).toBe(false);
    expect(matches({ targetingKey: 'u-1', email: 'a@home.example' })).toBe(false);
    expect(matches({})).toBe(false);
  });

  it('in_segment with an attribute: that attribute holds the unit; arrays are any-of', () => {
    const matches = clauseMatcher({ attribute: 'org.id', op: 'in_segment', values: ['vip'] }, segments);
    expect(matches({ org: { id: 'u-vip' } })).toBe(true);
    expect(matches({ org: { id: ['x', 'u-vip'] } })).toBe(true);
    expect(matches({ targetingKey: 'u-vip' })).toBe(false);
    const staff = clauseMatcher({ attribute: 'ids', op: 'in_segment', values: ['staff'] }, segments);
    // An excluded id is not rescued by the conditions through another path.
    expect(staff({ ids: ['u-fired'], email: 'a@corp.example' })).toBe(false);
    expect(staff({ ids: [], email: 'a@corp.example' })).toBe(true);
  });

  it('not_in_segment: needs a unit, then negates in_segment', () => {
    const matches = clauseMatcher({ op: 'not_in_segment', values: ['staff'] }, segments);
    expect(matches({ targetingKey: 'u-1' })).toBe(true);
    expect(matches({ targetingKey: 'u-contractor' })).toBe(false);
    expect(matches({ targetingKey: 'u-fired', email: 'a@corp.example' })).toBe(true);
    expect(matches({ email: 'a@home.example' })).toBe(false);
    const byAttribute = clauseMatcher({ attribute: 'ids', op: 'not_in_segment', values: ['vip'] }, segments);
    expect(byAttribute({ ids: ['a', 'b'] })).toBe(true);
    expect(byAttribute({ ids: ['a', 'u-vip'] })).toBe(false);
    expect(byAttribute({ ids: [] })).toBe(false);
    expect(byAttribute({ ids: {} })).toBe(false);
  });

  it('an unknown segment has no members', () => {
    expect(clauseMatcher({ op: 'in_segment', values: ['nope'] })({ targetingKey: 'x' })).toBe(false);
    expect(clauseMatcher({ op: 'not_in_segment', values: ['nope'] })({ targetingKey: 'x' })).toBe(true);
  });
});

describe('attribute paths and trees', () => {
  it('dots reach into nested objects, never through arrays or strings', () => {
    check({ attribute: 'device.os.name', op: 'eq', values: ['ios'] }, [
      [{ device: { os: { name: 'ios' } } }, true],
      [{ device: { os: { name: ['android', 'ios'] } } }, true],
      [{ device: { os: 'ios' } }, false],
      [{ device: [{ os: { name: 'ios' } }] }, false],
      [{ 'device.os.name': 'ios' }, false],
      [{ device: null }, false],
      [{}, false],
    ]);
    check({ attribute: 'name.length', op: 'eq', values: [3] }, [[{ name: 'abc' }, false]]);
    check({ attribute: 'tags.length', op: 'exists', values: [] }, [[{ tags: ['a'] }, false]]);
  });

  it('all / any / not compose', () => {
    const cond = {
      all: [
        {
          any: [
            { attribute: 'a', op: 'eq', values: [1] },
            { attribute: 'b', op: 'eq', values: [1] },
          ],
        },
        { not: { attribute: 'c', op: 'exists', values: [] } },
        { all: [{ attribute: 'd', op: 'gt', values: [0] }] },
      ],
    } satisfies Condition;
    check(cond, [
      [{ a: 1, d: 1 }, true],
      [{ b: 1, d: 1 }, true],
      [{ a: 1, b: 1, d: 1, c: 0 }, false],
      [{ d: 1 }, false],
      [{ a: 1 }, false],
    ]);
  });
});
