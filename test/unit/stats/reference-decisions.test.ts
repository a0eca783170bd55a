import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  adjustPValues,
  orderStatisticRanks,
  power,
  sampleSize,
  type Correction,
} from '../../../shared/stats';
import { binomialCdf } from '../../../shared/stats/distributions';

/**
 * The pieces behind verdicts and plans against statsmodels/SciPy (test/fixtures/stats/generate.py):
 * multipletests for the corrections, stats.power / power_proportions_2indep for power and sample sizes,
 * binom.ppf for the ranks of quantile intervals.
 */
interface Reference {
  readonly versions: Record<string, string>;
  readonly multiple: readonly {
    name: string;
    pValues: number[];
    expected: Record<Exclude<Correction, 'none'>, number[]>;
  }[];
  readonly power: {
    readonly means: readonly {
      name: string;
      effectSize: number;
      alpha: number;
      power: number;
      ratio: number;
      expected: { treatmentUnits: number; powerAt1000: number };
    }[];
    readonly proportions: readonly {
      name: string;
      baseline: number;
      difference: number;
      alpha: number;
      power: number;
      ratio: number;
      expected: { treatmentUnits: number; powerAt1000: number };
    }[];
  };
  readonly quantiles: readonly {
    n: number;
    q: number;
    alpha: number;
    expected: { lower: number; upper: number; coverage: number };
  }[];
  readonly distributions: { binomialCdf: readonly { k: number; n: number; p: number; cdf: number }[] };
}

const reference = JSON.parse(
  readFileSync(join(__dirname, '../../fixtures/stats/reference.json'), 'utf8'),
) as Reference;

const close = (actual: number | null, expected: number, relative = 1e-9) => {
  expect(actual).not.toBeNull();
  expect(Math.abs(actual! - expected)).toBeLessThanOrEqual(relative * Math.max(Math.abs(expected), 1e-12));
};

describe(`verdict and planning pieces against statsmodels ${reference.versions.statsmodels}`, () => {
  it.each(reference.multiple.map((c) => [c.name, c] as const))('multipletests: %s', (_name, c) => {
    for (const method of ['holm', 'bonferroni', 'benjamini-hochberg'] as const) {
      const adjusted = adjustPValues(c.pValues, method);
      adjusted.forEach((p, i) => close(p, c.expected[method][i]!, 1e-12));
    }
    expect(adjustPValues(c.pValues, 'none')).toEqual(c.pValues);
  });

  it.each(reference.power.means.map((c) => [c.name, c] as const))('NormalIndPower: %s', (_name, c) => {
    // Effect size d on a unit standard deviation; statsmodels' nobs1 is the treatment, nobs2 = ratio · nobs1.
    const input = { effect: c.effectSize, controlVariance: 1, treatmentVariance: 1, alpha: c.alpha };
    close(sampleSize({ ...input, target: c.power, ratio: c.ratio }), c.expected.treatmentUnits, 1e-8);
    close(
      power({ ...input, treatmentUnits: 1000, controlUnits: 1000 * c.ratio }),
      c.expected.powerAt1000,
      1e-12,
    );
  });

  it.each(reference.power.proportions.map((c) => [c.name, c] as const))(
    'power_proportions_2indep: %s',
    (_name, c) => {
      const p2 = c.baseline;
      const p1 = p2 + c.difference;
      const pooled = (p1 + p2 * c.ratio) / (1 + c.ratio);
      const input = {
        effect: c.difference,
        controlVariance: p2 * (1 - p2),
        treatmentVariance: p1 * (1 - p1),
        nullVariances: { control: pooled * (1 - pooled), treatment: pooled * (1 - pooled) },
        alpha: c.alpha,
      };
      close(sampleSize({ ...input, target: c.power, ratio: c.ratio }), c.expected.treatmentUnits, 1e-8);
      close(
        power({ ...input, treatmentUnits: 1000, controlUnits: 1000 * c.ratio }),
        c.expected.powerAt1000,
        1e-12,
      );
    },
  );

  it.each(reference.quantiles.map((c) => [`n ${c.n}, q ${c.q}, α ${c.alpha}`, c] as const))(
    'order-statistic ranks (binom.ppf): %s',
    (_name, c) => {
      expect(orderStatisticRanks(c.n, c.q, c.alpha)).toEqual({
        lower: c.expected.lower,
        upper: c.expected.upper,
      });
      const { lower, upper } = c.expected;
      close(binomialCdf(upper - 1, c.n, c.q) - binomialCdf(lower - 1, c.n, c.q), c.expected.coverage, 1e-9);
      expect(c.expected.coverage).toBeGreaterThanOrEqual(1 - c.alpha);
    },
  );

  it.each(reference.distributions.binomialCdf.map((c) => [c.k, c.n, c.p, c] as const))(
    'P(B ≤ %d) for Binomial(%d, %d)',
    (_k, _n, _p, c) => close(binomialCdf(c.k, c.n, c.p), c.cdf, 1e-9),
  );
});
