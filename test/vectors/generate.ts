/**
 * Writes the SDK contract vectors (SPEC §2.3, §4):
 *
 *   test/vectors/bucketing.json   salt/unitId → hash, bucket; expected values from the independent Python
 *                                 reference (murmur3_reference.py), which the TypeScript engine must match
 *   test/vectors/evaluation.json  one ruleset + contexts → expected resolution; expectations written by hand
 *                                 below (split cases: bucket from the Python reference, mapped to ranges here)
 *
 *   npx tsx test/vectors/generate.ts
 *
 * The script refuses to write when the engine disagrees with any expectation, so a change in semantics has
 * to be made here, on purpose, and reviewed in the diff of the JSON.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { bucketOf, compileRuleset, murmur3 } from '../../shared/rules';
import type { Clause, EvaluateOptions, Ruleset, RulesetFlag, Serve } from '../../shared/rules';

const HERE = __dirname;

// ---- bucketing -------------------------------------------------------------------------------------------

const SALTS = [
  'new-checkout',
  'exp-2024-pricing',
  'layer.homepage',
  'a',
  '',
  'flag_with_underscores-and.dots',
  'sälz',
  '实验',
  '🚀-launch',
  'x'.repeat(64),
];

const UNITS = [
  '',
  'a',
  'ab',
  'abc',
  'abcd',
  'user-1',
  'user-2',
  'user-42',
  '12345',
  '0',
  '00000000-0000-0000-0000-000000000000',
  'f47ac10b-58cc-4372-a567-0e02b2c3d479',
  'alice@example.com',
  'Bob.Smith+test@Example.org',
  'user with spaces',
  'tab\there',
  'new\nline',
  'ünïcödé',
  'Ελληνικά',
  'русский',
  '中文用户',
  '日本語テキスト',
  '한국어',
  'עברית',
  'العربية',
  '😀',
  '👩‍💻',
  '🇫🇷',
  'e\u0301',
  '\u00e9',
  '\u0000',
  '\u007f\u0080\u07ff\u0800\uffff',
  '𝔘𝔫𝔦𝔱',
  'a/b/c',
  '/',
];

/** Strings with lone surrogates: hashed as U+FFFD. Languages without UTF-16 strings may skip them. */
const LONE_SURROGATE_UNITS = ['\ud800', 'x\udc00y', '\ud83d'];

interface BucketingCase {
  salt: string;
  unitId: string;
  hash: number;
  bucket: number;
  loneSurrogate?: true;
}

function pythonReference(pairs: [string, string][]): [number, number][] {
  const output = execFileSync('python3', [join(HERE, 'murmur3_reference.py')], {
    input: JSON.stringify(pairs),
    encoding: 'utf8',
  });
  return JSON.parse(output) as [number, number][];
}

function bucketingCases(): BucketingCase[] {
  const pairs: [string, string, boolean][] = [];
  for (const salt of SALTS) for (const unit of UNITS) pairs.push([salt, unit, false]);
  for (const unit of LONE_SURROGATE_UNITS) pairs.push(['new-checkout', unit, true]);
  // Sequential ids, the common shape of real unit ids.
  for (let i = 0; i < 60; i++) pairs.push(['rollout-flag', `user-${i}`, false]);
  const reference = pythonReference(pairs.map(([salt, unit]) => [salt, unit]));
  return pairs.map(([salt, unitId, loneSurrogate], i) => {
    const [hash, bucket] = reference[i]!;
    const ours = murmur3(`${salt}/${unitId}`);
    if (ours !== hash || bucketOf(salt, unitId) !== bucket) {
      throw new Error(
        `TypeScript and Python disagree on ${JSON.stringify([salt, unitId])}: ${ours} vs ${hash}`,
      );
    }
    return { salt, unitId, hash, bucket, ...(loneSurrogate ? { loneSurrogate: true as const } : {}) };
  });
}

// ---- evaluation ------------------------------------------------------------------------------------------

const ON_OFF = [
  { key: 'on', value: true },
  { key: 'off', value: false },
];

function flag(key: string, fields: Partial<RulesetFlag> = {}): RulesetFlag {
  return {
    key,
    kind: 'boolean',
    variations: ON_OFF,
    enabled: true,
    offVariation: 'off',
    fallthrough: { variation: 'off' },
    rules: [],
    ...fields,
  };
}

/** A flag whose single rule `match` tests one clause and serves `on`; fallthrough `off`. */
function operatorFlag(key: string, clause: Clause): RulesetFlag {
  return flag(key, { rules: [{ id: 'match', conditions: clause, serve: { variation: 'on' } }] });
}

const split = (weights: Record<string, number>, bucketBy?: string): Serve => ({
  allocations: Object.entries(weights).map(([variation, weight]) => ({ variation, weight })),
  ...(bucketBy === undefined ? {} : { bucketBy }),
});

const RULESET: Ruleset = {
  revision: 1,
  hashVersion: 1,
  segments: [
    {
      key: 'beta-testers',
      conditions: { attribute: 'email', op: 'ends_with', values: ['@beta.example'] },
      included: ['u-inc'],
      excluded: ['u-exc'],
    },
    { key: 'internal', included: ['acct-1'], excluded: [] },
  ],
  flags: [
    operatorFlag('op-eq', { attribute: 'plan', op: 'eq', values: ['pro'] }),
    operatorFlag('op-eq-ci', { attribute: 'plan', op: 'eq', values: ['Pro'], caseInsensitive: true }),
    operatorFlag('op-eq-number', { attribute: 'age', op: 'eq', values: [30] }),
    operatorFlag('op-eq-bool', { attribute: 'beta', op: 'eq', values: [true] }),
    operatorFlag('op-neq', { attribute: 'plan', op: 'neq', values: ['pro'] }),
    operatorFlag('op-in', { attribute: 'country', op: 'in', values: ['US', 'CA'] }),
    operatorFlag('op-not-in', { attribute: 'country', op: 'not_in', values: ['US', 'CA'] }),
    operatorFlag('op-contains', { attribute: 'email', op: 'contains', values: ['@corp'] }),
    operatorFlag('op-contains-ci', {
      attribute: 'email',
      op: 'contains',
      values: ['@CORP'],
      caseInsensitive: true,
    }),
    operatorFlag('op-not-contains', { attribute: 'email', op: 'not_contains', values: ['@corp'] }),
    operatorFlag('op-starts-with', { attribute: 'path', op: 'starts_with', values: ['/admin'] }),
    operatorFlag('op-starts-with-ci', {
      attribute: 'path',
      op: 'starts_with',
      values: ['/Admin'],
      caseInsensitive: true,
    }),
    operatorFlag('op-ends-with', { attribute: 'email', op: 'ends_with', values: ['.edu', '.gov'] }),
    operatorFlag('op-matches', { attribute: 'email', op: 'matches', values: ['^[a-z]+@example\\.com$'] }),
    operatorFlag('op-matches-ci', {
      attribute: 'email',
      op: 'matches',
      values: ['^[a-z]+@example\\.com$'],
      caseInsensitive: true,
    }),
    operatorFlag('op-gt', { attribute: 'age', op: 'gt', values: [18] }),
    operatorFlag('op-gte', { attribute: 'age', op: 'gte', values: [18] }),
    operatorFlag('op-lt', { attribute: 'age', op: 'lt', values: [13] }),
    operatorFlag('op-lte', { attribute: 'age', op: 'lte', values: [13] }),
    operatorFlag('op-semver-eq', { attribute: 'appVersion', op: 'semver_eq', values: ['2.1.0'] }),
    operatorFlag('op-semver-gt', { attribute: 'appVersion', op: 'semver_gt', values: ['2.0.0'] }),
    operatorFlag('op-semver-gte', { attribute: 'appVersion', op: 'semver_gte', values: ['2.0.0-beta.2'] }),
    operatorFlag('op-semver-lt', { attribute: 'appVersion', op: 'semver_lt', values: ['1.0.0'] }),
    operatorFlag('op-semver-lte', { attribute: 'appVersion', op: 'semver_lte', values: ['1.0.0-alpha.1'] }),
    operatorFlag('op-before', { attribute: 'signupDate', op: 'before', values: ['2024-01-01T00:00:00Z'] }),
    operatorFlag('op-after', { attribute: 'signupDate', op: 'after', values: [1704067200000] }),
    operatorFlag('op-exists', { attribute: 'beta', op: 'exists', values: [] }),
    operatorFlag('op-not-exists', { attribute: 'beta', op: 'not_exists', values: [] }),
    operatorFlag('op-in-segment', { op: 'in_segment', values: ['beta-testers'] }),
    operatorFlag('op-in-segment-attr', { attribute: 'accountId', op: 'in_segment', values: ['internal'] }),
    operatorFlag('op-not-in-segment', { op: 'not_in_segment', values: ['beta-testers'] }),
    operatorFlag('op-in-unknown-segment', { op: 'in_segment', values: ['no-such-segment'] }),
    operatorFlag('op-in-cidr', {
      attribute: 'ip',
      op: 'in_cidr',
      values: ['10.0.0.0/8', '192.168.1.0/24', '2001:db8::/32'],
    }),
    operatorFlag('op-in-cidr-host', { attribute: 'ip', op: 'in_cidr', values: ['203.0.113.7'] }),
    operatorFlag('op-nested', { attribute: 'device.os', op: 'eq', values: ['ios'] }),
    operatorFlag('op-deep', { attribute: 'a.b.c', op: 'gt', values: [1] }),
    operatorFlag('op-proto', { attribute: 'constructor', op: 'exists', values: [] }),
    flag('tree-all', {
      rules: [
        {
          id: 'match',
          conditions: {
            all: [
              { attribute: 'plan', op: 'eq', values: ['pro'] },
              { attribute: 'country', op: 'in', values: ['US'] },
            ],
          },
          serve: { variation: 'on' },
        },
      ],
    }),
    flag('tree-any', {
      rules: [
        {
          id: 'match',
          conditions: {
            any: [
              { attribute: 'plan', op: 'eq', values: ['pro'] },
              { attribute: 'beta', op: 'eq', values: [true] },
            ],
          },
          serve: { variation: 'on' },
        },
      ],
    }),
    flag('tree-not', {
      rules: [
        {
          id: 'match',
          conditions: { not: { attribute: 'plan', op: 'eq', values: ['pro'] } },
          serve: { variation: 'on' },
        },
      ],
    }),
    flag('tree-nested', {
      rules: [
        {
          id: 'match',
          conditions: {
            all: [
              {
                any: [
                  { attribute: 'country', op: 'in', values: ['US', 'CA'] },
                  { attribute: 'ip', op: 'in_cidr', values: ['10.0.0.0/8'] },
                ],
              },
              { not: { attribute: 'email', op: 'ends_with', values: ['@competitor.example'] } },
            ],
          },
          serve: { variation: 'on' },
        },
      ],
    }),
    {
      key: 'rule-order',
      kind: 'string',
      variations: [
        { key: 'us', value: 'US experience' },
        { key: 'pro', value: 'Pro experience' },
        { key: 'default', value: 'Default experience' },
      ],
      enabled: true,
      offVariation: 'default',
      fallthrough: { variation: 'default' },
      rules: [
        {
          id: 'us-first',
          conditions: { attribute: 'country', op: 'eq', values: ['US'] },
          serve: { variation: 'us' },
        },
        {
          id: 'pro-second',
          conditions: { attribute: 'plan', op: 'eq', values: ['pro'] },
          serve: { variation: 'pro' },
        },
      ],
    },
    {
      key: 'kind-number',
      kind: 'number',
      variations: [
        { key: 'small', value: 10 },
        { key: 'large', value: 2.5e6 },
      ],
      enabled: true,
      offVariation: 'small',
      fallthrough: { variation: 'small' },
      rules: [
        {
          id: 'big-plan',
          conditions: { attribute: 'plan', op: 'eq', values: ['enterprise'] },
          serve: { variation: 'large' },
        },
      ],
    },
    {
      key: 'kind-json',
      kind: 'json',
      variations: [
        { key: 'dark', value: { theme: 'dark', sizes: [1, 2, 3], beta: null } },
        { key: 'light', value: { theme: 'light', sizes: [], nested: { deep: true } } },
      ],
      enabled: true,
      offVariation: 'light',
      fallthrough: { variation: 'light' },
      rules: [
        {
          id: 'night',
          conditions: { attribute: 'hour', op: 'gte', values: [20] },
          serve: { variation: 'dark' },
        },
      ],
    },
    flag('disabled', {
      enabled: false,
      rules: [
        {
          id: 'match',
          conditions: { attribute: 'plan', op: 'eq', values: ['pro'] },
          serve: { variation: 'on' },
        },
      ],
      fallthrough: { variation: 'on' },
    }),
    operatorFlag('prereq-parent', { attribute: 'plan', op: 'eq', values: ['pro'] }),
    flag('prereq-child', {
      prerequisites: [{ flagKey: 'prereq-parent', variation: 'on' }],
      fallthrough: { variation: 'on' },
    }),
    flag('prereq-grandchild', {
      prerequisites: [{ flagKey: 'prereq-child', variation: 'on' }],
      fallthrough: { variation: 'on' },
    }),
    flag('prereq-off-parent', { enabled: false }),
    flag('prereq-requires-off', {
      prerequisites: [{ flagKey: 'prereq-off-parent', variation: 'off' }],
      fallthrough: { variation: 'on' },
    }),
    flag('prereq-missing', {
      prerequisites: [{ flagKey: 'no-such-flag', variation: 'on' }],
      fallthrough: { variation: 'on' },
    }),
    flag('cycle-a', {
      prerequisites: [{ flagKey: 'cycle-b', variation: 'on' }],
      fallthrough: { variation: 'on' },
    }),
    flag('cycle-b', {
      prerequisites: [{ flagKey: 'cycle-a', variation: 'on' }],
      fallthrough: { variation: 'on' },
    }),
    flag('split-fallthrough', { fallthrough: split({ on: 3000, off: 7000 }) }),
    {
      key: 'split-rule',
      kind: 'string',
      variations: [
        { key: 'a', value: 'A' },
        { key: 'b', value: 'B' },
        { key: 'c', value: 'C' },
      ],
      enabled: true,
      offVariation: 'c',
      fallthrough: { variation: 'c' },
      rules: [
        {
          id: 'us-split',
          conditions: { attribute: 'country', op: 'eq', values: ['US'] },
          serve: split({ a: 5000, b: 5000 }, 'company.id'),
        },
      ],
    },
    {
      key: 'split-three-way',
      kind: 'string',
      salt: 'exp-2024',
      variations: [
        { key: 'control', value: 'control' },
        { key: 'treatment-1', value: 't1' },
        { key: 'treatment-2', value: 't2' },
      ],
      enabled: true,
      offVariation: 'control',
      fallthrough: split({ control: 2500, 'treatment-1': 2500, 'treatment-2': 5000 }),
      rules: [],
    },
    flag('split-zero', { fallthrough: split({ on: 0, off: 10000 }) }),
    flag('split-full', { fallthrough: split({ on: 10000, off: 0 }) }),
    flag('client-flag', { clientSide: true, fallthrough: { variation: 'on' } }),
    flag('broken-flag', {
      rules: [
        {
          id: 'bad',
          conditions: { attribute: 'plan', op: 'no_such_operator', values: ['x'] } as unknown as Clause,
          serve: { variation: 'on' },
        },
      ],
    }),
  ],
};

interface Expected {
  value: unknown;
  variation: string | null;
  reason: string;
  ruleId?: string;
  errorCode?: string;
}

interface EvaluationCase {
  description: string;
  flagKey: string;
  context: unknown;
  options?: EvaluateOptions;
  expected: Expected;
}

const MATCH: Expected = { value: true, variation: 'on', reason: 'TARGETING_MATCH', ruleId: 'match' };
const MISS: Expected = { value: false, variation: 'off', reason: 'DEFAULT' };
const error = (errorCode: string, ruleId?: string): Expected => ({
  value: null,
  variation: null,
  reason: 'ERROR',
  ...(ruleId === undefined ? {} : { ruleId }),
  errorCode,
});

type Row = [description: string, context: unknown, expected: Expected];

/** Cases for one flag. */
function rows(flagKey: string, list: Row[], options?: EvaluateOptions): EvaluationCase[] {
  return list.map(([description, context, expected]) => ({
    description,
    flagKey,
    context,
    ...(options === undefined ? {} : { options }),
    expected,
  }));
}

const HAND_WRITTEN: EvaluationCase[] = [
  ...rows('op-eq', [
    ['eq: equal string', { plan: 'pro' }, MATCH],
    ['eq: other string', { plan: 'free' }, MISS],
    ['eq: missing attribute', {}, MISS],
    ['eq: null is missing', { plan: null }, MISS],
    ['eq: number is not the string', { plan: 5 }, MISS],
    ['eq: object never matches', { plan: { name: 'pro' } }, MISS],
    ['eq: array, one element matches', { plan: ['free', 'pro'] }, MATCH],
    ['eq: array, none matches', { plan: ['free', 'basic'] }, MISS],
    ['eq: case-sensitive by default', { plan: 'PRO' }, MISS],
  ]),
  ...rows('op-eq-ci', [
    ['eq caseInsensitive: upper case', { plan: 'PRO' }, MATCH],
    ['eq caseInsensitive: lower case', { plan: 'pro' }, MATCH],
    ['eq caseInsensitive: still whole-string', { plan: 'prox' }, MISS],
  ]),
  ...rows('op-eq-number', [
    ['eq number: equal', { age: 30 }, MATCH],
    ['eq number: numeric string is another type', { age: '30' }, MISS],
    ['eq number: 30.0 is 30', { age: 30.0 }, MATCH],
  ]),
  ...rows('op-eq-bool', [
    ['eq boolean: true', { beta: true }, MATCH],
    ['eq boolean: "true" string is another type', { beta: 'true' }, MISS],
    ['eq boolean: false', { beta: false }, MISS],
  ]),
  ...rows('op-neq', [
    ['neq: different string', { plan: 'free' }, MATCH],
    ['neq: equal string', { plan: 'pro' }, MISS],
    ['neq: missing attribute is false', {}, MISS],
    ['neq: null is missing', { plan: null }, MISS],
    ['neq: another scalar type differs', { plan: 5 }, MATCH],
    ['neq: object has no usable value', { plan: {} }, MISS],
    ['neq: array containing the value', { plan: ['free', 'pro'] }, MISS],
    ['neq: array without the value', { plan: ['free', 'basic'] }, MATCH],
    ['neq: empty array has no usable value', { plan: [] }, MISS],
  ]),
  ...rows('op-in', [
    ['in: listed', { country: 'US' }, MATCH],
    ['in: not listed', { country: 'DE' }, MISS],
    ['in: array with a listed element', { country: ['DE', 'CA'] }, MATCH],
    ['in: missing', {}, MISS],
    ['in: wrong type', { country: 1 }, MISS],
  ]),
  ...rows('op-not-in', [
    ['not_in: not listed', { country: 'DE' }, MATCH],
    ['not_in: listed', { country: 'US' }, MISS],
    ['not_in: missing is false', {}, MISS],
    ['not_in: array with a listed element', { country: ['DE', 'US'] }, MISS],
    ['not_in: array without listed elements', { country: ['DE', 'FR'] }, MATCH],
    ['not_in: a boolean is a usable scalar, not listed', { country: true }, MATCH],
  ]),
  ...rows('op-contains', [
    ['contains: substring present', { email: 'a@corp.example' }, MATCH],
    ['contains: substring absent', { email: 'a@home.example' }, MISS],
    ['contains: missing', {}, MISS],
    ['contains: number is the wrong type', { email: 42 }, MISS],
    ['contains: array, one element contains it', { email: ['x@home.example', 'y@corp.io'] }, MATCH],
    ['contains: case-sensitive by default', { email: 'a@CORP.example' }, MISS],
  ]),
  ...rows('op-contains-ci', [['contains caseInsensitive', { email: 'A@Corp.example' }, MATCH]]),
  ...rows('op-not-contains', [
    ['not_contains: absent', { email: 'a@home.example' }, MATCH],
    ['not_contains: present', { email: 'a@corp.example' }, MISS],
    ['not_contains: missing is false', {}, MISS],
    ['not_contains: wrong type is false', { email: 42 }, MISS],
    ['not_contains: array with one containing it', { email: ['a@home.example', 'b@corp.example'] }, MISS],
    ['not_contains: unusable elements are skipped', { email: ['a@home.example', 7] }, MATCH],
    ['not_contains: only unusable elements', { email: [7, null] }, MISS],
  ]),
  ...rows('op-starts-with', [
    ['starts_with: prefix', { path: '/admin/users' }, MATCH],
    ['starts_with: no prefix', { path: '/home' }, MISS],
    ['starts_with: missing', {}, MISS],
    ['starts_with: case-sensitive', { path: '/ADMIN/users' }, MISS],
  ]),
  ...rows('op-starts-with-ci', [['starts_with caseInsensitive', { path: '/ADMIN/users' }, MATCH]]),
  ...rows('op-ends-with', [
    ['ends_with: first value', { email: 'x@mit.edu' }, MATCH],
    ['ends_with: second value', { email: 'x@usa.gov' }, MATCH],
    ['ends_with: neither', { email: 'x@example.com' }, MISS],
    ['ends_with: null', { email: null }, MISS],
  ]),
  ...rows('op-matches', [
    ['matches: full match', { email: 'bob@example.com' }, MATCH],
    ['matches: case-sensitive', { email: 'Bob@example.com' }, MISS],
    ['matches: anchored', { email: 'bob@example.com.evil' }, MISS],
    ['matches: missing', {}, MISS],
    ['matches: wrong type', { email: 12 }, MISS],
  ]),
  ...rows('op-matches-ci', [['matches caseInsensitive', { email: 'Bob@Example.COM' }, MATCH]]),
  ...rows('op-gt', [
    ['gt: above', { age: 19 }, MATCH],
    ['gt: equal', { age: 18 }, MISS],
    ['gt: fractional above', { age: 18.5 }, MATCH],
    ['gt: numeric string is the wrong type', { age: '19' }, MISS],
    ['gt: missing', {}, MISS],
    ['gt: array with one above', { age: [10, 20] }, MATCH],
  ]),
  ...rows('op-gte', [
    ['gte: equal', { age: 18 }, MATCH],
    ['gte: below', { age: 17.9 }, MISS],
  ]),
  ...rows('op-lt', [
    ['lt: below', { age: 12 }, MATCH],
    ['lt: equal', { age: 13 }, MISS],
    ['lt: negative', { age: -1 }, MATCH],
  ]),
  ...rows('op-lte', [
    ['lte: equal', { age: 13 }, MATCH],
    ['lte: above', { age: 14 }, MISS],
  ]),
  ...rows('op-semver-eq', [
    ['semver_eq: equal', { appVersion: '2.1.0' }, MATCH],
    ['semver_eq: leading v', { appVersion: 'v2.1.0' }, MATCH],
    ['semver_eq: build metadata ignored', { appVersion: '2.1.0+build.5' }, MATCH],
    ['semver_eq: prerelease differs', { appVersion: '2.1.0-rc.1' }, MISS],
    ['semver_eq: two parts is not a version', { appVersion: '2.1' }, MISS],
    ['semver_eq: number is the wrong type', { appVersion: 2.1 }, MISS],
  ]),
  ...rows('op-semver-gt', [
    ['semver_gt: patch above', { appVersion: '2.0.1' }, MATCH],
    ['semver_gt: equal', { appVersion: '2.0.0' }, MISS],
    ['semver_gt: prerelease ranks below its release', { appVersion: '2.0.0-rc.1' }, MISS],
    ['semver_gt: numeric, not lexical', { appVersion: '10.0.0' }, MATCH],
    ['semver_gt: below', { appVersion: '1.99.99' }, MISS],
    ['semver_gt: not a version', { appVersion: 'banana' }, MISS],
    ['semver_gt: leading zero is invalid', { appVersion: '02.0.1' }, MISS],
    ['semver_gt: missing', {}, MISS],
  ]),
  ...rows('op-semver-gte', [
    ['semver_gte: equal prerelease', { appVersion: '2.0.0-beta.2' }, MATCH],
    ['semver_gte: numeric identifiers compare as numbers', { appVersion: '2.0.0-beta.11' }, MATCH],
    ['semver_gte: fewer identifiers rank lower', { appVersion: '2.0.0-beta' }, MISS],
    ['semver_gte: alpha < beta', { appVersion: '2.0.0-alpha.9' }, MISS],
    ['semver_gte: rc > beta', { appVersion: '2.0.0-rc.1' }, MATCH],
    ['semver_gte: release above its prereleases', { appVersion: '2.0.0' }, MATCH],
  ]),
  ...rows('op-semver-lt', [
    ['semver_lt: prerelease of the value', { appVersion: '1.0.0-alpha' }, MATCH],
    ['semver_lt: lower release', { appVersion: '0.9.9' }, MATCH],
    ['semver_lt: equal', { appVersion: '1.0.0' }, MISS],
  ]),
  ...rows('op-semver-lte', [
    ['semver_lte: shorter prerelease', { appVersion: '1.0.0-alpha' }, MATCH],
    ['semver_lte: equal', { appVersion: '1.0.0-alpha.1' }, MATCH],
    ['semver_lte: alphanumeric identifier ranks above numeric', { appVersion: '1.0.0-alpha.beta' }, MISS],
    ['semver_lte: numeric identifier ranks below alphanumeric', { appVersion: '1.0.0-1' }, MATCH],
  ]),
  ...rows('op-before', [
    ['before: earlier ISO instant', { signupDate: '2023-12-31T23:59:59Z' }, MATCH],
    ['before: the same instant as a date', { signupDate: '2024-01-01' }, MISS],
    ['before: offset applied', { signupDate: '2024-01-01T01:00:00+02:00' }, MATCH],
    ['before: epoch ms one before', { signupDate: 1704067199999 }, MATCH],
    ['before: epoch ms equal', { signupDate: 1704067200000 }, MISS],
    ['before: not a date', { signupDate: 'yesterday' }, MISS],
    ['before: missing', {}, MISS],
  ]),
  ...rows('op-after', [
    ['after: one millisecond later', { signupDate: '2024-01-01T00:00:00.001Z' }, MATCH],
    ['after: equal', { signupDate: '2024-01-01T00:00:00Z' }, MISS],
    ['after: later date', { signupDate: '2024-06-01' }, MATCH],
    ['after: no time zone means UTC', { signupDate: '2024-01-01T00:00:01' }, MATCH],
    ['after: impossible date', { signupDate: '2024-02-30' }, MISS],
    ['after: wrong type', { signupDate: true }, MISS],
  ]),
  ...rows('op-exists', [
    ['exists: false is a value', { beta: false }, MATCH],
    ['exists: zero is a value', { beta: 0 }, MATCH],
    ['exists: empty array is a value', { beta: [] }, MATCH],
    ['exists: null is missing', { beta: null }, MISS],
    ['exists: absent', {}, MISS],
  ]),
  ...rows('op-not-exists', [
    ['not_exists: absent', {}, MATCH],
    ['not_exists: null', { beta: null }, MATCH],
    ['not_exists: present', { beta: false }, MISS],
    ['not_exists: null context is empty', null, MATCH],
    ['not_exists: array context is empty', [1, 2], MATCH],
  ]),
  ...rows('op-in-segment', [
    ['in_segment: included', { targetingKey: 'u-inc' }, MATCH],
    [
      'in_segment: excluded even when conditions match',
      { targetingKey: 'u-exc', email: 'x@beta.example' },
      MISS,
    ],
    ['in_segment: conditions match', { targetingKey: 'u-other', email: 'x@beta.example' }, MATCH],
    ['in_segment: neither', { targetingKey: 'u-other', email: 'x@home.example' }, MISS],
    ['in_segment: conditions match without a unit', { email: 'x@beta.example' }, MATCH],
    ['in_segment: userId when no targetingKey', { userId: 'u-inc' }, MATCH],
  ]),
  ...rows('op-in-segment-attr', [
    ['in_segment by attribute: included', { accountId: 'acct-1' }, MATCH],
    ['in_segment by attribute: array element included', { accountId: ['acct-9', 'acct-1'] }, MATCH],
    ['in_segment by attribute: targetingKey is not the attribute', { targetingKey: 'acct-1' }, MISS],
    ['in_segment by attribute: not included', { accountId: 'acct-2' }, MISS],
  ]),
  ...rows('op-not-in-segment', [
    ['not_in_segment: outside', { targetingKey: 'u-other', email: 'x@home.example' }, MATCH],
    ['not_in_segment: included', { targetingKey: 'u-inc' }, MISS],
    ['not_in_segment: no unit is false', { email: 'x@home.example' }, MISS],
    ['not_in_segment: excluded', { targetingKey: 'u-exc', email: 'x@beta.example' }, MATCH],
  ]),
  ...rows('op-in-unknown-segment', [
    ['in_segment: an unknown segment has no members', { targetingKey: 'u-inc' }, MISS],
  ]),
  ...rows('op-in-cidr', [
    ['in_cidr: IPv4 in /8', { ip: '10.1.2.3' }, MATCH],
    ['in_cidr: IPv4 outside', { ip: '11.0.0.1' }, MISS],
    ['in_cidr: IPv4 /24 upper edge', { ip: '192.168.1.255' }, MATCH],
    ['in_cidr: IPv4 next /24', { ip: '192.168.2.1' }, MISS],
    ['in_cidr: IPv6 in /32', { ip: '2001:db8::1' }, MATCH],
    ['in_cidr: IPv6 outside', { ip: '2001:db9::1' }, MISS],
    ['in_cidr: IPv6 expanded form', { ip: '2001:0db8:0000:0000:0000:0000:0000:0001' }, MATCH],
    ['in_cidr: IPv4-mapped IPv6 matches IPv4 ranges', { ip: '::ffff:10.0.0.1' }, MATCH],
    ['in_cidr: leading zeros are not accepted', { ip: '010.1.2.3' }, MISS],
    ['in_cidr: not an address', { ip: 'not-an-ip' }, MISS],
    ['in_cidr: missing', {}, MISS],
    ['in_cidr: array with one inside', { ip: ['8.8.8.8', '10.0.0.1'] }, MATCH],
    ['in_cidr: number is the wrong type', { ip: 167772161 }, MISS],
  ]),
  ...rows('op-in-cidr-host', [
    ['in_cidr: single address', { ip: '203.0.113.7' }, MATCH],
    ['in_cidr: next address', { ip: '203.0.113.8' }, MISS],
  ]),
  ...rows('op-nested', [
    ['nested path: match', { device: { os: 'ios' } }, MATCH],
    ['nested path: other value', { device: { os: 'android' } }, MISS],
    ['nested path: parent is a string', { device: 'ios' }, MISS],
    ['nested path: a dotted key is not a path', { 'device.os': 'ios' }, MISS],
    ['nested path: no traversal through arrays', { device: [{ os: 'ios' }] }, MISS],
    ['nested path: missing parent', {}, MISS],
  ]),
  ...rows('op-deep', [
    ['deep path: match', { a: { b: { c: 2 } } }, MATCH],
    ['deep path: array at the leaf', { a: { b: { c: [0, 5] } } }, MATCH],
    ['deep path: missing middle', { a: {} }, MISS],
  ]),
  ...rows('op-proto', [
    ['inherited properties are not attributes', {}, MISS],
    ['an own property of that name is', { constructor: 'x' }, MATCH],
  ]),
  ...rows('tree-all', [
    ['all: every child matches', { plan: 'pro', country: 'US' }, MATCH],
    ['all: one child fails', { plan: 'pro', country: 'DE' }, MISS],
  ]),
  ...rows('tree-any', [
    ['any: second child matches', { beta: true }, MATCH],
    ['any: no child matches', { plan: 'free' }, MISS],
  ]),
  ...rows('tree-not', [
    ['not: negates a false clause', { plan: 'free' }, MATCH],
    ['not: a missing attribute makes the clause false, so not is true', {}, MATCH],
    ['not: negates a true clause', { plan: 'pro' }, MISS],
  ]),
  ...rows('tree-nested', [
    ['nested tree: country and not competitor', { country: 'CA', email: 'a@b.example' }, MATCH],
    ['nested tree: ip and not competitor', { ip: '10.9.9.9' }, MATCH],
    ['nested tree: competitor', { country: 'US', email: 'a@competitor.example' }, MISS],
  ]),
  ...rows('rule-order', [
    [
      'first matching rule wins',
      { country: 'US', plan: 'pro' },
      { value: 'US experience', variation: 'us', reason: 'TARGETING_MATCH', ruleId: 'us-first' },
    ],
    [
      'second rule',
      { plan: 'pro' },
      { value: 'Pro experience', variation: 'pro', reason: 'TARGETING_MATCH', ruleId: 'pro-second' },
    ],
    ['fallthrough', {}, { value: 'Default experience', variation: 'default', reason: 'DEFAULT' }],
  ]),
  ...rows('kind-number', [
    [
      'number flag: rule',
      { plan: 'enterprise' },
      { value: 2.5e6, variation: 'large', reason: 'TARGETING_MATCH', ruleId: 'big-plan' },
    ],
    ['number flag: fallthrough', {}, { value: 10, variation: 'small', reason: 'DEFAULT' }],
  ]),
  ...rows('kind-json', [
    [
      'json flag: rule',
      { hour: 21 },
      {
        value: { theme: 'dark', sizes: [1, 2, 3], beta: null },
        variation: 'dark',
        reason: 'TARGETING_MATCH',
        ruleId: 'night',
      },
    ],
    [
      'json flag: fallthrough',
      { hour: 9 },
      { value: { theme: 'light', sizes: [], nested: { deep: true } }, variation: 'light', reason: 'DEFAULT' },
    ],
  ]),
  ...rows('disabled', [
    [
      'off: offVariation whatever the rules',
      { plan: 'pro' },
      { value: false, variation: 'off', reason: 'DISABLED' },
    ],
  ]),
  ...rows('prereq-child', [
    [
      'prerequisite served the named variation',
      { plan: 'pro' },
      { value: true, variation: 'on', reason: 'DEFAULT' },
    ],
    [
      'prerequisite not met',
      { plan: 'free' },
      { value: false, variation: 'off', reason: 'PREREQUISITE_FAILED' },
    ],
  ]),
  ...rows('prereq-grandchild', [
    ['prerequisites chain: met', { plan: 'pro' }, { value: true, variation: 'on', reason: 'DEFAULT' }],
    ['prerequisites chain: not met', {}, { value: false, variation: 'off', reason: 'PREREQUISITE_FAILED' }],
  ]),
  ...rows('prereq-requires-off', [
    [
      'a disabled prerequisite serves its offVariation, which may be the one required',
      {},
      { value: true, variation: 'on', reason: 'DEFAULT' },
    ],
  ]),
  ...rows('prereq-missing', [
    [
      'unknown prerequisite flag fails',
      {},
      { value: false, variation: 'off', reason: 'PREREQUISITE_FAILED' },
    ],
  ]),
  ...rows('cycle-a', [['prerequisite cycle is an error', { plan: 'pro' }, error('GENERAL')]]),
  ...rows('cycle-b', [['prerequisite cycle is an error (other end)', {}, error('GENERAL')]]),
  ...rows('split-fallthrough', [
    ['split without a unit', { plan: 'pro' }, error('TARGETING_KEY_MISSING')],
    ['split with an empty targetingKey and no userId', { targetingKey: '' }, error('TARGETING_KEY_MISSING')],
    ['split with a non-integer targetingKey', { targetingKey: 1.5 }, error('TARGETING_KEY_MISSING')],
    ['split with a null context', null, error('TARGETING_KEY_MISSING')],
  ]),
  ...rows('split-rule', [
    [
      'rule split without its bucketBy attribute',
      { country: 'US' },
      error('TARGETING_KEY_MISSING', 'us-split'),
    ],
    ['rule split not reached', { country: 'DE' }, { value: 'C', variation: 'c', reason: 'DEFAULT' }],
  ]),
  ...rows('split-zero', [
    [
      '0% allocation never serves',
      { targetingKey: 'anyone' },
      { value: false, variation: 'off', reason: 'SPLIT' },
    ],
  ]),
  ...rows('split-full', [
    [
      '100% allocation always serves',
      { targetingKey: 'anyone' },
      { value: true, variation: 'on', reason: 'SPLIT' },
    ],
  ]),
  ...rows(
    'client-flag',
    [['client-side flag for a client key', {}, { value: true, variation: 'on', reason: 'DEFAULT' }]],
    {
      clientSideOnly: true,
    },
  ),
  ...rows('op-eq', [['server-only flag for a client key', { plan: 'pro' }, error('FLAG_NOT_FOUND')]], {
    clientSideOnly: true,
  }),
  ...rows('op-eq', [['asked as a string', { plan: 'pro' }, error('TYPE_MISMATCH')]], { kind: 'string' }),
  ...rows('op-eq', [['asked as a boolean', { plan: 'pro' }, MATCH]], { kind: 'boolean' }),
  ...rows('no-such-flag', [['unknown flag', {}, error('FLAG_NOT_FOUND')]]),
  ...rows('broken-flag', [['a flag that does not compile (unknown operator)', {}, error('PARSE_ERROR')]]),
];

/** Split cases: units whose buckets come from the Python reference, mapped to allocations here. */
interface SplitCase {
  description: string;
  flagKey: string;
  context: Record<string, unknown>;
  salt: string;
  unit: string;
  allocations: [variation: string, value: unknown, weight: number][];
  ruleId?: string;
}

function splitCases(): SplitCase[] {
  const cases: SplitCase[] = [];
  const fallthrough: SplitCase['allocations'] = [
    ['on', true, 3000],
    ['off', false, 7000],
  ];
  for (let i = 0; i < 12; i++) {
    const unit = `unit-${i}`;
    cases.push({
      description: `30/70 split, targetingKey ${unit}`,
      flagKey: 'split-fallthrough',
      context: { targetingKey: unit },
      salt: 'split-fallthrough',
      unit,
      allocations: fallthrough,
    });
  }
  cases.push(
    {
      description: '30/70 split, userId when targetingKey is absent',
      flagKey: 'split-fallthrough',
      context: { userId: 'user-7' },
      salt: 'split-fallthrough',
      unit: 'user-7',
      allocations: fallthrough,
    },
    {
      description: '30/70 split, integer targetingKey in decimal',
      flagKey: 'split-fallthrough',
      context: { targetingKey: 12345 },
      salt: 'split-fallthrough',
      unit: '12345',
      allocations: fallthrough,
    },
    {
      description: '30/70 split, targetingKey wins over userId',
      flagKey: 'split-fallthrough',
      context: { targetingKey: 'unit-3', userId: 'user-7' },
      salt: 'split-fallthrough',
      unit: 'unit-3',
      allocations: fallthrough,
    },
    {
      description: '30/70 split, unicode targetingKey',
      flagKey: 'split-fallthrough',
      context: { targetingKey: 'ユーザー🚀' },
      salt: 'split-fallthrough',
      unit: 'ユーザー🚀',
      allocations: fallthrough,
    },
  );
  for (const company of ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'wayne']) {
    cases.push({
      description: `rule split by company.id ${company}`,
      flagKey: 'split-rule',
      context: { country: 'US', company: { id: company } },
      salt: 'split-rule',
      unit: company,
      allocations: [
        ['a', 'A', 5000],
        ['b', 'B', 5000],
      ],
      ruleId: 'us-split',
    });
  }
  for (let i = 0; i < 10; i++) {
    cases.push({
      description: `three-way split with salt exp-2024, user ${i}`,
      flagKey: 'split-three-way',
      context: { targetingKey: `user-${i}` },
      salt: 'exp-2024',
      unit: `user-${i}`,
      allocations: [
        ['control', 'control', 2500],
        ['treatment-1', 't1', 2500],
        ['treatment-2', 't2', 5000],
      ],
    });
  }
  return cases;
}

function resolveSplitCases(cases: SplitCase[]): EvaluationCase[] {
  const buckets = pythonReference(cases.map((c) => [c.salt, c.unit]));
  return cases.map((c, i) => {
    const bucket = buckets[i]![1];
    let upper = 0;
    const allocation = c.allocations.find(([, , weight]) => bucket < (upper += weight))!;
    return {
      description: `${c.description} (bucket ${bucket})`,
      flagKey: c.flagKey,
      context: c.context,
      expected: {
        value: allocation[1],
        variation: allocation[0],
        reason: 'SPLIT',
        ...(c.ruleId === undefined ? {} : { ruleId: c.ruleId }),
      },
    };
  });
}

/** The fields of a result that the vectors fix (errorMessage is free text). */
export function comparable(result: object): Expected {
  const { value, variation, reason, ruleId, errorCode } = result as Expected;
  return {
    value,
    variation,
    reason,
    ...(ruleId === undefined ? {} : { ruleId }),
    ...(errorCode === undefined ? {} : { errorCode }),
  };
}

function checkAgainstEngine(cases: EvaluationCase[]): void {
  const engine = compileRuleset(RULESET);
  const failures = cases.filter((c) => {
    const actual = comparable(engine.evaluate(c.flagKey, c.context, c.options));
    return JSON.stringify(actual) !== JSON.stringify(c.expected);
  });
  if (failures.length > 0) {
    for (const f of failures) {
      console.error(
        f.description,
        JSON.stringify(comparable(engine.evaluate(f.flagKey, f.context, f.options))),
      );
    }
    throw new Error(`${failures.length} evaluation vectors disagree with the engine`);
  }
}

async function writeJson(name: string, data: unknown): Promise<void> {
  const file = join(HERE, name);
  const options = (await resolveConfig(file)) ?? {};
  writeFileSync(file, await format(JSON.stringify(data), { ...options, parser: 'json' }));
}

async function main(): Promise<void> {
  const bucketing = bucketingCases();
  await writeJson('bucketing.json', {
    description:
      'Switchyard bucketing contract (SPEC 2.3). hash = murmurhash3_x86_32(utf8(salt + "/" + unitId), seed 0); bucket = floor(hash * 10000 / 2^32). Lone surrogates are encoded as U+FFFD (cases marked loneSurrogate).',
    hashVersion: 1,
    generatedBy: 'test/vectors/generate.ts; expected values from test/vectors/murmur3_reference.py',
    cases: bucketing,
  });

  const cases = [...HAND_WRITTEN, ...resolveSplitCases(splitCases())];
  checkAgainstEngine(cases);
  await writeJson('evaluation.json', {
    description:
      'Switchyard evaluation contract (SPEC 2.1-2.3): evaluate(flagKey, context, options?) on this ruleset must give `expected` (errorMessage is free text and not compared).',
    generatedBy:
      'test/vectors/generate.ts (expectations written by hand; split buckets from murmur3_reference.py)',
    ruleset: RULESET,
    cases,
  });
  process.stdout.write(`bucketing: ${bucketing.length} cases; evaluation: ${cases.length} cases\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
