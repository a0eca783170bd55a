import {
  MAX_PREREQUISITE_DEPTH,
  RulesetError,
  compileRuleset,
  findPrerequisiteCycle,
  segmentKeysOf,
} from '../../../shared/rules';
import type { Ruleset, RulesetFlag } from '../../../shared/rules';
import { booleanFlag, fields, rolloutFlag } from './support';

function ruleset(flags: RulesetFlag[], extra: Partial<Ruleset> = {}): Ruleset {
  return { revision: 7, hashVersion: 1, flags, segments: [], ...extra };
}

const proRule = {
  id: 'pro',
  conditions: { attribute: 'plan', op: 'eq', values: ['pro'] },
  serve: { variation: 'on' },
} as const;

describe('compileRuleset', () => {
  it('refuses rulesets it cannot read, and unknown hash versions', () => {
    expect(() => compileRuleset(null as unknown as Ruleset)).toThrow(RulesetError);
    expect(() => compileRuleset({ revision: 1 } as unknown as Ruleset)).toThrow(RulesetError);
    expect(() => compileRuleset({ ...ruleset([]), hashVersion: 2 } as unknown as Ruleset)).toThrow(
      /unsupported hashVersion 2/,
    );
  });

  it('exposes revision, hash version and flag kinds', () => {
    const engine = compileRuleset(ruleset([booleanFlag('a', { clientSide: true }), booleanFlag('b')]));
    expect(engine.revision).toBe(7);
    expect(engine.hashVersion).toBe(1);
    expect(engine.flags).toEqual([
      { key: 'a', kind: 'boolean', clientSide: true },
      { key: 'b', kind: 'boolean', clientSide: false },
    ]);
    expect(engine.flag('b')).toEqual({ key: 'b', kind: 'boolean', clientSide: false });
    expect(engine.flag('zzz')).toBeUndefined();
  });

  it('isolates a flag that does not compile: PARSE_ERROR for it, the others unaffected', () => {
    const broken = [
      booleanFlag('bad-variation', { fallthrough: { variation: 'nope' } }),
      booleanFlag('bad-regex', {
        rules: [
          {
            id: 'r',
            conditions: { attribute: 'a', op: 'matches', values: ['('] },
            serve: { variation: 'on' },
          },
        ],
      }),
      booleanFlag('bad-weights', {
        fallthrough: { allocations: [{ variation: 'on', weight: 10 }] },
      }),
      booleanFlag('bad-kind', {
        variations: [
          { key: 'on', value: 'yes' },
          { key: 'off', value: false },
        ],
      }),
      booleanFlag('duplicate-rule', { rules: [proRule, proRule] }),
      booleanFlag('bad-semver', {
        rules: [
          {
            id: 'r',
            conditions: { attribute: 'v', op: 'semver_gt', values: ['x'] },
            serve: { variation: 'on' },
          },
        ],
      }),
    ];
    const engine = compileRuleset(ruleset([...broken, booleanFlag('fine', { rules: [proRule] })]));
    for (const flag of broken) {
      expect(engine.evaluate(flag.key, {})).toMatchObject({
        flagKey: flag.key,
        value: null,
        variation: null,
        reason: 'ERROR',
        errorCode: 'PARSE_ERROR',
      });
    }
    expect(fields(engine.evaluate('fine', { plan: 'pro' }))).toEqual({
      value: true,
      variation: 'on',
      reason: 'TARGETING_MATCH',
      ruleId: 'pro',
    });
  });

  it('keeps the first of duplicated flag keys', () => {
    const engine = compileRuleset(
      ruleset([
        booleanFlag('a', { fallthrough: { variation: 'on' } }),
        booleanFlag('a', { fallthrough: { variation: 'off' } }),
      ]),
    );
    expect(engine.evaluate('a', {}).value).toBe(true);
    expect(engine.flags).toHaveLength(1);
  });

  it('takes a duplicated key’s prerequisites from its first definition too', () => {
    const engine = compileRuleset(
      ruleset([
        booleanFlag('a', { fallthrough: { variation: 'on' } }),
        // A second 'a' that would close a cycle a → b → a: ignored like the rest of it.
        booleanFlag('a', { prerequisites: [{ flagKey: 'b', variation: 'on' }] }),
        booleanFlag('b', {
          fallthrough: { variation: 'on' },
          prerequisites: [{ flagKey: 'a', variation: 'on' }],
        }),
      ]),
    );
    expect(engine.evaluate('a', {}).reason).toBe('DEFAULT');
    expect(engine.evaluate('b', {})).toMatchObject({ reason: 'DEFAULT', value: true });
  });
});

describe('evaluate', () => {
  const engine = compileRuleset(
    ruleset([
      booleanFlag('flag', { rules: [proRule], clientSide: true }),
      booleanFlag('off-flag', { enabled: false, rules: [proRule], fallthrough: { variation: 'on' } }),
      booleanFlag('server-only', { fallthrough: { variation: 'on' } }),
      {
        key: 'config',
        kind: 'json',
        variations: [
          { key: 'a', value: { limits: [1, 2] } },
          { key: 'b', value: { limits: [] } },
        ],
        enabled: true,
        offVariation: 'b',
        fallthrough: { variation: 'a' },
        rules: [],
      },
    ]),
  );

  it('reasons: TARGETING_MATCH with the rule id, DEFAULT, DISABLED', () => {
    expect(engine.evaluate('flag', { plan: 'pro' })).toEqual({
      flagKey: 'flag',
      value: true,
      variation: 'on',
      reason: 'TARGETING_MATCH',
      ruleId: 'pro',
    });
    expect(engine.evaluate('flag', { plan: 'free' })).toEqual({
      flagKey: 'flag',
      value: false,
      variation: 'off',
      reason: 'DEFAULT',
    });
    expect(engine.evaluate('off-flag', { plan: 'pro' })).toEqual({
      flagKey: 'off-flag',
      value: false,
      variation: 'off',
      reason: 'DISABLED',
    });
  });

  it('FLAG_NOT_FOUND for unknown keys, and for server-only flags with clientSideOnly', () => {
    expect(engine.evaluate('nope', {})).toMatchObject({
      flagKey: 'nope',
      reason: 'ERROR',
      errorCode: 'FLAG_NOT_FOUND',
    });
    expect(engine.evaluate('server-only', {}, { clientSideOnly: true })).toMatchObject({
      errorCode: 'FLAG_NOT_FOUND',
    });
    expect(engine.evaluate('flag', {}, { clientSideOnly: true }).reason).toBe('DEFAULT');
    expect(engine.evaluate(42 as unknown as string, {})).toMatchObject({
      flagKey: '',
      errorCode: 'FLAG_NOT_FOUND',
    });
  });

  it('TYPE_MISMATCH when the caller expects another kind', () => {
    expect(engine.evaluate('flag', {}, { kind: 'string' })).toMatchObject({
      reason: 'ERROR',
      errorCode: 'TYPE_MISMATCH',
      value: null,
      variation: null,
    });
    expect(engine.evaluate('config', {}, { kind: 'json' }).value).toEqual({ limits: [1, 2] });
  });

  it('returns shared, frozen results whose values cannot be changed by callers', () => {
    const first = engine.evaluate('config', {});
    const second = engine.evaluate('config', { other: 1 });
    expect(first).toBe(second);
    expect(Object.isFrozen(first)).toBe(true);
    expect(() => {
      (first.value as { limits: number[] }).limits.push(3);
    }).toThrow(TypeError);
    expect(engine.evaluate('config', {}).value).toEqual({ limits: [1, 2] });
  });

  it('does not freeze or share the ruleset it was given', () => {
    const variations = [
      { key: 'a', value: { n: 1 } },
      { key: 'b', value: { n: 2 } },
    ];
    const own = compileRuleset(
      ruleset([
        {
          key: 'j',
          kind: 'json',
          variations,
          enabled: true,
          offVariation: 'a',
          fallthrough: { variation: 'a' },
          rules: [],
        },
      ]),
    );
    expect(Object.isFrozen(variations[0]!.value)).toBe(false);
    variations[0]!.value.n = 99;
    expect(own.evaluate('j', {}).value).toEqual({ n: 1 });
  });

  it('evaluateAll: every flag in ruleset order, the named ones in the order given, client flags only', () => {
    expect(engine.evaluateAll({ plan: 'pro' }).map((r) => [r.flagKey, r.reason])).toEqual([
      ['flag', 'TARGETING_MATCH'],
      ['off-flag', 'DISABLED'],
      ['server-only', 'DEFAULT'],
      ['config', 'DEFAULT'],
    ]);
    expect(
      engine.evaluateAll({}, ['config', 'missing', 'flag']).map((r) => [r.flagKey, r.errorCode ?? r.reason]),
    ).toEqual([
      ['config', 'DEFAULT'],
      ['missing', 'FLAG_NOT_FOUND'],
      ['flag', 'DEFAULT'],
    ]);
    expect(engine.evaluateAll({}, undefined, { clientSideOnly: true }).map((r) => r.flagKey)).toEqual([
      'flag',
    ]);
    expect(engine.evaluateAll({}, ['server-only'], { clientSideOnly: true })[0]!.errorCode).toBe(
      'FLAG_NOT_FOUND',
    );
  });

  it('never throws, even for contexts with throwing getters or proxies', () => {
    const throwing = {
      get plan(): string {
        throw new Error('boom');
      },
    };
    const proxy = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
      },
    );
    expect(engine.evaluate('flag', throwing)).toMatchObject({ reason: 'ERROR', errorCode: 'GENERAL' });
    expect(engine.evaluate('flag', proxy)).toMatchObject({ reason: 'ERROR', errorCode: 'GENERAL' });
    expect(engine.evaluate('flag', undefined).reason).toBe('DEFAULT');
  });
});

describe('splits', () => {
  it('SPLIT for fallthrough splits; rule splits carry the rule id; bucketBy selects the unit', () => {
    const engine = compileRuleset(
      ruleset([
        rolloutFlag('full', 100),
        booleanFlag('rule-split', {
          rules: [
            {
              id: 'by-org',
              conditions: { attribute: 'plan', op: 'eq', values: ['pro'] },
              serve: {
                allocations: [
                  { variation: 'on', weight: 10_000 },
                  { variation: 'off', weight: 0 },
                ],
                bucketBy: 'org.id',
              },
            },
          ],
        }),
      ]),
    );
    expect(fields(engine.evaluate('full', { targetingKey: 'u' }))).toEqual({
      value: true,
      variation: 'on',
      reason: 'SPLIT',
    });
    expect(fields(engine.evaluate('rule-split', { plan: 'pro', org: { id: 'o-1' } }))).toEqual({
      value: true,
      variation: 'on',
      reason: 'SPLIT',
      ruleId: 'by-org',
    });
    expect(engine.evaluate('rule-split', { plan: 'pro', targetingKey: 'u' })).toMatchObject({
      reason: 'ERROR',
      errorCode: 'TARGETING_KEY_MISSING',
      ruleId: 'by-org',
      errorMessage: 'a split needs org.id in the context',
    });
  });

  it('a missing unit is an ERROR, never a random variation; userId stands in for targetingKey', () => {
    const engine = compileRuleset(ruleset([rolloutFlag('half', 50)]));
    for (const context of [
      {},
      { targetingKey: '' },
      { targetingKey: null },
      { targetingKey: {} },
      { targetingKey: 1.5 },
    ]) {
      expect(engine.evaluate('half', context)).toMatchObject({
        reason: 'ERROR',
        errorCode: 'TARGETING_KEY_MISSING',
      });
    }
    expect(engine.evaluate('half', { userId: 'u-1' })).toEqual(
      engine.evaluate('half', { targetingKey: 'u-1' }),
    );
    expect(engine.evaluate('half', { targetingKey: 77 })).toEqual(
      engine.evaluate('half', { targetingKey: '77' }),
    );
    expect(engine.evaluate('half', { targetingKey: 'a', userId: 'b' })).toEqual(
      engine.evaluate('half', { targetingKey: 'a' }),
    );
  });

  it('salts with the flag key, or the flag salt when set', () => {
    const keyed = compileRuleset(
      ruleset([rolloutFlag('a', 50), rolloutFlag('b', 50), { ...rolloutFlag('c', 50), salt: 'a' }]),
    );
    const units = Array.from({ length: 400 }, (_, i) => ({ targetingKey: `u${i}` }));
    const served = (key: string) => units.map((u) => keyed.evaluate(key, u).variation).join();
    expect(served('a')).not.toBe(served('b'));
    expect(served('c')).toBe(served('a'));
  });
});

describe('prerequisites', () => {
  const parent = booleanFlag('parent', { rules: [proRule] });
  const child = booleanFlag('child', {
    prerequisites: [{ flagKey: 'parent', variation: 'on' }],
    rules: [{ ...proRule, id: 'child-rule' }],
    fallthrough: { variation: 'on' },
  });

  it('serve offVariation (PREREQUISITE_FAILED) unless every prerequisite gives the named variation', () => {
    const engine = compileRuleset(ruleset([child, parent]));
    expect(fields(engine.evaluate('child', { plan: 'pro' }))).toEqual({
      value: true,
      variation: 'on',
      reason: 'TARGETING_MATCH',
      ruleId: 'child-rule',
    });
    expect(fields(engine.evaluate('child', { plan: 'free' }))).toEqual({
      value: false,
      variation: 'off',
      reason: 'PREREQUISITE_FAILED',
    });
  });

  it('a disabled flag does not look at its prerequisites', () => {
    const engine = compileRuleset(ruleset([{ ...child, enabled: false }, parent]));
    expect(engine.evaluate('child', { plan: 'free' }).reason).toBe('DISABLED');
  });

  it('unknown prerequisites fail; erroring prerequisites fail', () => {
    const engine = compileRuleset(
      ruleset([
        booleanFlag('needs-ghost', { prerequisites: [{ flagKey: 'ghost', variation: 'on' }] }),
        rolloutFlag('rollout', 100),
        booleanFlag('needs-rollout', {
          prerequisites: [{ flagKey: 'rollout', variation: 'on' }],
          fallthrough: { variation: 'on' },
        }),
      ]),
    );
    expect(engine.evaluate('needs-ghost', {}).reason).toBe('PREREQUISITE_FAILED');
    expect(engine.evaluate('needs-rollout', {}).reason).toBe('PREREQUISITE_FAILED'); // no unit: rollout is ERROR
    expect(engine.evaluate('needs-rollout', { targetingKey: 'u' }).reason).toBe('DEFAULT');
  });

  it('cycles are errors for every flag on or above them, others still evaluate', () => {
    const engine = compileRuleset(
      ruleset([
        booleanFlag('a', { prerequisites: [{ flagKey: 'b', variation: 'on' }] }),
        booleanFlag('b', { prerequisites: [{ flagKey: 'c', variation: 'on' }] }),
        booleanFlag('c', { prerequisites: [{ flagKey: 'a', variation: 'on' }] }),
        booleanFlag('above', { prerequisites: [{ flagKey: 'a', variation: 'on' }] }),
        booleanFlag('self', { prerequisites: [{ flagKey: 'self', variation: 'on' }] }),
        booleanFlag('fine'),
      ]),
    );
    for (const key of ['a', 'b', 'c', 'above', 'self']) {
      expect(engine.evaluate(key, {})).toMatchObject({ reason: 'ERROR', errorCode: 'GENERAL' });
    }
    // Each flag names the cycle it reaches, from where it enters it.
    expect(engine.evaluate('a', {}).errorMessage).toBe('prerequisite cycle: a → b → c → a');
    expect(engine.evaluate('b', {}).errorMessage).toBe('prerequisite cycle: b → c → a → b');
    expect(engine.evaluate('above', {}).errorMessage).toBe('prerequisite cycle: a → b → c → a');
    expect(engine.evaluate('self', {}).errorMessage).toBe('prerequisite cycle: self → self');
    expect(engine.evaluate('fine', {}).reason).toBe('DEFAULT');
  });

  it('chains deeper than the limit are errors', () => {
    const length = MAX_PREREQUISITE_DEPTH + 2;
    const chain = Array.from({ length }, (_, i) =>
      booleanFlag(`f${i}`, {
        fallthrough: { variation: 'on' },
        prerequisites: i + 1 < length ? [{ flagKey: `f${i + 1}`, variation: 'on' }] : [],
      }),
    );
    const engine = compileRuleset(ruleset(chain));
    expect(engine.evaluate('f0', {})).toMatchObject({ reason: 'ERROR', errorCode: 'GENERAL' });
    expect(engine.evaluate(`f${length - MAX_PREREQUISITE_DEPTH}`, {}).reason).toBe('DEFAULT');
  });

  it('findPrerequisiteCycle reports a cycle as a closed path, or null', () => {
    expect(findPrerequisiteCycle([{ key: 'a', prerequisites: [{ flagKey: 'b' }] }, { key: 'b' }])).toBeNull();
    expect(
      findPrerequisiteCycle([
        { key: 'a', prerequisites: [{ flagKey: 'b' }, { flagKey: 'x' }] },
        { key: 'b', prerequisites: [{ flagKey: 'c' }] },
        { key: 'c', prerequisites: [{ flagKey: 'b' }] },
      ]),
    ).toEqual(['b', 'c', 'b']);
    expect(findPrerequisiteCycle([{ key: 'a', prerequisites: [{ flagKey: 'a' }] }])).toEqual(['a', 'a']);
    // A diamond is not a cycle.
    expect(
      findPrerequisiteCycle([
        { key: 'top', prerequisites: [{ flagKey: 'l' }, { flagKey: 'r' }] },
        { key: 'l', prerequisites: [{ flagKey: 'bottom' }] },
        { key: 'r', prerequisites: [{ flagKey: 'bottom' }] },
        { key: 'bottom' },
      ]),
    ).toBeNull();
    // Long chains do not overflow the stack.
    const long = Array.from({ length: 50_000 }, (_, i) => ({
      key: `k${i}`,
      prerequisites: [{ flagKey: `k${i + 1}` }],
    }));
    expect(findPrerequisiteCycle(long)).toBeNull();
  });
});

describe('segmentKeysOf', () => {
  it('collects every segment a condition refers to', () => {
    expect([
      ...segmentKeysOf({
        all: [
          { op: 'in_segment', values: ['a', 'b'] },
          { not: { op: 'not_in_segment', values: ['c'] } },
          { any: [{ attribute: 'x', op: 'eq', values: ['a'] }] },
        ],
      }),
    ]).toEqual(['a', 'b', 'c']);
  });
});
