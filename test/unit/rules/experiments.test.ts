import fc from 'fast-check';
import {
  bucketOf,
  compileRuleset,
  variantRanges,
  type Ruleset,
  type RulesetExperiment,
} from '../../../shared/rules';

const twoVariants: RulesetExperiment['variants'] = [
  { key: 'control', weight: 5000, isControl: true },
  { key: 'treatment', weight: 5000, isControl: false, payload: { color: 'green' } },
];

function experiment(overrides: Partial<RulesetExperiment> & { key: string }): RulesetExperiment {
  return { variants: twoVariants, trafficAllocation: 10_000, unitAttribute: 'userId', ...overrides };
}

function engine(experiments: RulesetExperiment[], layers: Ruleset['layers'] = []) {
  return compileRuleset({ revision: 1, hashVersion: 1, flags: [], segments: [], experiments, layers });
}

const units = (n: number) => Array.from({ length: n }, (_, i) => `unit-${i}`);

describe('experiment assignment', () => {
  it('follows the bucket contract: variant i owns [start_i, start_i + weight_i × traffic / 10000)', () => {
    expect(variantRanges([5000, 5000], 8000)).toEqual([
      [0, 4000],
      [5000, 9000],
    ]);
    expect(variantRanges([2000, 3000, 5000], 10_000)).toEqual([
      [0, 2000],
      [2000, 5000],
      [5000, 10_000],
    ]);
    const rs = engine([experiment({ key: 'exp', trafficAllocation: 8000 })]);
    for (const unit of units(2000)) {
      const bucket = bucketOf('exp', unit);
      const [a] = rs.assign({ userId: unit });
      const expected = bucket < 4000 ? 'control' : bucket >= 5000 && bucket < 9000 ? 'treatment' : null;
      expect(a!.variant).toBe(expected);
      expect(a!.reason).toBe(expected === null ? 'OUTSIDE_TRAFFIC' : 'ASSIGNED');
      expect(a!.inExperiment).toBe(expected !== null);
    }
  });

  it('salts with the experiment key unless a salt is set', () => {
    const salted = engine([experiment({ key: 'exp', salt: 'other-salt' })]);
    for (const unit of units(200)) {
      const expected = bucketOf('other-salt', unit) < 5000 ? 'control' : 'treatment';
      expect(salted.assign({ userId: unit })[0]!.variant).toBe(expected);
    }
  });

  it('is sticky and hands out the variant payload', () => {
    const rs = engine([experiment({ key: 'exp' })]);
    const again = engine([experiment({ key: 'exp' })]);
    for (const unit of units(300)) {
      const [a] = rs.assign({ userId: unit });
      expect(again.assign({ userId: unit, other: 1 })[0]).toEqual(a);
      expect(a!.payload).toEqual(a!.variant === 'treatment' ? { color: 'green' } : null);
    }
  });

  it('keeps every assigned unit in its variant when traffic grows', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 2, maxLength: 10 }),
        (a, b, raw) => {
          // Weights that sum to 10 000: scale the raw draws, give the rounding rest to the last one.
          const total = raw.reduce((x, y) => x + y, 0);
          const weights = raw.map((w) => Math.floor((w * 10_000) / total));
          weights[weights.length - 1]! += 10_000 - weights.reduce((x, y) => x + y, 0);
          const variants = weights.map((weight, i) => ({ key: `v${i}`, weight, isControl: i === 0 }));
          const low = engine([experiment({ key: 'grow', variants, trafficAllocation: Math.min(a, b) })]);
          const high = engine([experiment({ key: 'grow', variants, trafficAllocation: Math.max(a, b) })]);
          for (const unit of units(200)) {
            const before = low.assign({ userId: unit })[0]!;
            if (before.inExperiment) expect(high.assign({ userId: unit })[0]!.variant).toBe(before.variant);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('never puts a unit in two experiments of one layer', () => {
    const rs = engine(
      [
        experiment({ key: 'left', layer: 'checkout', layerRange: [0, 5000] }),
        experiment({ key: 'right', layer: 'checkout', layerRange: [5000, 10_000] }),
      ],
      [{ key: 'checkout' }],
    );
    let left = 0;
    for (const unit of units(2000)) {
      const [l, r] = rs.assign({ userId: unit });
      expect(l!.inExperiment && r!.inExperiment).toBe(false);
      expect(l!.inExperiment || r!.inExperiment).toBe(true);
      const inLeft = bucketOf('checkout', unit) < 5000;
      expect(l!.reason).toBe(inLeft ? 'ASSIGNED' : 'OUTSIDE_LAYER');
      expect(r!.reason).toBe(inLeft ? 'OUTSIDE_LAYER' : 'ASSIGNED');
      if (inLeft) left++;
    }
    expect(left).toBeGreaterThan(900);
    expect(left).toBeLessThan(1100);
  });

  it('says why a unit is out: eligibility, missing unit, not running', () => {
    const rs = engine([
      experiment({ key: 'pro-only', conditions: { attribute: 'plan', op: 'eq', values: ['pro'] } }),
    ]);
    expect(rs.experiments).toEqual(['pro-only']);
    expect(rs.assign({ userId: 'u1', plan: 'free' })[0]).toMatchObject({
      reason: 'NOT_ELIGIBLE',
      inExperiment: false,
      variant: null,
      payload: null,
    });
    expect(rs.assign({ userId: 'u1', plan: 'pro' })[0]!.reason).toBe('ASSIGNED');
    expect(rs.assign({ plan: 'pro' })[0]!.reason).toBe('UNIT_MISSING');
    expect(rs.assign({ plan: 'pro' }, undefined, 'explicit-unit')[0]!.reason).toBe('ASSIGNED');
    expect(rs.assign({ userId: 'u1' }, ['nope', 'pro-only'])).toMatchObject([
      { experimentKey: 'nope', reason: 'NOT_RUNNING', inExperiment: false },
      { experimentKey: 'pro-only', reason: 'NOT_ELIGIBLE' },
    ]);
  });

  it('reads the unit from unitAttribute; userId (the default) also accepts targetingKey', () => {
    const rs = engine([
      experiment({ key: 'by-user' }),
      experiment({ key: 'by-account', unitAttribute: 'account.id' }),
    ]);
    const viaTargetingKey = rs.assign({ targetingKey: 'u7' });
    expect(viaTargetingKey[0]!.reason).toBe('ASSIGNED');
    expect(viaTargetingKey[1]!.reason).toBe('UNIT_MISSING');
    expect(rs.assign({ account: { id: 'acct-1' } })[1]!.reason).toBe('ASSIGNED');
    expect(rs.experiment('by-account')!.unitOf({ account: { id: 42 } })).toBe('42');
    // An empty explicit unit is no unit, as an empty attribute is.
    expect(rs.assign({}, ['by-user'], '')[0]!.reason).toBe('UNIT_MISSING');
    expect(rs.assign({ userId: '' }, ['by-user'])[0]!.reason).toBe('UNIT_MISSING');
    // targetingKey as unit attribute accepts userId, as flags do.
    const byKey = engine([experiment({ key: 'by-key', unitAttribute: 'targetingKey' })]);
    expect(byKey.assign({ userId: 'u7' })[0]!.reason).toBe('ASSIGNED');
    expect(byKey.assign({ userId: 'u7' })[0]).toEqual(byKey.assign({ targetingKey: 'u7' })[0]);
  });

  it('treats a broken experiment in a revision as not running, without failing the rest', () => {
    const rs = engine([
      experiment({
        key: 'bad-weights',
        variants: [
          { key: 'a', weight: 10, isControl: true },
          { key: 'b', weight: 10, isControl: false },
        ],
      }),
      experiment({ key: 'unknown-layer', layer: 'missing', layerRange: [0, 10] }),
      experiment({ key: 'fine' }),
    ]);
    expect(rs.experiments).toEqual(['fine']);
    expect(rs.assign({ userId: 'u' }, ['bad-weights'])[0]!.reason).toBe('NOT_RUNNING');
  });

  it('compiles revisions published before experiments existed', () => {
    const rs = compileRuleset({ revision: 1, hashVersion: 1, flags: [], segments: [] });
    expect(rs.experiments).toEqual([]);
    expect(rs.assign({ userId: 'u' })).toEqual([]);
  });

  it('serves a backed flag only when every variant is one of its variations', () => {
    const flag = {
      key: 'button',
      kind: 'string' as const,
      variations: [
        { key: 'control', value: 'grey' },
        { key: 'treatment', value: 'green' },
      ],
      enabled: true,
      offVariation: 'control',
      fallthrough: { variation: 'control' },
      rules: [],
    };
    const backed = (variants: RulesetExperiment['variants']) =>
      compileRuleset({
        revision: 1,
        hashVersion: 1,
        flags: [flag],
        segments: [],
        experiments: [experiment({ key: 'button-test', flagKey: 'button', variants })],
      });
    const good = backed(twoVariants);
    const served = units(200).map((unit) => good.evaluate('button', { userId: unit }));
    expect(served.every((r) => r.reason === 'SPLIT' && r.experimentKey === 'button-test')).toBe(true);
    expect(new Set(served.map((r) => r.value))).toEqual(new Set(['grey', 'green']));
    // A variant the flag does not have: the flag ignores the experiment rather than erroring.
    const broken = backed([twoVariants[0]!, { key: 'blue', weight: 5000, isControl: false }]);
    for (const unit of units(200)) {
      expect(broken.evaluate('button', { userId: unit })).toMatchObject({ reason: 'DEFAULT', value: 'grey' });
    }
  });
});
