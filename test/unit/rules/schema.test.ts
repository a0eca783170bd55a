import { z } from 'zod';
import { flagInputSchema, type FlagInput } from '../../../shared/flags/schema';
import type { RulesetFlag, RulesetSegment } from '../../../shared/rules';
import { regexProblem } from '../../../shared/rules/regex-safety';
import { conditionSchema, serveSchema } from '../../../shared/rules/schema';
import { segmentInputSchema, type SegmentInput } from '../../../shared/segments/schema';

/** `[path, message]` of every issue, as the HTTP layer reports them. */
function issues(schema: z.ZodType, input: unknown): [string, string][] {
  const result = schema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((issue) => [issue.path.join('.'), issue.message]);
}

function paths(schema: z.ZodType, input: unknown): string[] {
  return issues(schema, input).map(([path]) => path);
}

const validFlag = {
  key: 'new-checkout',
  name: 'New checkout',
  kind: 'boolean',
  variations: [
    { key: 'on', value: true },
    { key: 'off', value: false },
  ],
  offVariation: 'off',
  fallthrough: {
    allocations: [
      { variation: 'on', weight: 3000 },
      { variation: 'off', weight: 7000 },
    ],
  },
  rules: [
    {
      id: 'staff',
      conditions: {
        all: [
          { attribute: 'email', op: 'ends_with', values: ['@corp.example'], caseInsensitive: true },
          { not: { attribute: 'device.os', op: 'in', values: ['ios', 'android'] } },
          {
            any: [
              { op: 'in_segment', values: ['beta'] },
              { attribute: 'ip', op: 'in_cidr', values: ['10.0.0.0/8'] },
            ],
          },
        ],
      },
      serve: { variation: 'on' },
    },
  ],
};

describe('condition schema', () => {
  it('accepts every operator with well-typed values', () => {
    const clauses = [
      { attribute: 'a', op: 'eq', values: ['x', 1, true] },
      { attribute: 'a', op: 'neq', values: ['x'] },
      { attribute: 'a', op: 'in', values: ['x', 'y'] },
      { attribute: 'a', op: 'not_in', values: [1, 2] },
      { attribute: 'a', op: 'contains', values: ['x'], caseInsensitive: true },
      { attribute: 'a', op: 'not_contains', values: ['x'] },
      { attribute: 'a', op: 'starts_with', values: ['x'] },
      { attribute: 'a', op: 'ends_with', values: ['x'] },
      { attribute: 'a', op: 'matches', values: ['^user-\\d+$'] },
      { attribute: 'a', op: 'gt', values: [1] },
      { attribute: 'a', op: 'gte', values: [1.5] },
      { attribute: 'a', op: 'lt', values: [-1] },
      { attribute: 'a', op: 'lte', values: [0] },
      { attribute: 'a', op: 'semver_eq', values: ['1.2.3'] },
      { attribute: 'a', op: 'semver_gt', values: ['1.2.3-rc.1+build'] },
      { attribute: 'a', op: 'semver_gte', values: ['v2.0.0'] },
      { attribute: 'a', op: 'semver_lt', values: ['0.0.1'] },
      { attribute: 'a', op: 'semver_lte', values: ['10.20.30'] },
      { attribute: 'a', op: 'before', values: ['2025-01-01'] },
      { attribute: 'a', op: 'after', values: [1735689600000, '2025-01-01T10:00:00+02:00'] },
      { attribute: 'a', op: 'exists', values: [] },
      { attribute: 'a', op: 'not_exists' },
      { op: 'in_segment', values: ['beta'] },
      { attribute: 'org.id', op: 'not_in_segment', values: ['beta'] },
      { attribute: 'a', op: 'in_cidr', values: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.1'] },
    ];
    for (const clause of clauses) expect([clause, issues(conditionSchema, clause)]).toEqual([clause, []]);
    expect(conditionSchema.parse({ attribute: 'a', op: 'not_exists' })).toEqual({
      attribute: 'a',
      op: 'not_exists',
      values: [],
    });
  });

  it('refuses values of the wrong kind, naming the value', () => {
    const cases: [unknown, string, RegExp][] = [
      [{ attribute: 'a', op: 'gt', values: ['1'] }, 'values.0', /number/],
      [{ attribute: 'a', op: 'lte', values: [1, Infinity] }, 'values.1', /number/],
      [{ attribute: 'a', op: 'semver_gt', values: ['1.2'] }, 'values.0', /semantic version/],
      [{ attribute: 'a', op: 'semver_eq', values: ['1.2.3', '01.2.3'] }, 'values.1', /semantic version/],
      [{ attribute: 'a', op: 'before', values: ['2025-02-30'] }, 'values.0', /ISO-8601/],
      [{ attribute: 'a', op: 'after', values: [true] }, 'values.0', /ISO-8601 .* epoch/],
      [{ attribute: 'a', op: 'in_cidr', values: ['10.0.0.0/33'] }, 'values.0', /CIDR/],
      [{ attribute: 'a', op: 'in_cidr', values: ['10.0.0.1', 'fe80::1%eth0'] }, 'values.1', /CIDR/],
      [{ attribute: 'a', op: 'eq', values: [{ x: 1 }] }, 'values.0', /string, a number or a boolean/],
      [{ attribute: 'a', op: 'contains', values: [''] }, 'values.0', /at least 1|>=1/],
      [{ attribute: 'a', op: 'in', values: [] }, 'values', /.+/],
      [{ attribute: 'a', op: 'exists', values: ['x'] }, 'values', /no values/],
      [{ op: 'in_segment', values: ['Not A Key'] }, 'values.0', /a-z/],
      [{ attribute: 'a', op: 'gt', values: [1], caseInsensitive: true }, '', /caseInsensitive/],
      [{ attribute: 'a', op: 'like', values: ['x'] }, 'op', /op must be one of eq, neq/],
      [{ attribute: 'a..b', op: 'eq', values: ['x'] }, 'attribute', /dots/],
      [{ attribute: '__proto__.x', op: 'eq', values: ['x'] }, 'attribute', /__proto__/],
      [{ op: 'eq', values: ['x'] }, 'attribute', /.+/],
      [{ attribute: 'a', op: 'eq', values: ['x'], extra: 1 }, '', /extra/],
    ];
    for (const [input, path, message] of cases) {
      const found = issues(conditionSchema, input);
      expect({ input, paths: found.map(([p]) => p) }).toEqual({ input, paths: [path] });
      expect(found[0]![1]).toMatch(message);
    }
  });

  it('reports nested issues at their exact path', () => {
    expect(
      paths(conditionSchema, {
        all: [
          { attribute: 'a', op: 'eq', values: ['ok'] },
          {
            any: [
              { not: { attribute: 'b', op: 'gt', values: ['x'] } },
              { attribute: 'c', op: 'semver_lt', values: [1] },
            ],
          },
          { all: [] },
          { all: [{ attribute: 'a', op: 'eq', values: ['x'] }], any: [] },
          'text',
          {},
        ],
      }),
    ).toEqual(['all.1.any.0.not.values.0', 'all.1.any.1.values.0', 'all.2.all', 'all.3', 'all.4', 'all.5']);
  });

  it('refuses trees that are too deep or too large before walking them', () => {
    let deep: unknown = { attribute: 'a', op: 'exists' };
    for (let i = 0; i < 5000; i++) deep = { not: deep };
    expect(issues(conditionSchema, deep)).toEqual([['', 'must nest at most 10 levels']]);
    const wide = {
      any: Array.from({ length: 6 }, () => ({
        all: Array.from({ length: 100 }, () => ({ attribute: 'a', op: 'exists' })),
      })),
    };
    expect(issues(conditionSchema, wide)).toEqual([['', 'must have at most 500 nodes']]);
  });

  it('serve: a variation or a split whose weights sum to 10 000', () => {
    expect(issues(serveSchema, { variation: 'on' })).toEqual([]);
    // Told apart by key: with `allocations` present it is a split, so `variation` is an unknown key there.
    expect(issues(serveSchema, { variation: 'on', allocations: [] })).toEqual(
      expect.arrayContaining([['', 'Unrecognized key: "variation"']]),
    );
    expect(
      paths(serveSchema, {
        allocations: [
          { variation: 'a', weight: 5000 },
          { variation: 'b', weight: 4000 },
        ],
      }),
    ).toEqual(['allocations']);
    expect(
      paths(serveSchema, {
        allocations: [
          { variation: 'a', weight: 5000.5 },
          { variation: 'b', weight: 4999.5 },
        ],
      }),
    ).toEqual(['allocations.0.weight', 'allocations.1.weight']);
    expect(
      paths(serveSchema, {
        allocations: [
          { variation: 'a', weight: 5000 },
          { variation: 'a', weight: 5000 },
        ],
      }),
    ).toEqual(['allocations.1.variation']);
    expect(paths(serveSchema, { allocations: [{ variation: 'a', weight: 10000 }], bucketBy: '' })).toEqual([
      'bucketBy',
    ]);
    expect(paths(serveSchema, {})).toEqual(['']);
  });
});

describe('regex vetting', () => {
  it.each([
    ['(a+)+$', /contains a quantifier/],
    ['(a|aa)+', /overlapping alternatives/],
    ['(a|a)*', /overlapping alternatives/],
    ['(.*a){12}', /contains a quantifier/],
    ['^(([a-z])+.)+[A-Z]([a-z])+$', /contains a quantifier/],
    ['(x+x+)+y', /backtrack catastrophically/],
    ['(\\w+\\s?)*$', /contains a quantifier/],
    ['^(a?){25}a{25}$', /contains a quantifier/],
    ['(?:a+){2}', /contains a quantifier/],
    ['.*.*.*=.*', /adjacent unbounded quantifiers/],
    ['\\d+\\d+$', /adjacent unbounded quantifiers/],
    ['^(\\w|\\d)+$', /overlapping alternatives/],
    ['(a)\\1', /backreferences/],
    ['(?<x>a)\\k<x>', /backreferences/],
    ['(', /not a valid regular expression/],
    ['a{2,1}', /not a valid regular expression/],
    ['\\q', /not a valid regular expression/], // unicode mode: no identity escapes of letters
    ['', /empty/],
    ['a'.repeat(501), /at most 500/],
  ])('refuses %j', (pattern, reason) => {
    expect(regexProblem(pattern)).toMatch(reason);
  });

  it.each([
    '^user-\\d+$',
    '@example\\.com$',
    '^v2\\.',
    '(com|org|net)+',
    '^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}$',
    '^\\d{3}-\\d{4}$',
    '^(?:https://|http://)?www\\.',
    '\\p{Lu}',
    '.*foo.*bar',
    '\\w+@\\w+',
    '^[A-Z]{2}$',
  ])('accepts %j', (pattern) => {
    expect(regexProblem(pattern)).toBeNull();
  });

  it('is conservative: safe-regex2 counts optional groups around a quantifier as nested repetition', () => {
    expect(regexProblem('^(?:https?://)?www\\.')).toMatch(/nested repetition/);
  });

  it('is applied by the schema, on the offending value', () => {
    expect(issues(conditionSchema, { attribute: 'a', op: 'matches', values: ['^ok$', '(a+)+$'] })).toEqual([
      ['values.1', expect.stringMatching(/^pattern may backtrack catastrophically/)],
    ]);
  });
});

describe('flagInputSchema', () => {
  it('accepts a flag and applies defaults', () => {
    const parsed = flagInputSchema.parse(validFlag);
    expect(parsed).toMatchObject({
      description: '',
      tags: [],
      enabled: false,
      clientSide: false,
      prerequisites: [],
      temporary: true,
    });
    // What the create API stores is what the engine evaluates.
    const asRulesetFlag: RulesetFlag = parsed satisfies FlagInput;
    expect(asRulesetFlag.key).toBe('new-checkout');
  });

  it('refuses unknown fields and malformed keys, naming them', () => {
    expect(issues(flagInputSchema, { ...validFlag, owner: 'me' })).toEqual([
      ['', 'Unrecognized key: "owner"'],
    ]);
    expect(paths(flagInputSchema, { ...validFlag, key: 'New Checkout' })).toEqual(['key']);
    expect(paths(flagInputSchema, { ...validFlag, kind: 'text' })).toEqual(['kind']);
    expect(paths(flagInputSchema, { ...validFlag, tags: ['ok', 'ok'] })).toEqual(['tags']);
    expect(paths(flagInputSchema, { ...validFlag, variations: [validFlag.variations[0]] })).toEqual([
      'variations',
      'offVariation', // cross-field checks still run and name what no longer resolves
      'fallthrough.allocations.1.variation',
    ]);
    expect(
      paths(flagInputSchema, {
        ...validFlag,
        variations: Array.from({ length: 21 }, (_, i) => ({ key: `v${i}`, value: i % 2 === 0 })),
      }),
    ).toEqual(['variations']);
    expect(
      paths(flagInputSchema, {
        ...validFlag,
        rules: [{ ...validFlag.rules[0], serve: { variation: 'on' }, extra: 1 }],
      }),
    ).toEqual(['rules.0']);
  });

  it('checks values against the kind and variation references, each on its field', () => {
    const input = {
      ...validFlag,
      kind: 'number',
      variations: [
        { key: 'one', value: 1 },
        { key: 'two', value: '2' },
        { key: 'one', value: 3 },
        { key: 'four', value: 1 },
      ],
      offVariation: 'zero',
      fallthrough: {
        allocations: [
          { variation: 'one', weight: 5000 },
          { variation: 'five', weight: 5000 },
        ],
      },
      rules: [
        { id: 'r', conditions: { attribute: 'a', op: 'exists' }, serve: { variation: 'six' } },
        { id: 'r', conditions: { attribute: 'a', op: 'exists' }, serve: { variation: 'one' } },
      ],
      prerequisites: [
        { flagKey: 'new-checkout', variation: 'on' },
        { flagKey: 'other', variation: 'on' },
        { flagKey: 'other', variation: 'off' },
      ],
    };
    expect(issues(flagInputSchema, input)).toEqual([
      ['variations.1.value', 'must be a number'],
      ['variations.2.key', 'repeats another variation’s key'],
      ['variations.3.value', 'repeats another variation’s value'],
      ['offVariation', 'is not a variation of this flag (one, two, four)'],
      ['fallthrough.allocations.1.variation', 'is not a variation of this flag (one, two, four)'],
      ['rules.0.serve.variation', 'is not a variation of this flag (one, two, four)'],
      ['rules.1.id', 'repeats another rule’s id'],
      ['prerequisites.0.flagKey', 'a flag cannot require itself'],
      ['prerequisites.2.flagKey', 'appears twice'],
    ]);
  });

  it('json flags take any JSON value; boolean flags need distinct values', () => {
    expect(
      issues(flagInputSchema, {
        ...validFlag,
        kind: 'json',
        variations: [
          { key: 'on', value: { a: [1, { b: null }] } },
          { key: 'off', value: [] },
        ],
      }),
    ).toEqual([]);
    expect(
      paths(flagInputSchema, {
        ...validFlag,
        variations: [
          { key: 'on', value: true },
          { key: 'off', value: true },
        ],
      }),
    ).toEqual(['variations.1.value']);
  });

  it('reports condition issues deep inside rules', () => {
    const input = structuredClone(validFlag);
    (input.rules[0]!.conditions.all[2] as { any: unknown[] }).any[1] = {
      attribute: 'ip',
      op: 'in_cidr',
      values: ['nope'],
    };
    expect(paths(flagInputSchema, input)).toEqual(['rules.0.conditions.all.2.any.1.values.0']);
  });

  it('generates a JSON Schema for the OpenAPI document', () => {
    const json = z.toJSONSchema(z.object({ flag: flagInputSchema, segment: segmentInputSchema }), {
      io: 'input',
      unrepresentable: 'any',
      reused: 'inline',
    }) as { $defs: Record<string, { anyOf?: unknown[] }> };
    expect(Object.keys(json.$defs)).toEqual(
      expect.arrayContaining(['FlagInput', 'SegmentInput', 'Condition', 'Serve']),
    );
    expect(json.$defs.Condition!.anyOf).toHaveLength(4);
    expect(json.$defs.Serve!.anyOf).toHaveLength(2);
  });
});

describe('segmentInputSchema', () => {
  it('accepts a segment and applies defaults', () => {
    const parsed = segmentInputSchema.parse({ key: 'beta', name: 'Beta', included: ['u1'] });
    expect(parsed).toEqual({
      key: 'beta',
      name: 'Beta',
      description: '',
      tags: [],
      included: ['u1'],
      excluded: [],
    });
    const asRulesetSegment: RulesetSegment = parsed satisfies SegmentInput;
    expect(asRulesetSegment.key).toBe('beta');
  });

  it('refuses nested segments, duplicates, overlaps and oversized lists, naming the field', () => {
    expect(
      issues(segmentInputSchema, {
        key: 'beta',
        name: 'Beta',
        conditions: { any: [{ attribute: 'a', op: 'exists' }, { not: { op: 'in_segment', values: ['x'] } }] },
        included: ['u1', 'u2', 'u1'],
        excluded: ['u2'],
      }),
    ).toEqual([
      ['included.2', 'repeats an id'],
      ['conditions.any.1.not.op', 'segment conditions cannot refer to segments'],
      ['excluded.0', 'is also included'],
    ]);
    expect(
      paths(segmentInputSchema, {
        key: 'b',
        name: 'B',
        included: Array.from({ length: 10_001 }, (_, i) => `u${i}`),
      }),
    ).toEqual(['included']);
    expect(paths(segmentInputSchema, { key: 'b', name: 'B', excluded: [''] })).toEqual(['excluded.0']);
    expect(paths(segmentInputSchema, { key: 'b', name: ' ' })).toEqual(['name']);
  });
});
