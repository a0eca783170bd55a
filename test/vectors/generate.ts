/**
 * Writes the SDK contract vectors (SPEC §2.3, §4):
 *
 *   test/vectors/bucketing.json   salt/unitId → hash, bucket; expected values from the independent Python
 *                                 reference (murmur3_reference.py), which the TypeScript engine must match
 *   test/vectors/evaluation.json  one ruleset + contexts → expected resolution; expectations written by hand
 *                                 below (split cases: bucket from the Python reference, mapped to ranges here)
 *   test/vectors/assignments.json one ruleset with experiments + contexts → expected assignments (SPEC §2.4);
 *                                 expectations from a small model written here (unit, eligibility, layer slot,
 *                                 variant ranges) fed with buckets from the Python reference, not from the engine
 *
 *   npx tsx test/vectors/generate.ts
 *
 * The script refuses to write when the engine disagrees with any expectation, so a change in semantics has
 * to be made here, on purpose, and reviewed in the diff of the JSON.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { format, resolveConfig } from 'prettier';
import { bucketOf, compileRuleset, murmur3 } from '../../shared/rules';
import type {
  Clause,
  EvaluateOptions,
  JsonValue,
  Ruleset,
  RulesetExperiment,
  RulesetFlag,
  RulesetVariant,
  Serve,
} from '../../shared/rules';

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
    maxBuffer: 1 << 28,
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
  experimentKey?: string;
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
  const { value, variation, reason, ruleId, experimentKey, errorCode } = result as Expected;
  return {
    value,
    variation,
    reason,
    ...(ruleId === undefined ? {} : { ruleId }),
    ...(experimentKey === undefined ? {} : { experimentKey }),
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

// ---- assignments -----------------------------------------------------------------------------------------

function variant(key: string, weight: number, payload?: JsonValue, isControl = false): RulesetVariant {
  return { key, weight, isControl, ...(payload === undefined ? {} : { payload }) };
}

/** What the publisher emits for an ACTIVE experiment (shared/rules/types.ts RulesetExperiment). */
function experiment(
  key: string,
  variants: RulesetVariant[],
  trafficAllocation: number,
  fields: Partial<RulesetExperiment> = {},
): RulesetExperiment {
  return { key, variants, trafficAllocation, unitAttribute: 'userId', ...fields };
}

const ASSIGNMENT_RULESET: Ruleset = {
  revision: 7,
  hashVersion: 1,
  segments: [],
  layers: [{ key: 'homepage' }, { key: 'checkout', salt: 'checkout-layer-v2' }],
  experiments: [
    experiment(
      'hero-banner',
      [
        variant('control', 4000, { image: 'classic.png' }, true),
        variant('bold', 6000, { image: 'bold.png', cta: 'Shop now' }),
      ],
      10000,
      { layer: 'homepage', layerRange: [0, 3500] },
    ),
    experiment(
      'hero-copy',
      [
        variant('control', 3334, undefined, true),
        variant('short', 3333, 'Buy now.'),
        variant('long', 3333, 'Everything you need, delivered tomorrow.'),
      ],
      8000,
      { layer: 'homepage', layerRange: [3500, 7000] },
    ),
    experiment(
      'nav-redesign',
      [
        variant('control', 5000, { layout: 'top' }, true),
        variant('sidebar', 2500, { layout: 'sidebar' }),
        variant('mega-menu', 2500, { layout: 'mega', columns: 4 }),
      ],
      10000,
      {
        conditions: { attribute: 'platform', op: 'in', values: ['web', 'desktop'] },
        layer: 'homepage',
        layerRange: [7500, 10000],
      },
    ),
    experiment(
      'checkout-flow',
      [variant('control', 2000, { steps: 3 }, true), variant('one-page', 8000, { steps: 1 })],
      3500,
      {
        conditions: {
          all: [
            { attribute: 'country', op: 'in', values: ['US', 'CA', 'GB'] },
            { not: { attribute: 'plan', op: 'eq', values: ['enterprise'] } },
          ],
        },
        layer: 'checkout',
        layerRange: [0, 6000],
      },
    ),
    experiment(
      'checkout-button',
      [
        variant('control', 1000, { color: 'grey' }, true),
        variant('green', 2000, 0),
        variant('blue', 3000, false),
        variant('orange', 4000, ['orange', 'large']),
      ],
      10000,
      { layer: 'checkout', layerRange: [6000, 9000] },
    ),
    experiment(
      'pricing-test',
      [
        variant('control', 5000, null, true),
        variant('monthly-first', 2500, { discount: 0.1 }),
        variant('annual-first', 2500, { discount: 0.2, badge: 'Best value' }),
      ],
      8000,
      { conditions: { attribute: 'plan', op: 'in', values: ['free', 'trial'] }, flagKey: 'pricing-page' },
    ),
    experiment(
      'search-ranking',
      [variant('control', 7000, undefined, true), variant('semantic', 3000, { model: 'embed-v2' })],
      6666,
      { unitAttribute: 'account.id', salt: 'search-2024-q3' },
    ),
    experiment(
      'onboarding-tour',
      [
        variant('control', 4500, undefined, true),
        variant('guided', 5500, { steps: ['welcome', 'profile', 'invite'] }),
      ],
      10000,
      {
        unitAttribute: 'deviceId',
        conditions: { attribute: 'appVersion', op: 'semver_gte', values: ['3.0.0'] },
      },
    ),
    experiment('frozen-test', [variant('control', 3000, 'c', true), variant('treatment', 7000, 't')], 0),
    // Refused on write; a revision that still carries them must treat them as not running.
    experiment('broken-weights', [variant('a', 5000, null, true), variant('b', 4000)], 10000),
    experiment('orphan-layer', [variant('control', 5000, null, true), variant('treatment', 5000)], 10000, {
      layer: 'no-such-layer',
      layerRange: [0, 5000],
    }),
  ],
  flags: [
    flag('pricing-enabled', {
      rules: [
        {
          id: 'kill-switch',
          conditions: { attribute: 'blocked', op: 'eq', values: [true] },
          serve: { variation: 'off' },
        },
      ],
      fallthrough: { variation: 'on' },
    }),
    {
      key: 'pricing-page',
      kind: 'string',
      variations: [
        { key: 'control', value: 'standard' },
        { key: 'monthly-first', value: 'monthly' },
        { key: 'annual-first', value: 'annual' },
      ],
      enabled: true,
      offVariation: 'control',
      prerequisites: [{ flagKey: 'pricing-enabled', variation: 'on' }],
      rules: [
        {
          id: 'mobile',
          conditions: { attribute: 'platform', op: 'eq', values: ['ios'] },
          serve: { variation: 'annual-first' },
        },
      ],
      fallthrough: { variation: 'control' },
    },
  ],
};

// The model the expectations come from: written here from the contract (docs/rules.md §2), not from
// shared/rules/experiments.ts, and fed with buckets from the Python reference.

type Ctx = Readonly<Record<string, unknown>>;
type BucketFn = (salt: string, unit: string) => number;

const isObject = (value: unknown): value is Ctx =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
/** A context that is not an object is an empty context. */
const asContext = (context: unknown): Ctx => (isObject(context) ? context : {});
/** A clause reads the elements of an array, else the value itself; null and undefined are missing. */
const elements = (value: unknown): unknown[] =>
  value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];
const isOneOf = (value: unknown, values: readonly unknown[]): boolean =>
  elements(value).some((e) => values.includes(e));

/** A unit id: a non-empty string, or a safe integer written in decimal; anything else is no unit. */
function usableUnit(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value.toFixed(0);
  return undefined;
}

/** `semver_gte 3.0.0`, decided by hand for every version the cases use. */
const AT_LEAST_3_0_0: Record<string, boolean> = {
  '2.9.1': false,
  '3.0.0': true,
  '3.0.0-rc.1': false,
  '3.1.0-beta.1': true,
  '10.0.0': true,
  'v3.2.0': true,
  '3.0': false,
};

function atLeast300(version: unknown): boolean {
  if (typeof version !== 'string') return false;
  const answer = AT_LEAST_3_0_0[version];
  if (answer === undefined) throw new Error(`decide semver_gte 3.0.0 for ${version} in AT_LEAST_3_0_0`);
  return answer;
}

/** The unit of each unitAttribute the ruleset uses. */
const UNIT_OF: Record<string, (context: Ctx) => string | undefined> = {
  userId: (c) => usableUnit(c.userId) ?? usableUnit(c.targetingKey),
  'account.id': (c) => (isObject(c.account) ? usableUnit(c.account.id) : undefined),
  deviceId: (c) => usableUnit(c.deviceId),
};

/** Each experiment's eligibility conditions, by hand. */
const ELIGIBLE: Record<string, (context: Ctx) => boolean> = {
  'nav-redesign': (c) => isOneOf(c.platform, ['web', 'desktop']),
  'checkout-flow': (c) => isOneOf(c.country, ['US', 'CA', 'GB']) && !isOneOf(c.plan, ['enterprise']),
  'pricing-test': (c) => isOneOf(c.plan, ['free', 'trial']),
  'onboarding-tour': (c) => elements(c.appVersion).some(atLeast300),
};

const NOT_RUNNING_IN_RULESET = new Set(['broken-weights', 'orphan-layer']);

interface ExperimentModel {
  readonly key: string;
  readonly salt: string;
  readonly traffic: number;
  readonly variants: readonly RulesetVariant[];
  readonly unit: (context: Ctx) => string | undefined;
  readonly eligible: (context: Ctx) => boolean;
  readonly layer?: {
    readonly key: string;
    readonly salt: string;
    readonly start: number;
    readonly end: number;
  };
}

const MODELS = new Map<string, ExperimentModel>(
  ASSIGNMENT_RULESET.experiments!.filter((e) => !NOT_RUNNING_IN_RULESET.has(e.key)).map((e) => {
    const unit = UNIT_OF[e.unitAttribute];
    if (unit === undefined) throw new Error(`no unit model for ${e.unitAttribute}`);
    if ((e.conditions === undefined) !== (ELIGIBLE[e.key] === undefined)) {
      throw new Error(`eligibility model of ${e.key} out of step with its conditions`);
    }
    const layer = ASSIGNMENT_RULESET.layers!.find((l) => l.key === e.layer);
    const model: ExperimentModel = {
      key: e.key,
      salt: e.salt ?? e.key,
      traffic: e.trafficAllocation,
      variants: e.variants,
      unit,
      eligible: ELIGIBLE[e.key] ?? (() => true),
      ...(layer === undefined
        ? {}
        : {
            layer: {
              key: layer.key,
              salt: layer.salt ?? layer.key,
              start: e.layerRange![0],
              end: e.layerRange![1],
            },
          }),
    };
    return [e.key, model];
  }),
);
const RUNNING = [...MODELS.keys()];

/** Variant i owns [start_i, start_i + floor(w_i × traffic / 10000)), start_i the sum of the weights before it. */
function modelRanges(model: ExperimentModel): { variant: RulesetVariant; start: number; end: number }[] {
  let start = 0;
  return model.variants.map((v) => {
    const range = { variant: v, start, end: start + Math.floor((v.weight * model.traffic) / 10000) };
    start += v.weight;
    return range;
  });
}

interface ExpectedAssignment {
  experimentKey: string;
  variant: string | null;
  payload: JsonValue;
  inExperiment: boolean;
  reason: string;
}

function expectAssignment(key: string, context: unknown, unitId: string | undefined, bucket: BucketFn) {
  const answer = (reason: string, v?: RulesetVariant): ExpectedAssignment => ({
    experimentKey: key,
    variant: v?.key ?? null,
    payload: v?.payload ?? null,
    inExperiment: reason === 'ASSIGNED',
    reason,
  });
  const model = MODELS.get(key);
  if (model === undefined) return answer('NOT_RUNNING');
  const ctx = asContext(context);
  const unit = unitId ?? model.unit(ctx);
  if (unit === undefined) return answer('UNIT_MISSING');
  // Both buckets up front, so that a first pass collects every pair the Python reference has to hash.
  const layerBucket = model.layer === undefined ? undefined : bucket(model.layer.salt, unit);
  const experimentBucket = bucket(model.salt, unit);
  if (!model.eligible(ctx)) return answer('NOT_ELIGIBLE');
  if (model.layer !== undefined && !(layerBucket! >= model.layer.start && layerBucket! < model.layer.end)) {
    return answer('OUTSIDE_LAYER');
  }
  const hit = modelRanges(model).find((r) => experimentBucket >= r.start && experimentBucket < r.end);
  return hit === undefined ? answer('OUTSIDE_TRAFFIC') : answer('ASSIGNED', hit.variant);
}

const PRICING_FLAG = 'pricing-page';
const PRICING_EXPERIMENT = 'pricing-test';
const PRICING_VALUES: Record<string, string> = {
  control: 'standard',
  'monthly-first': 'monthly',
  'annual-first': 'annual',
};

/** `pricing-page`: prerequisite pricing-enabled = on, then the experiment, then rule `mobile`, fallthrough. */
function expectPricingPage(context: unknown, bucket: BucketFn): Expected {
  const ctx = asContext(context);
  if (isOneOf(ctx.blocked, [true])) {
    return { value: 'standard', variation: 'control', reason: 'PREREQUISITE_FAILED' };
  }
  const assignment = expectAssignment(PRICING_EXPERIMENT, context, undefined, bucket);
  if (assignment.reason === 'ASSIGNED') {
    const variation = assignment.variant!;
    return {
      value: PRICING_VALUES[variation],
      variation,
      reason: 'SPLIT',
      experimentKey: PRICING_EXPERIMENT,
    };
  }
  if (isOneOf(ctx.platform, ['ios'])) {
    return { value: 'annual', variation: 'annual-first', reason: 'TARGETING_MATCH', ruleId: 'mobile' };
  }
  return { value: 'standard', variation: 'control', reason: 'DEFAULT' };
}

interface AssignmentSpec {
  description: string;
  context: unknown;
  unitId?: string;
  experiments?: string[];
  /** A unit a wrong implementation would take instead (the other attribute…): the case must tell them apart. */
  notUnit?: string;
  /** The reasons the description promises (assignments, the flag's), checked so that it stays true. */
  reasons?: string[];
  flagReason?: string;
}

interface AssignmentCase {
  description: string;
  context: unknown;
  unitId?: string;
  experiments?: string[];
  expected: ExpectedAssignment[];
  /** `evaluate(flagKey, context)` of the flag the experiment backs (no unitId: flags take the context's unit). */
  flag?: { flagKey: string; expected: Expected };
}

const COUNTRIES = ['US', 'CA', 'GB', 'DE', 'FR', 'JP'];
const PLANS = ['free', 'trial', 'pro', 'enterprise'];
const PLATFORMS = ['web', 'ios', 'desktop', 'android'];
const VERSIONS = ['2.9.1', '3.0.0', '3.1.0-beta.1', '3.0.0-rc.1', '10.0.0'];
/** Eligible for every experiment with conditions but onboarding-tour (no appVersion). */
const ELIGIBLE_CONTEXT = { plan: 'free', country: 'US', platform: 'web' };
/** Experiments that tell units apart: several salts and layers. */
const UNIT_PROBES = ['pricing-test', 'checkout-button', 'hero-banner', 'hero-copy'];

function populationSpecs(): AssignmentSpec[] {
  return Array.from({ length: 30 }, (_, i) => {
    const context: Record<string, unknown> = {
      userId: `user-${i}`,
      country: COUNTRIES[i % COUNTRIES.length],
      plan: PLANS[i % PLANS.length],
      platform: PLATFORMS[i % PLATFORMS.length],
      appVersion: VERSIONS[i % VERSIONS.length],
    };
    if (i % 7 !== 6) context.deviceId = `device-${i}`;
    if (i % 5 !== 4) context.account = { id: i % 3 === 0 ? 50000 + i : `acct-${i}` };
    return { description: `every running experiment, user-${i}`, context };
  });
}

function sweepSpecs(): AssignmentSpec[] {
  const specs: AssignmentSpec[] = [];
  const sweep = (key: string, count: number, context: (i: number) => Record<string, unknown>, what = '') => {
    for (let i = 0; i < count; i++) {
      const c = context(i);
      specs.push({
        description: `${key}: ${what === '' ? '' : `${what}, `}${JSON.stringify(c)}`,
        context: c,
        experiments: [key],
      });
    }
  };
  sweep('hero-banner', 15, (i) => ({ userId: `hb-${i}` }));
  sweep('hero-copy', 15, (i) => ({ userId: `hc-${i}` }));
  const platforms: unknown[] = ['web', 'desktop', 'ios', ['ios', 'web'], undefined];
  sweep('nav-redesign', 15, (i) => ({
    userId: `nav-${i}`,
    ...(platforms[i % 5] === undefined ? {} : { platform: platforms[i % 5] }),
  }));
  const plans: unknown[] = ['free', 'pro', 'enterprise', undefined];
  sweep('checkout-flow', 20, (i) => ({
    userId: `co-${i}`,
    country: COUNTRIES[i % COUNTRIES.length],
    ...(plans[i % 4] === undefined ? {} : { plan: plans[i % 4] }),
  }));
  sweep('checkout-button', 15, (i) => (i % 2 === 0 ? { userId: `cb-${i}` } : { targetingKey: `cb-${i}` }));
  sweep('pricing-test', 25, (i) => ({
    userId: `pt-${i}`,
    plan: PLANS[i % PLANS.length],
    platform: i % 3 === 0 ? 'ios' : 'web',
    ...(i % 6 === 5 ? { blocked: true } : {}),
  }));
  sweep('search-ranking', 15, (i) => ({ account: { id: i % 2 === 0 ? 70000 + i : `acct-${i}` } }));
  sweep('onboarding-tour', 12, (i) => ({
    deviceId: `dev-${i}`,
    appVersion: i === 11 ? 3 : Object.keys(AT_LEAST_3_0_0)[i % 7],
  }));
  sweep('frozen-test', 5, (i) => ({ userId: `ft-${i}` }), '0% traffic');
  return specs;
}

function edgeSpecs(): AssignmentSpec[] {
  const probe = (description: string, context: unknown, fields: Partial<AssignmentSpec> = {}) => ({
    description,
    context,
    experiments: UNIT_PROBES,
    ...fields,
  });
  const bigUnsafe = 2 ** 53;
  return [
    // The default unit: userId, else targetingKey.
    probe('userId is the unit', { ...ELIGIBLE_CONTEXT, userId: 'alice' }, { notUnit: 'bob' }),
    probe(
      'targetingKey when userId is absent',
      { ...ELIGIBLE_CONTEXT, targetingKey: 'bob' },
      { notUnit: 'alice' },
    ),
    probe(
      'userId wins over targetingKey',
      { ...ELIGIBLE_CONTEXT, userId: 'alice', targetingKey: 'bob' },
      {
        notUnit: 'bob',
      },
    ),
    probe(
      'targetingKey when userId is empty',
      { ...ELIGIBLE_CONTEXT, userId: '', targetingKey: 'bob' },
      {
        notUnit: 'alice',
      },
    ),
    probe('targetingKey when userId is null', { ...ELIGIBLE_CONTEXT, userId: null, targetingKey: 'bob' }),
    probe('targetingKey when userId is not an integer', {
      ...ELIGIBLE_CONTEXT,
      userId: 1.5,
      targetingKey: 'bob',
    }),
    probe('targetingKey when userId is beyond 2^53 - 1', {
      ...ELIGIBLE_CONTEXT,
      userId: bigUnsafe,
      targetingKey: 'bob',
    }),
    probe('integer userId in decimal', { ...ELIGIBLE_CONTEXT, userId: 42 }, { notUnit: '42.0' }),
    probe('integer userId, same as the string "42"', { ...ELIGIBLE_CONTEXT, userId: '42' }),
    probe('negative integer userId', { ...ELIGIBLE_CONTEXT, userId: -7 }, { notUnit: '7' }),
    probe('zero userId is a unit', { ...ELIGIBLE_CONTEXT, userId: 0 }),
    probe('largest safe integer userId', { ...ELIGIBLE_CONTEXT, userId: bigUnsafe - 1 }),
    probe('integer targetingKey in decimal', { ...ELIGIBLE_CONTEXT, targetingKey: 12345 }),
    probe('unicode userId', { ...ELIGIBLE_CONTEXT, userId: 'ユーザー🚀' }),
    probe('boolean userId is no unit', { ...ELIGIBLE_CONTEXT, userId: true }),
    probe('array userId is no unit', { ...ELIGIBLE_CONTEXT, userId: ['alice'] }),
    probe('object userId is no unit', { ...ELIGIBLE_CONTEXT, userId: { id: 'alice' } }),
    probe('neither userId nor targetingKey usable', { ...ELIGIBLE_CONTEXT, userId: '', targetingKey: 2.5 }),
    probe(
      'a unit-less context is UNIT_MISSING before eligibility',
      { plan: 'enterprise' },
      {
        reasons: ['UNIT_MISSING', 'UNIT_MISSING', 'UNIT_MISSING', 'UNIT_MISSING'],
      },
    ),
    {
      description: 'a unit-less context that is eligible for nothing: UNIT_MISSING everywhere',
      context: { plan: 'pro', country: 'DE' },
    },
    { description: 'null context: UNIT_MISSING everywhere', context: null },
    { description: 'array context is an empty context', context: ['alice'], experiments: UNIT_PROBES },
    { description: 'string context is an empty context', context: 'alice', experiments: UNIT_PROBES },
    // unitId: the unit of every experiment, whatever their unitAttribute; conditions still read the context.
    {
      description: 'unitId with a null context: conditions see an empty context',
      context: null,
      unitId: 'carol',
    },
    {
      description: 'unitId with an eligible context, every experiment',
      context: { ...ELIGIBLE_CONTEXT, appVersion: '3.0.0' },
      unitId: 'carol',
    },
    probe(
      'unitId wins over userId',
      { ...ELIGIBLE_CONTEXT, userId: 'alice' },
      { unitId: 'grace', notUnit: 'alice' },
    ),
    probe('unitId with a context without unit', ELIGIBLE_CONTEXT, { unitId: 'carol' }),
    probe('unitId does not make an ineligible context eligible', { plan: 'pro' }, { unitId: 'carol' }),
    probe('unicode unitId', ELIGIBLE_CONTEXT, { unitId: 'ユーザー🚀' }),
    {
      description: 'unitId replaces account.id and deviceId too',
      context: { account: { id: 'acct-1' }, deviceId: 'dev-1', appVersion: '3.0.0' },
      unitId: 'carol',
      experiments: ['search-ranking', 'onboarding-tour'],
      notUnit: 'acct-1',
    },
    // account.id: a nested path; no fallback to userId/targetingKey.
    ...(
      [
        ['account.id string', { account: { id: 'acct-1' } }],
        ['account.id integer in decimal', { account: { id: 4711 } }],
        ['account.id string "4711", same as the integer', { account: { id: '4711' } }],
        ['account.id negative integer', { account: { id: -4711 } }],
        ['account.id: a dotted key is not a path', { 'account.id': 'acct-1' }],
        ['account.id: parent is a string', { account: 'acct-1' }],
        ['account.id: no traversal through arrays', { account: [{ id: 'acct-1' }] }],
        ['account.id: empty string is no unit', { account: { id: '' } }],
        ['account.id: non-integer is no unit', { account: { id: 47.11 } }],
        ['account.id: array is no unit', { account: { id: ['acct-1'] } }],
        ['account.id: no fallback to userId or targetingKey', { userId: 'alice', targetingKey: 'bob' }],
      ] as [string, unknown][]
    ).map(([description, context]) => ({ description, context, experiments: ['search-ranking'] })),
    // deviceId: a top-level attribute other than userId; eligibility by semver.
    ...(
      [
        ['deviceId, version 3.0.0', { deviceId: 'dev-a', appVersion: '3.0.0' }],
        ['deviceId integer in decimal', { deviceId: 99, appVersion: '10.0.0' }],
        ['deviceId: no fallback to userId', { userId: 'alice', appVersion: '3.0.0' }],
        ['deviceId, prerelease below 3.0.0', { deviceId: 'dev-a', appVersion: '3.0.0-rc.1' }],
        ['deviceId, leading v accepted', { deviceId: 'dev-a', appVersion: 'v3.2.0' }],
        ['deviceId, "3.0" is not a version', { deviceId: 'dev-a', appVersion: '3.0' }],
        [
          'deviceId, one version of an array qualifies',
          { deviceId: 'dev-a', appVersion: ['2.9.1', '3.1.0-beta.1'] },
        ],
        ['deviceId, version missing', { deviceId: 'dev-a' }],
      ] as [string, unknown][]
    ).map(([description, context]) => ({ description, context, experiments: ['onboarding-tour'] })),
    // Eligibility details.
    ...(
      [
        ['country array with one allowed', { userId: 'derek', country: ['DE', 'US'] }],
        ['country is case-sensitive', { userId: 'derek', country: 'us' }],
        ['plan missing: not(eq enterprise) holds', { userId: 'derek', country: 'CA' }],
        ['plan array containing enterprise', { userId: 'derek', country: 'CA', plan: ['pro', 'enterprise'] }],
        ['plan enterprise', { userId: 'derek', country: 'GB', plan: 'enterprise' }],
      ] as [string, unknown][]
    ).map(([description, context]) => ({
      description: `checkout-flow: ${description}`,
      context,
      experiments: ['checkout-flow'],
    })),
    // The order of the checks: unit, eligibility, layer, traffic.
    {
      description: 'order: not eligible before outside the layer',
      context: { userId: 'ivan', platform: 'ios' },
      experiments: ['nav-redesign'],
      reasons: ['NOT_ELIGIBLE'],
    },
    {
      description: 'order: the same unit when eligible is outside the layer',
      context: { userId: 'ivan', platform: 'web' },
      experiments: ['nav-redesign'],
      reasons: ['OUTSIDE_LAYER'],
    },
    {
      description: 'order: outside the layer, though the experiment bucket is in a variant range',
      context: { ...ELIGIBLE_CONTEXT, userId: 'olive-1' },
      experiments: ['checkout-flow'],
      reasons: ['OUTSIDE_LAYER'],
    },
    ...(
      [
        ['plan trial', { userId: 'erin', plan: 'trial' }, ['ASSIGNED'], 'SPLIT'],
        ['plan "Free" (case-sensitive)', { userId: 'erin', plan: 'Free' }, ['NOT_ELIGIBLE'], 'DEFAULT'],
        [
          'assigned and ios: the experiment comes before the flag rule',
          { userId: 'erin', plan: 'free', platform: 'ios' },
          ['ASSIGNED'],
          'SPLIT',
        ],
        [
          'blocked: the flag fails its prerequisite, the assignment does not care',
          { userId: 'erin', plan: 'free', blocked: true },
          ['ASSIGNED'],
          'PREREQUISITE_FAILED',
        ],
        [
          'blocked "true" is not true',
          { userId: 'erin', plan: 'free', blocked: 'true', platform: 'ios' },
          ['ASSIGNED'],
          'SPLIT',
        ],
        [
          'ios and not eligible: the flag rule serves',
          { userId: 'erin', plan: 'pro', platform: 'ios' },
          ['NOT_ELIGIBLE'],
          'TARGETING_MATCH',
        ],
        [
          'no unit: the flag goes on to its rules',
          { plan: 'free', platform: 'ios' },
          ['UNIT_MISSING'],
          'TARGETING_MATCH',
        ],
        ['no unit and no rule: the flag falls through', { plan: 'free' }, ['UNIT_MISSING'], 'DEFAULT'],
      ] as [string, unknown, string[], string][]
    ).map(([description, context, reasons, flagReason]) => ({
      description: `pricing-test: ${description}`,
      context,
      experiments: ['pricing-test'],
      reasons,
      flagReason,
    })),
    // The experiment list.
    { description: 'unknown experiment', context: { userId: 'alice' }, experiments: ['no-such-experiment'] },
    {
      description: 'unknown experiment without a unit is NOT_RUNNING, not UNIT_MISSING',
      context: {},
      experiments: ['no-such-experiment'],
      reasons: ['NOT_RUNNING'],
    },
    {
      description: 'a flag key is not an experiment',
      context: { userId: 'alice' },
      experiments: ['pricing-page'],
    },
    {
      description: 'experiments a revision carries broken (bad weights, unknown layer) are not running',
      context: { userId: 'alice' },
      experiments: ['broken-weights', 'orphan-layer'],
    },
    {
      description: 'answers in the order asked, unknown keys included',
      context: { ...ELIGIBLE_CONTEXT, userId: 'alice' },
      experiments: ['frozen-test', 'no-such-experiment', 'hero-banner', 'pricing-test', 'hero-copy'],
    },
    {
      description: 'a key asked twice is answered twice',
      context: { userId: 'alice' },
      experiments: ['checkout-button', 'checkout-button'],
    },
    { description: 'an empty list gets no answers', context: { userId: 'alice' }, experiments: [] },
    {
      description: 'every running experiment in reverse order',
      context: {
        ...ELIGIBLE_CONTEXT,
        userId: 'frank',
        deviceId: 'dev-f',
        account: { id: 1 },
        appVersion: '3.0.0',
      },
      experiments: [...RUNNING].reverse(),
    },
  ];
}

/** Units whose bucket sits on a range boundary, found with the Python reference. */
interface BoundaryTarget {
  description: string;
  experiments: string[];
  salt: string;
  bucket: number;
  layer?: ExperimentModel['layer'];
  unitOf: (n: number) => string;
  contextOf: (unit: string) => Record<string, unknown>;
}

/** Buckets around each boundary of a list of [start, end) ranges: start - 1, start, end - 1, end. */
function aroundRanges(ranges: { start: number; end: number }[]): number[] {
  const buckets = new Set<number>();
  for (const { start, end } of ranges) {
    if (start === end) continue;
    for (const b of [start - 1, start, end - 1, end]) if (b >= 0 && b < 10000) buckets.add(b);
  }
  return [...buckets].sort((a, b) => a - b);
}

function boundaryTargets(): BoundaryTarget[] {
  const targets: BoundaryTarget[] = [];
  const userUnit = (n: number) => `u-${n}`;
  const userContext = (unit: string) => ({ ...ELIGIBLE_CONTEXT, userId: unit });
  for (const key of [
    'hero-banner',
    'hero-copy',
    'checkout-flow',
    'checkout-button',
    'pricing-test',
    'search-ranking',
  ]) {
    const model = MODELS.get(key)!;
    const ranges = modelRanges(model);
    const shown = ranges.map((r) => `${r.variant.key} [${r.start}, ${r.end})`).join(', ');
    const numeric = key === 'search-ranking';
    for (const bucket of aroundRanges(ranges)) {
      targets.push({
        description: `${key} at traffic ${model.traffic}: ${shown}; bucket ${bucket}`,
        experiments: [key],
        salt: model.salt,
        bucket,
        ...(model.layer === undefined ? {} : { layer: model.layer }),
        unitOf: numeric ? (n) => String(100000 + n) : userUnit,
        contextOf: numeric ? (unit) => ({ account: { id: Number(unit) } }) : userContext,
      });
    }
  }
  for (const layer of ASSIGNMENT_RULESET.layers!) {
    const members = RUNNING.map((k) => MODELS.get(k)!).filter((m) => m.layer?.key === layer.key);
    const shown = members.map((m) => `${m.key} [${m.layer!.start}, ${m.layer!.end})`).join(', ');
    for (const bucket of aroundRanges(members.map((m) => m.layer!))) {
      targets.push({
        description: `layer ${layer.key} (salt ${layer.salt ?? layer.key}): ${shown}; layer bucket ${bucket}`,
        experiments: members.map((m) => m.key),
        salt: layer.salt ?? layer.key,
        bucket,
        unitOf: userUnit,
        contextOf: userContext,
      });
    }
  }
  return targets;
}

function boundarySpecs(): AssignmentSpec[] {
  const targets = boundaryTargets();
  const found: (string | undefined)[] = targets.map(() => undefined);
  const CHUNK = 20000;
  for (let chunk = 0; chunk < 15 && found.includes(undefined); chunk++) {
    const open = targets.flatMap((t, i) => (found[i] === undefined ? [i] : []));
    const pairs = new Map<string, [string, string]>();
    for (const i of open) {
      const t = targets[i]!;
      for (let j = 0; j < CHUNK; j++) {
        const unit = t.unitOf(chunk * CHUNK + j);
        for (const salt of [t.salt, ...(t.layer === undefined ? [] : [t.layer.salt])]) {
          pairs.set(JSON.stringify([salt, unit]), [salt, unit]);
        }
      }
    }
    const list = [...pairs.values()];
    const reference = pythonReference(list);
    const buckets = new Map(list.map((pair, i) => [JSON.stringify(pair), reference[i]![1]]));
    const bucket = (salt: string, unit: string) => buckets.get(JSON.stringify([salt, unit]))!;
    for (const i of open) {
      const t = targets[i]!;
      for (let j = 0; j < CHUNK && found[i] === undefined; j++) {
        const unit = t.unitOf(chunk * CHUNK + j);
        if (bucket(t.salt, unit) !== t.bucket) continue;
        if (t.layer !== undefined) {
          const b = bucket(t.layer.salt, unit);
          if (b < t.layer.start || b >= t.layer.end) continue;
        }
        found[i] = unit;
      }
    }
  }
  return targets.map((t, i) => {
    const unit = found[i];
    if (unit === undefined) throw new Error(`no unit found for ${t.description}`);
    const description =
      t.experiments.length > 1 ? `${t.description} (unit ${JSON.stringify(unit)})` : t.description;
    return { description, context: t.contextOf(unit), experiments: t.experiments };
  });
}

function resolveAssignmentCases(specs: AssignmentSpec[]): AssignmentCase[] {
  const build = (spec: AssignmentSpec, bucket: BucketFn, final: boolean): AssignmentCase => {
    const keys = spec.experiments ?? RUNNING;
    const expected = keys.map((k) => expectAssignment(k, spec.context, spec.unitId, bucket));
    if (spec.notUnit !== undefined) {
      const other = keys.map((k) => expectAssignment(k, spec.context, spec.notUnit, bucket));
      if (final && isDeepStrictEqual(other, expected)) {
        throw new Error(`"${spec.description}" does not tell its unit from ${spec.notUnit}`);
      }
    }
    if (
      final &&
      spec.reasons !== undefined &&
      !isDeepStrictEqual(
        expected.map((a) => a.reason),
        spec.reasons,
      )
    ) {
      throw new Error(`"${spec.description}" gives ${expected.map((a) => a.reason).join(', ')}`);
    }
    let description = spec.description;
    const model = keys.length === 1 ? MODELS.get(keys[0]!) : undefined;
    const unit = model === undefined ? undefined : (spec.unitId ?? model.unit(asContext(spec.context)));
    if (model !== undefined && unit !== undefined) {
      const layer = model.layer === undefined ? '' : `layer bucket ${bucket(model.layer.salt, unit)}, `;
      description += ` (unit ${JSON.stringify(unit)}: ${layer}bucket ${bucket(model.salt, unit)})`;
    }
    const withFlag = keys.includes(PRICING_EXPERIMENT) && spec.unitId === undefined;
    const flagExpected = withFlag ? expectPricingPage(spec.context, bucket) : undefined;
    if (final && spec.flagReason !== undefined && flagExpected?.reason !== spec.flagReason) {
      throw new Error(`"${spec.description}": the flag gives ${flagExpected?.reason}`);
    }
    return {
      description,
      context: spec.context,
      ...(spec.unitId === undefined ? {} : { unitId: spec.unitId }),
      ...(spec.experiments === undefined ? {} : { experiments: spec.experiments }),
      expected,
      ...(flagExpected === undefined ? {} : { flag: { flagKey: PRICING_FLAG, expected: flagExpected } }),
    };
  };
  // First pass: collect the (salt, unit) pairs; then hash them all with the Python reference.
  const pairs = new Map<string, [string, string]>();
  const collect: BucketFn = (salt, unit) => {
    pairs.set(JSON.stringify([salt, unit]), [salt, unit]);
    return 0;
  };
  specs.forEach((spec) => build(spec, collect, false));
  const list = [...pairs.values()];
  const reference = pythonReference(list);
  const buckets = new Map(list.map((pair, i) => [JSON.stringify(pair), reference[i]![1]]));
  const lookup: BucketFn = (salt, unit) => {
    const bucket = buckets.get(JSON.stringify([salt, unit]));
    if (bucket === undefined) throw new Error(`no reference bucket for ${salt}/${unit}`);
    return bucket;
  };
  const cases = specs.map((spec) => build(spec, lookup, true));
  const descriptions = new Set(cases.map((c) => c.description));
  if (descriptions.size !== cases.length) throw new Error('assignment case descriptions must be unique');
  return cases;
}

function checkAssignmentsAgainstEngine(cases: AssignmentCase[]): void {
  const engine = compileRuleset(ASSIGNMENT_RULESET);
  let failures = 0;
  for (const c of cases) {
    const actual = engine.assign(c.context, c.experiments, c.unitId).map((a) => ({ ...a }));
    if (!isDeepStrictEqual(actual, c.expected)) {
      failures++;
      console.error(
        c.description,
        '\n  expected',
        JSON.stringify(c.expected),
        '\n  engine  ',
        JSON.stringify(actual),
      );
    }
    if (c.flag !== undefined) {
      const result = comparable(engine.evaluate(c.flag.flagKey, c.context));
      if (!isDeepStrictEqual(result, c.flag.expected)) {
        failures++;
        console.error(
          c.description,
          '\n  flag expected',
          JSON.stringify(c.flag.expected),
          '\n  engine       ',
          JSON.stringify(result),
        );
      }
    }
  }
  if (failures > 0) throw new Error(`${failures} assignment vectors disagree with the engine`);
}

async function writeJson(name: string, data: unknown): Promise<void> {
  const file = join(HERE, name);
  const options = (await resolveConfig(file)) ?? {};
  writeFileSync(file, await format(JSON.stringify(data), { ...options, parser: 'json' }));
}

async function main(): Promise<void> {
  // Everything is computed and checked before anything is written.
  const bucketing = bucketingCases();
  const cases = [...HAND_WRITTEN, ...resolveSplitCases(splitCases())];
  checkAgainstEngine(cases);
  const assignments = resolveAssignmentCases([
    ...populationSpecs(),
    ...sweepSpecs(),
    ...boundarySpecs(),
    ...edgeSpecs(),
  ]);
  checkAssignmentsAgainstEngine(assignments);

  await writeJson('bucketing.json', {
    description:
      'Switchyard bucketing contract (SPEC 2.3). hash = murmurhash3_x86_32(utf8(salt + "/" + unitId), seed 0); bucket = floor(hash * 10000 / 2^32). Lone surrogates are encoded as U+FFFD (cases marked loneSurrogate).',
    hashVersion: 1,
    generatedBy: 'test/vectors/generate.ts; expected values from test/vectors/murmur3_reference.py',
    cases: bucketing,
  });
  await writeJson('evaluation.json', {
    description:
      'Switchyard evaluation contract (SPEC 2.1-2.3): evaluate(flagKey, context, options?) on this ruleset must give `expected` (errorMessage is free text and not compared).',
    generatedBy:
      'test/vectors/generate.ts (expectations written by hand; split buckets from murmur3_reference.py)',
    ruleset: RULESET,
    cases,
  });
  await writeJson('assignments.json', {
    description:
      'Switchyard assignment contract (SPEC 2.3-2.4): assign(context, experiments?, unitId?) on this ruleset must give `expected` (one answer per experiment asked, or per running experiment in ruleset order when `experiments` is absent); when `flag` is present, evaluate(flag.flagKey, context) must give flag.expected.',
    generatedBy:
      'test/vectors/generate.ts (expectations from a model of the contract written there; buckets from murmur3_reference.py)',
    ruleset: ASSIGNMENT_RULESET,
    cases: assignments,
  });
  const assigned = assignments.reduce((n, c) => n + c.expected.length, 0);
  process.stdout.write(
    `bucketing: ${bucketing.length} cases; evaluation: ${cases.length} cases; ` +
      `assignments: ${assignments.length} cases (${assigned} assignments)\n`,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
