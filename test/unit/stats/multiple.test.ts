import fc from 'fast-check';
import { adjustPValues, power, sampleSize, simultaneousLevel } from '../../../shared/stats';

const pValues = fc.array(fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constant(null)), {
  minLength: 1,
  maxLength: 12,
});

describe('multiple-comparison corrections', () => {
  it('never lower a p-value, keep its order, and rank Benjamini–Hochberg ≤ Holm ≤ Bonferroni', () => {
    fc.assert(
      fc.property(pValues, (ps) => {
        const holm = adjustPValues(ps, 'holm');
        const bonferroni = adjustPValues(ps, 'bonferroni');
        const bh = adjustPValues(ps, 'benjamini-hochberg');
        ps.forEach((p, i) => {
          if (p === null) {
            expect([holm[i], bonferroni[i], bh[i]]).toEqual([null, null, null]);
            return;
          }
          expect(bh[i]!).toBeGreaterThanOrEqual(p * (1 - 1e-12));
          expect(holm[i]!).toBeGreaterThanOrEqual(bh[i]! * (1 - 1e-12));
          expect(bonferroni[i]!).toBeGreaterThanOrEqual(holm[i]! * (1 - 1e-12));
          expect(bonferroni[i]!).toBeLessThanOrEqual(1);
          ps.forEach((q, j) => {
            if (q !== null && p < q) expect(holm[i]!).toBeLessThanOrEqual(holm[j]!);
          });
        });
        expect(adjustPValues(ps, 'none')).toEqual(ps);
      }),
      { numRuns: 1000, seed: 51 },
    );
  });

  it('splits α across arms for simultaneous intervals under Holm and Bonferroni only', () => {
    expect(simultaneousLevel(0.05, 4, 'holm')).toBe(0.0125);
    expect(simultaneousLevel(0.05, 4, 'bonferroni')).toBe(0.0125);
    expect(simultaneousLevel(0.05, 4, 'none')).toBe(0.05);
    expect(() => adjustPValues([1.5], 'holm')).toThrow(RangeError);
  });
});

describe('power and sample size', () => {
  const input = { effect: 0.1, controlVariance: 1, treatmentVariance: 1, alpha: 0.05 };

  it('grows with the units, and the sample size reaches the target exactly', () => {
    let last = 0;
    for (const n of [10, 100, 1000, 3000, 10_000]) {
      const p = power({ ...input, controlUnits: n, treatmentUnits: n });
      expect(p).toBeGreaterThan(last);
      last = p;
    }
    for (const sequential of [false, true]) {
      const n = sampleSize({ ...input, sequential, target: 0.8, ratio: 1 })!;
      expect(power({ ...input, sequential, controlUnits: n, treatmentUnits: n })).toBeCloseTo(0.8, 8);
    }
  });

  it('asks more of an always-valid test than of a fixed-horizon one at the same power', () => {
    const fixed = sampleSize({ ...input, target: 0.8, ratio: 1 })!;
    const sequential = sampleSize({ ...input, sequential: true, target: 0.8, ratio: 1 })!;
    expect(sequential / fixed).toBeGreaterThan(1.2);
    expect(sequential / fixed).toBeLessThan(3);
  });

  it('has no sample size without an effect or for a target at or below α', () => {
    expect(sampleSize({ ...input, effect: 0, target: 0.8, ratio: 1 })).toBeNull();
    expect(sampleSize({ ...input, target: 0.04, ratio: 1 })).toBeNull();
  });
});
