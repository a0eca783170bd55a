import fc from 'fast-check';
import { SRM_THRESHOLD, sampleRatioMismatch } from '../../../shared/stats';

describe('sampleRatioMismatch', () => {
  it('flags below p = 0.001 by default, or below the threshold given', () => {
    expect(SRM_THRESHOLD).toBe(0.001);
    const split = sampleRatioMismatch([450, 550], [5000, 5000]);
    expect(split.chiSquare).toBeCloseTo(10, 12);
    expect(split.mismatch).toBe(false);
    expect(sampleRatioMismatch([450, 550], [5000, 5000], 0.01).mismatch).toBe(true);
  });

  it('reads weights in any unit', () => {
    expect(sampleRatioMismatch([480, 260, 260], [0.5, 0.25, 0.25])).toEqual(
      sampleRatioMismatch([480, 260, 260], [5000, 2500, 2500]),
    );
  });

  it('leaves out a variant with weight 0 and no units', () => {
    expect(sampleRatioMismatch([450, 550, 0], [5000, 5000, 0])).toEqual(
      sampleRatioMismatch([450, 550], [5000, 5000]),
    );
  });

  it('flags units in a variant with weight 0, whatever the rest', () => {
    expect(sampleRatioMismatch([500, 500, 1], [5000, 5000, 0])).toEqual({
      chiSquare: null,
      degreesOfFreedom: 1,
      pValue: 0,
      mismatch: true,
    });
  });

  it('has nothing to test without units or with a single weighted variant', () => {
    expect(sampleRatioMismatch([0, 0], [5000, 5000])).toEqual({
      chiSquare: 0,
      degreesOfFreedom: 1,
      pValue: 1,
      mismatch: false,
    });
    expect(sampleRatioMismatch([120, 0], [10000, 0])).toEqual({
      chiSquare: 0,
      degreesOfFreedom: 0,
      pValue: 1,
      mismatch: false,
    });
  });

  it('refuses inputs that cannot be counts and weights', () => {
    expect(() => sampleRatioMismatch([1, 2], [1])).toThrow(RangeError);
    expect(() => sampleRatioMismatch([1, -2], [1, 1])).toThrow(RangeError);
    expect(() => sampleRatioMismatch([1.5, 2], [1, 1])).toThrow(RangeError);
    expect(() => sampleRatioMismatch([1, 2], [1, -1])).toThrow(RangeError);
    expect(() => sampleRatioMismatch([1, 2], [0, 0])).toThrow(RangeError);
  });

  it('gives a p-value in [0, 1] that is 1 exactly on the weights', () => {
    const counts = fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 2, maxLength: 10 });
    fc.assert(
      fc.property(counts, (observed) => {
        const { pValue, chiSquare } = sampleRatioMismatch(
          observed,
          observed.map(() => 1),
        );
        expect(pValue).toBeGreaterThanOrEqual(0);
        expect(pValue).toBeLessThanOrEqual(1);
        expect(chiSquare).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 500, seed: 41 },
    );
    expect(sampleRatioMismatch([2000, 1000, 1000], [2, 1, 1]).pValue).toBe(1);
  });
});
