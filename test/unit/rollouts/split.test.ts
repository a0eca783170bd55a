import fc from 'fast-check';
import { compileRuleset } from '../../../shared/rules';
import { replacedVariation, sameServe, stageSplit } from '../../../shared/rollouts/split';
import { booleanFlag } from '../rules/support';

describe('stageSplit', () => {
  it('puts the rolled-out variation first, the replaced one takes the rest', () => {
    expect(stageSplit('on', 'off', 1000)).toEqual({
      allocations: [
        { variation: 'on', weight: 1000 },
        { variation: 'off', weight: 9000 },
      ],
    });
    expect(stageSplit('on', 'off', 10000, 'accountId')).toEqual({
      allocations: [
        { variation: 'on', weight: 10000 },
        { variation: 'off', weight: 0 },
      ],
      bucketBy: 'accountId',
    });
  });

  it('is sticky: a unit served the rolled-out variation at p keeps it at every q > p (the compiled engine)', () => {
    const served = (percentage: number, unit: string) =>
      compileRuleset({
        revision: 1,
        hashVersion: 1,
        segments: [],
        flags: [booleanFlag('ramp', { fallthrough: stageSplit('on', 'off', percentage) })],
      }).evaluate('ramp', { targetingKey: unit }).variation;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 1, max: 10000 }),
        fc.array(fc.string({ minLength: 1, maxLength: 24 }), { minLength: 1, maxLength: 50 }),
        (a, b, units) => {
          const [p, q] = a < b ? [a, b] : [b, a === b ? a + 1 : a];
          for (const unit of units) {
            if (served(p, unit) === 'on') expect(served(q, unit)).toBe('on');
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('serves about p of the units', () => {
    const engine = compileRuleset({
      revision: 1,
      hashVersion: 1,
      segments: [],
      flags: [booleanFlag('ramp', { fallthrough: stageSplit('on', 'off', 2500) })],
    });
    const n = 20_000;
    let on = 0;
    for (let i = 0; i < n; i++)
      if (engine.evaluate('ramp', { targetingKey: `u-${i}` }).variation === 'on') on++;
    const sigma = Math.sqrt(n * 0.25 * 0.75);
    expect(Math.abs(on - n * 0.25)).toBeLessThan(5 * sigma);
  });
});

describe('replacedVariation', () => {
  it('is the fallthrough variation before the start', () => {
    expect(replacedVariation({ variation: 'off' }, 'on')).toBe('off');
    expect(replacedVariation({ variation: 'on' }, 'on')).toBeNull();
  });

  it('of a split, the largest allocation that is not the rolled-out variation (the first of equals)', () => {
    const split = {
      allocations: [
        { variation: 'a', weight: 2000 },
        { variation: 'on', weight: 5000 },
        { variation: 'b', weight: 3000 },
      ],
    };
    expect(replacedVariation(split, 'on')).toBe('b');
    expect(replacedVariation(split, 'b')).toBe('on');
    expect(replacedVariation({ allocations: [{ variation: 'on', weight: 10000 }] }, 'on')).toBeNull();
  });
});

describe('sameServe', () => {
  it('compares what units get, not how the object was written', () => {
    const split = stageSplit('on', 'off', 1000);
    expect(
      sameServe(split, {
        allocations: [
          { weight: 1000, variation: 'on' },
          { weight: 9000, variation: 'off' },
        ],
      }),
    ).toBe(true);
    expect(sameServe(split, stageSplit('on', 'off', 1001))).toBe(false);
    expect(sameServe(split, { ...split, bucketBy: 'x' })).toBe(false);
    expect(sameServe({ variation: 'on' }, { variation: 'on' })).toBe(true);
    expect(sameServe({ variation: 'on' }, split)).toBe(false);
  });
});
