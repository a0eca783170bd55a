import fc from 'fast-check';
import {
  compareToControl,
  meansZTest,
  summarize,
  twoProportionZTest,
  welchTTest,
  type Comparison,
  type SampleSummary,
} from '../../../shared/stats';
import { normalSf } from '../../../shared/stats/distributions';
import { covariateOf, draw, normalGenerator, summaryOf } from './samples';

const INFERENTIAL = [
  'absoluteCI',
  'relativeCI',
  'standardError',
  'statistic',
  'degreesOfFreedom',
  'pValue',
  'chanceToBeatControl',
  'sequentialPValue',
] as const;

/** Every figure is a finite number (or a pair of them) or null: never NaN or ±Infinity. */
function expectNoNonFinite(comparison: Comparison): void {
  for (const [field, value] of Object.entries(comparison)) {
    if (value === null || field === 'test') continue;
    const numbers: unknown[] = Array.isArray(value) ? value : [value];
    for (const n of numbers) expect([field, Number.isFinite(n)]).toEqual([field, true]);
  }
}

const conversions = (n: number, converted: number): SampleSummary => ({
  n,
  sum: converted,
  sumSquares: converted,
});

describe('summarize', () => {
  it('gives the mean and the n − 1 sample variance', () => {
    expect(summarize(summaryOf([1, 2, 3, 4]))).toEqual({ n: 4, mean: 2.5, variance: 5 / 3 });
  });

  it('has no mean without units and no variance below two', () => {
    expect(summarize({ n: 0, sum: 0, sumSquares: 0 })).toEqual({ n: 0, mean: null, variance: null });
    expect(summarize(summaryOf([7]))).toEqual({ n: 1, mean: 7, variance: null });
  });

  it('never reports a negative variance when rounding leaves Σx² − (Σx)²/n just below 0', () => {
    const constant = summaryOf([0.7, 0.7, 0.7, 0.7, 0.7]);
    expect(constant.sumSquares - (constant.sum * constant.sum) / constant.n).toBeLessThan(0);
    expect(summarize(constant).variance).toBe(0);
  });

  it('refuses aggregates that cannot come from data', () => {
    expect(() => summarize({ n: -1, sum: 0, sumSquares: 0 })).toThrow(RangeError);
    expect(() => summarize({ n: 2.5, sum: 0, sumSquares: 0 })).toThrow(RangeError);
    expect(() => summarize({ n: 2, sum: NaN, sumSquares: 0 })).toThrow(RangeError);
    expect(() => summarize({ n: 2, sum: 1, sumSquares: -1 })).toThrow(RangeError);
  });
});

describe('welchTTest', () => {
  const normal = normalGenerator(7);
  const control = summaryOf(draw(normal, 300, 10, 2));
  const treatment = summaryOf(draw(normal, 320, 10.4, 3));

  it('is null throughout without units on either side', () => {
    for (const c of [
      welchTTest({ n: 0, sum: 0, sumSquares: 0 }, treatment),
      welchTTest(control, summaryOf([])),
    ]) {
      expect(c.absoluteEffect).toBeNull();
      expect(c.relativeEffect).toBeNull();
      for (const field of INFERENTIAL) expect(c[field]).toBeNull();
    }
  });

  it('gives only the point estimates below two units on a side (no variance, no test)', () => {
    const c = welchTTest(summaryOf([4]), summaryOf([5, 7]));
    expect(c.absoluteEffect).toBe(2);
    expect(c.relativeEffect).toBe(0.5);
    for (const field of INFERENTIAL) expect(c[field]).toBeNull();
  });

  it('gives only the point estimates when neither side varies (SciPy answers NaN)', () => {
    const c = welchTTest(summaryOf([3, 3, 3]), summaryOf([4, 4, 4, 4]));
    expect(c.absoluteEffect).toBe(1);
    for (const field of INFERENTIAL) expect(c[field]).toBeNull();
  });

  it('takes its degrees of freedom from the varying side when the other is constant', () => {
    const c = welchTTest(summaryOf([3, 3, 3]), summaryOf([4, 5, 6, 7]));
    expect(c.degreesOfFreedom).toBeCloseTo(3, 12);
    expect(c.pValue).toBeGreaterThan(0);
  });

  it('has no relative figures when the control mean is 0, and the rest as usual', () => {
    const c = welchTTest(summaryOf([-1, 1, -2, 2]), summaryOf([0, 1, 2, 3]));
    expect(c.relativeEffect).toBeNull();
    expect(c.relativeCI).toBeNull();
    expect(c.pValue).not.toBeNull();
    expect(c.absoluteCI).not.toBeNull();
  });

  it('turns chance to beat control around for a metric where lower is better, and nothing else', () => {
    const up = welchTTest(control, treatment);
    const down = welchTTest(control, treatment, { direction: 'decrease' });
    expect(down.chanceToBeatControl).toBeCloseTo(1 - up.chanceToBeatControl!, 14);
    expect({ ...down, chanceToBeatControl: 0 }).toEqual({ ...up, chanceToBeatControl: 0 });
  });

  it('is symmetric: swapping the arms flips the effect and keeps the p-value', () => {
    const ab = welchTTest(control, treatment);
    const ba = welchTTest(treatment, control);
    expect(ba.absoluteEffect).toBeCloseTo(-ab.absoluteEffect!, 12);
    expect(ba.pValue).toBeCloseTo(ab.pValue!, 14);
    expect(ba.degreesOfFreedom).toBeCloseTo(ab.degreesOfFreedom!, 9);
  });

  it('makes 95% intervals by default, narrower at alpha 0.1, and refuses alpha outside (0, 1)', () => {
    const width = (c: Comparison) => c.absoluteCI![1] - c.absoluteCI![0];
    expect(welchTTest(control, treatment, { alpha: 0.05 })).toEqual(welchTTest(control, treatment));
    expect(width(welchTTest(control, treatment, { alpha: 0.1 }))).toBeLessThan(
      width(welchTTest(control, treatment)),
    );
    for (const alpha of [0, 1, -0.1, NaN])
      expect(() => welchTTest(control, treatment, { alpha })).toThrow(RangeError);
  });

  it('the interval excludes 0 exactly when p < alpha', () => {
    const normal = normalGenerator(8);
    for (let i = 0; i < 50; i++) {
      const c = welchTTest(summaryOf(draw(normal, 40, 0, 1)), summaryOf(draw(normal, 40, 0.4, 1)));
      const [lo, hi] = c.absoluteCI!;
      expect(lo > 0 || hi < 0).toBe(c.pValue! < 0.05);
    }
  });

  it('reports figures that overflow or underflow as unknown rather than failing', () => {
    for (const scale of [1e-300, 1e-170, 1e-150, 1e150]) {
      expectNoNonFinite(
        welchTTest(summaryOf([1, 2, 3].map((x) => x * scale)), summaryOf([2, 4, 3].map((x) => x * scale))),
      );
    }
    const small = welchTTest(summaryOf([1e-150, 2e-150, 3e-150]), summaryOf([2e-150, 4e-150, 3e-150]));
    expect(small.pValue).toBeCloseTo(welchTTest(summaryOf([1, 2, 3]), summaryOf([2, 4, 3])).pValue!, 10);
    const subnormalControl = welchTTest(summaryOf([5e-324, 5e-324]), summaryOf([1, 2]));
    expect(subnormalControl.relativeEffect).toBeNull();
    expectNoNonFinite(subnormalControl);
  });

  it('refuses a mixing variance that is not positive', () => {
    for (const mixingVariance of [0, -1, NaN, Infinity]) {
      expect(() => welchTTest(control, treatment, { mixingVariance })).toThrow(RangeError);
    }
  });

  it('never answers NaN or Infinity, whatever the sample', () => {
    const values = fc.array(
      fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double({ min: -1e6, max: 1e6, noNaN: true })),
      {
        maxLength: 12,
      },
    );
    fc.assert(
      fc.property(values, values, (a, b) => {
        const c = welchTTest(summaryOf(a), summaryOf(b));
        expectNoNonFinite(c);
        if (c.pValue !== null) expect(c.pValue).toBeLessThanOrEqual(1);
      }),
      { numRuns: 1000, seed: 21 },
    );
  });
});

describe('twoProportionZTest', () => {
  it('reads n and the conversions only', () => {
    expect(twoProportionZTest(conversions(1000, 100), conversions(1000, 120))).toEqual(
      twoProportionZTest({ n: 1000, sum: 100, sumSquares: 0 }, { n: 1000, sum: 120, sumSquares: 7 }),
    );
  });

  it('has no test when nobody (or everybody) converted on both sides', () => {
    for (const k of [0, 50]) {
      const c = twoProportionZTest(conversions(50, k), conversions(50, k));
      expect(c.absoluteEffect).toBe(0);
      for (const field of INFERENTIAL) expect(c[field]).toBeNull();
    }
  });

  it('tests 0% against 100% with the pooled SE but gives no zero-width interval', () => {
    const c = twoProportionZTest(conversions(50, 0), conversions(50, 50));
    expect(c.statistic).toBeCloseTo(10, 12);
    expect(c.pValue).toBeCloseTo(2 * normalSf(10), 25);
    expect(c.relativeEffect).toBeNull();
    expect(c.absoluteCI).toBeNull();
    expect(c.chanceToBeatControl).toBeNull();
    expect(c.sequentialPValue).toBeNull();
  });

  it('is null throughout without units on either side', () => {
    const c = twoProportionZTest(conversions(0, 0), conversions(10, 3));
    expect(c.absoluteEffect).toBeNull();
    for (const field of INFERENTIAL) expect(c[field]).toBeNull();
  });

  it('refuses conversions outside [0, n] or fractional', () => {
    expect(() => twoProportionZTest(conversions(10, 11), conversions(10, 1))).toThrow(RangeError);
    expect(() => twoProportionZTest(conversions(10, 1), conversions(10, -1))).toThrow(RangeError);
    expect(() => twoProportionZTest(conversions(10, 1.5), conversions(10, 1))).toThrow(RangeError);
  });

  it('never answers NaN or Infinity', () => {
    const arm = fc
      .integer({ min: 0, max: 200 })
      .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n })));
    fc.assert(
      fc.property(arm, arm, ([nc, cc], [nt, ct]) => {
        expectNoNonFinite(twoProportionZTest(conversions(nc, cc), conversions(nt, ct)));
      }),
      { numRuns: 1000, seed: 22 },
    );
  });

  it('agrees with Welch on the same 0/1 values when samples are large', () => {
    const z = twoProportionZTest(conversions(100_000, 10_000), conversions(100_000, 10_300));
    const t = welchTTest(conversions(100_000, 10_000), conversions(100_000, 10_300));
    expect(z.pValue).toBeCloseTo(t.pValue!, 5);
    expect(z.absoluteCI![0]).toBeCloseTo(t.absoluteCI![0], 6);
  });
});

describe('compareToControl', () => {
  const normal = normalGenerator(9);
  const control = summaryOf(draw(normal, 500, 10, 2));
  const treatments = [summaryOf(draw(normal, 480, 10.3, 2)), summaryOf(draw(normal, 510, 9.9, 2.5))];

  it('compares each treatment with the control, in order, without correction', () => {
    const { comparisons, cuped } = compareToControl(control, treatments, { test: 'welch-t', alpha: 0.1 });
    expect(cuped).toBeNull();
    expect(comparisons).toEqual(treatments.map((t) => welchTTest(control, t, { alpha: 0.1 })));
  });

  it('uses the z-test for conversions', () => {
    const arms = [conversions(900, 95), conversions(950, 120)];
    const { comparisons } = compareToControl(conversions(1000, 100), arms, { test: 'two-proportion-z' });
    expect(comparisons).toEqual(arms.map((t) => twoProportionZTest(conversions(1000, 100), t)));
  });

  it('applies CUPED only when the covariates explain something, and never changes the test', () => {
    const covariates = {
      control: covariateOf([], []),
      treatments: [covariateOf([], []), covariateOf([], [])],
    };
    // A covariate that is 0 for everyone (no pre-exposure data) explains nothing: θ = 0, no adjustment, and the
    // figures are the plain ones.
    const { comparisons, cuped } = compareToControl(control, treatments, { test: 'welch-t', covariates });
    expect(cuped).toBeNull();
    expect(comparisons).toEqual(treatments.map((t) => welchTTest(control, t)));
    const arms = [conversions(900, 95)];
    const none = compareToControl(conversions(1000, 100), arms, {
      test: 'two-proportion-z',
      covariates: { control: covariates.control, treatments: [covariates.control] },
    });
    expect(none).toEqual({
      comparisons: [twoProportionZTest(conversions(1000, 100), arms[0]!)],
      cuped: null,
    });

    // Conversions with a covariate that predicts them: adjusted, and still the z-test.
    const x = (n: number, k: number) => Array.from({ length: n }, (_, i) => (i < k ? 1 : 0));
    const y = (n: number, k: number) => Array.from({ length: n }, (_, i) => (i < k ? 2 : 0) + (i % 3));
    const adjusted = compareToControl(conversions(1000, 100), arms, {
      test: 'two-proportion-z',
      covariates: {
        control: covariateOf(x(1000, 100), y(1000, 100)),
        treatments: [covariateOf(x(900, 95), y(900, 95))],
      },
    });
    expect(adjusted.cuped!.theta).not.toBe(0);
    expect(adjusted.comparisons[0]!.test).toBe('two-proportion-z');
    expect(adjusted.comparisons[0]!.standardError!).toBeLessThan(none.comparisons[0]!.standardError!);
  });

  it('meansZTest is the two-proportion z-test on 0/1 values', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 100_000 }),
        fc.integer({ min: 2, max: 100_000 }),
        fc.double({ min: 0.001, max: 0.999, noNaN: true }),
        fc.double({ min: 0.001, max: 0.999, noNaN: true }),
        (nc, nt, pc, pt) => {
          const c = conversions(nc, Math.round(nc * pc));
          const t = conversions(nt, Math.round(nt * pt));
          const expected = twoProportionZTest(c, t);
          const actual = meansZTest(c, t);
          for (const field of ['statistic', 'pValue', 'standardError', 'sequentialPValue'] as const) {
            const [a, e] = [actual[field], expected[field]];
            if (e === null) expect(a).toBeNull();
            else expect(Math.abs(a! - e)).toBeLessThanOrEqual(1e-9 * Math.max(Math.abs(e), 1e-300));
          }
          expect(actual.test).toBe('two-proportion-z');
        },
      ),
      { numRuns: 300, seed: 61 },
    );
  });

  it('refuses covariates that do not match the treatments', () => {
    expect(() =>
      compareToControl(control, treatments, {
        test: 'welch-t',
        covariates: { control: covariateOf([], []), treatments: [covariateOf([], [])] },
      }),
    ).toThrow(RangeError);
  });
});
