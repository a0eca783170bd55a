import fc from 'fast-check';
import {
  DEFAULT_MIXING_EFFECT_SIZE,
  defaultMixingVariance,
  mixtureConfidenceSequence,
  mixtureSprtPValue,
  mixtureSprtThreshold,
  welchTTest,
} from '../../../shared/stats';
import { normalSf } from '../../../shared/stats/distributions';
import { draw, normalGenerator, summaryOf } from './samples';

const positive = fc.double({ min: 1e-8, max: 1e8, noNaN: true });
const anyEffect = fc.double({ min: -1e4, max: 1e4, noNaN: true });

describe('mixture SPRT p-value', () => {
  it('is in [0, 1], 1 at no effect, and the same for ±effect', () => {
    fc.assert(
      fc.property(anyEffect, positive, positive, (effect, variance, mixingVariance) => {
        const p = mixtureSprtPValue({ effect, variance, mixingVariance });
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThanOrEqual(1);
        expect(mixtureSprtPValue({ effect: -effect, variance, mixingVariance })).toBe(p);
      }),
      { numRuns: 2000, seed: 31 },
    );
    expect(mixtureSprtPValue({ effect: 0, variance: 1, mixingVariance: 4 })).toBe(1);
  });

  it('is never below the fixed-horizon p-value 2Φ(−|z|), for any mixing variance', () => {
    // Λ is largest at τ²/V = z² − 1, where 1/Λ = |z|·e^(−(z² − 1)/2) ≥ 2·φ(z)/|z| ≥ 2Φ(−|z|) (Mills).
    fc.assert(
      fc.property(
        fc.double({ min: -40, max: 40, noNaN: true }),
        positive,
        fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
        (z, variance, ratio) => {
          const effect = z * Math.sqrt(variance);
          const p = mixtureSprtPValue({ effect, variance, mixingVariance: ratio * variance });
          expect(p).toBeGreaterThanOrEqual(2 * normalSf(Math.abs(z)) * (1 - 1e-12));
        },
      ),
      { numRuns: 2000, seed: 32 },
    );
  });

  it('falls as the effect grows, to nothing for huge effects', () => {
    const p = (z: number) => mixtureSprtPValue({ effect: z, variance: 1, mixingVariance: 1 });
    for (let z = 0; z < 30; z += 0.5) expect(p(z + 0.5)).toBeLessThanOrEqual(p(z));
    expect(p(10)).toBeLessThan(1e-10);
    expect(p(60)).toBe(0);
  });

  it('refuses a variance or mixing variance that is not positive', () => {
    expect(() => mixtureSprtPValue({ effect: 1, variance: 0, mixingVariance: 1 })).toThrow(RangeError);
    expect(() => mixtureSprtPValue({ effect: 1, variance: 1, mixingVariance: 0 })).toThrow(RangeError);
    expect(() => mixtureSprtPValue({ effect: NaN, variance: 1, mixingVariance: 1 })).toThrow(RangeError);
  });

  it('defaults τ to 0.05 of the per-unit standard deviation', () => {
    expect(DEFAULT_MIXING_EFFECT_SIZE).toBe(0.05);
    expect(defaultMixingVariance(4, 4)).toBeCloseTo(0.01, 15);
    expect(defaultMixingVariance(2, 6)).toBeCloseTo(0.01, 15);
  });

  it('stays above the Welch p-value in a large experiment', () => {
    const normal = normalGenerator(33);
    for (const lift of [0, 0.02, 0.05, 0.1]) {
      const c = welchTTest(summaryOf(draw(normal, 5000, 1, 1)), summaryOf(draw(normal, 5000, 1 + lift, 1)));
      expect(c.sequentialPValue).toBeGreaterThanOrEqual(c.pValue!);
    }
  });

  it('keeps the false-positive rate under alpha for someone who looks after every batch', () => {
    // 400 A/A experiments on N(0, 1) units, 100 more units per arm per look, 100 looks each. The
    // per-unit variance is taken as known (1) so only the batch sums need drawing: a sum of 100 is N(0, 100).
    const normal = normalGenerator(34);
    const experiments = 400;
    const looks = 100;
    const batch = 100;
    const mixingVariance = defaultMixingVariance(1, 1);
    let sequentialRejections = 0;
    let fixedRejections = 0;
    for (let e = 0; e < experiments; e++) {
      let sumControl = 0;
      let sumTreatment = 0;
      let rejectedSequential = false;
      let rejectedFixed = false;
      for (let look = 1; look <= looks; look++) {
        sumControl += Math.sqrt(batch) * normal();
        sumTreatment += Math.sqrt(batch) * normal();
        const n = look * batch;
        const effect = (sumTreatment - sumControl) / n;
        const variance = 2 / n;
        if (mixtureSprtPValue({ effect, variance, mixingVariance }) < 0.05) rejectedSequential = true;
        if (2 * normalSf(Math.abs(effect) / Math.sqrt(variance)) < 0.05) rejectedFixed = true;
      }
      if (rejectedSequential) sequentialRejections++;
      if (rejectedFixed) fixedRejections++;
    }
    // The naive p-value, peeked at 100 times, "finds" an effect in about a third of the A/A tests.
    expect(fixedRejections / experiments).toBeGreaterThan(0.2);
    expect(sequentialRejections / experiments).toBeLessThan(0.05);
  });
});

describe('mixture confidence sequence', () => {
  it('excludes θ₀ = 0 exactly when the always-valid p-value is at most α, and is centred on the effect', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -10, max: 10, noNaN: true }),
        fc.double({ min: 1e-4, max: 1e4, noNaN: true }),
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        fc.constantFrom(0.01, 0.05, 0.1),
        (z, variance, ratio, alpha) => {
          const effect = z * Math.sqrt(variance);
          const input = { effect, variance, mixingVariance: ratio * variance };
          const [lower, upper] = mixtureConfidenceSequence({ ...input, alpha });
          expect((lower + upper) / 2).toBeCloseTo(effect, 9);
          const p = mixtureSprtPValue(input);
          // Away from the boundary itself (rounding), the two agree.
          if (Math.abs(p - alpha) > 1e-9) expect(lower > 0 || upper < 0).toBe(p < alpha);
          expect(mixtureSprtThreshold(variance, ratio * variance, alpha)).toBeGreaterThan(0);
        },
      ),
      { numRuns: 3000, seed: 33 },
    );
  });

  it('is wider than the fixed-horizon interval: the price of looking at every sample size', () => {
    const [lower, upper] = mixtureConfidenceSequence({
      effect: 0,
      variance: 1,
      mixingVariance: 1,
      alpha: 0.05,
    });
    expect(upper).toBeGreaterThan(1.96);
    expect(lower).toBe(-upper);
  });
});
