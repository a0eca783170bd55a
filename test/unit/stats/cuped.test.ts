import { cupedAdjust, summarize, welchTTest, type CupedVariant } from '../../../shared/stats';
import { covariateOf, draw, normalGenerator, summaryOf } from './samples';

/** Units whose metric is `rho`-correlated with a pre-period covariate y ~ N(10, 2²). */
function variant(normal: () => number, n: number, mean: number, rho: number, yShift = 0) {
  const y = draw(normal, n, 10, 2);
  const x = y.map((yi) => mean + rho * (yi - 10) + Math.sqrt(1 - rho * rho) * 2 * normal());
  return { x, y: y.map((yi) => yi + yShift) };
}

const toCuped = ({ x, y }: { x: number[]; y: number[] }): CupedVariant => ({
  metric: summaryOf(x),
  covariate: covariateOf(x, y),
});

describe('cupedAdjust', () => {
  const normal = normalGenerator(51);
  const raw = [variant(normal, 3000, 10, 0.7), variant(normal, 3000, 10.15, 0.7)];
  const variants = raw.map(toCuped);

  it('reduces the variance by about 1 − ρ² and keeps the means', () => {
    const { theta, variants: adjusted } = cupedAdjust(variants);
    expect(theta).toBeGreaterThan(0.6);
    expect(theta).toBeLessThan(0.8);
    adjusted.forEach((a, i) => {
      const before = summarize(variants[i]!.metric);
      const after = summarize(a);
      expect(after.variance! / before.variance!).toBeGreaterThan(1 - 0.7 ** 2 - 0.05);
      expect(after.variance! / before.variance!).toBeLessThan(1 - 0.7 ** 2 + 0.05);
      expect(Math.abs(after.mean! - before.mean!)).toBeLessThan(0.1);
    });
    const plain = welchTTest(variants[0]!.metric, variants[1]!.metric);
    const adjustedTest = welchTTest(adjusted[0]!, adjusted[1]!);
    expect(adjustedTest.standardError!).toBeLessThan(plain.standardError! * 0.8);
  });

  it('matches the adjustment done unit by unit', () => {
    const { theta, covariateMean, variants: adjusted } = cupedAdjust(variants);
    raw.forEach(({ x, y }, i) => {
      const byUnit = summaryOf(x.map((xi, j) => xi - theta * (y[j]! - covariateMean)));
      const fromAggregates = summarize(adjusted[i]!);
      const expected = summarize(byUnit);
      expect(fromAggregates.mean!).toBeCloseTo(expected.mean!, 10);
      expect(fromAggregates.variance! / expected.variance!).toBeCloseTo(1, 10);
    });
  });

  it('changes nothing when the covariate is constant or 0: θ = 0 and the very same summaries', () => {
    for (const value of [0, 5]) {
      const constant = raw.map(({ x }) => toCuped({ x, y: x.map(() => value) }));
      const { theta, variants: adjusted } = cupedAdjust(constant);
      expect(theta).toBe(0);
      adjusted.forEach((a, i) => expect(a).toBe(constant[i]!.metric));
    }
  });

  it('does not depend on where the covariate is centred', () => {
    const shifted = raw.map(({ x, y }) => toCuped({ x, y: y.map((yi) => yi + 1000) }));
    const a = cupedAdjust(variants);
    const b = cupedAdjust(shifted);
    expect(b.theta).toBeCloseTo(a.theta, 8);
    const effect = (c: typeof a) => summarize(c.variants[1]!).mean! - summarize(c.variants[0]!).mean!;
    expect(effect(b)).toBeCloseTo(effect(a), 8);
  });

  it('shares one θ, pooled within variants, so a treatment effect on x does not leak into it', () => {
    // The treatment adds 50 to x: pooled over all units at once that would look like covariance with y
    // if the arms' y differed; within variants it cannot.
    const normal2 = normalGenerator(52);
    const arms = [variant(normal2, 2000, 10, 0.5), variant(normal2, 2000, 60, 0.5, 3)].map(toCuped);
    expect(cupedAdjust(arms).theta).toBeGreaterThan(0.4);
    expect(cupedAdjust(arms).theta).toBeLessThan(0.6);
  });

  it('passes an empty variant through', () => {
    const { variants: adjusted } = cupedAdjust([
      ...variants,
      { metric: { n: 0, sum: 0, sumSquares: 0 }, covariate: covariateOf([], []) },
    ]);
    expect(adjusted[2]).toEqual({ n: 0, sum: 0, sumSquares: 0 });
  });

  it('refuses non-finite covariate sums', () => {
    expect(() =>
      cupedAdjust([{ metric: summaryOf([1, 2]), covariate: { sum: NaN, sumSquares: 1, sumProducts: 1 } }]),
    ).toThrow(RangeError);
  });
});
