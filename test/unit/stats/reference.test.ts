import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  compareToControl,
  cupedAdjust,
  sampleRatioMismatch,
  summarize,
  twoProportionZTest,
  welchTTest,
  type Comparison,
  type CovariateSummary,
  type Direction,
  type SampleSummary,
} from '../../../shared/stats';

/**
 * Agreement with SciPy/statsmodels (test/fixtures/stats/generate.py) to 1e-6:
 * |actual − expected| ≤ 1e-6 · max(|expected|, scale), that is relative 1e-6, and near zero absolute 1e-6
 * of a scale that suits the field: the standard error for effects and interval bounds (a bound close to
 * 0 is still held to a millionth of the SE), the interval's width for relative figures, 1 for t/z, and
 * 1e-6 for probabilities — relative 1e-6 down to p = 1e-6, then 1e-12 absolute. (The t and normal tails
 * are in fact relative to ~1e-8 all the way down; the chi-square tail, from jStat, only absolute to ~1e-11.)
 * What is actually seen is far inside: ≤ 1e-9 for interval bounds (SciPy 1.10's t quantile), ≤ 1e-8 for
 * the Welch p-value beyond 1e9 df (normal limit), ~1e-13 or less for everything else.
 */
const TOLERANCE = 1e-6;

interface Expected {
  readonly absoluteEffect: number;
  readonly absoluteCI: [number, number];
  readonly relativeEffect: number | null;
  readonly relativeCI: [number, number] | null;
  readonly standardError: number;
  readonly statistic: number;
  readonly degreesOfFreedom: number | null;
  readonly pValue: number;
  readonly chanceToBeatControl: number;
  readonly sequentialPValue: number;
}

interface ComparisonCase {
  readonly name: string;
  readonly alpha: number;
  readonly direction: Direction;
  readonly mixingVariance?: number;
  readonly control: SampleSummary;
  readonly treatment: SampleSummary;
  readonly expected: Expected;
}

interface Reference {
  readonly versions: Record<string, string>;
  readonly welch: readonly ComparisonCase[];
  readonly proportions: readonly ComparisonCase[];
  readonly srm: readonly {
    readonly name: string;
    readonly observed: number[];
    readonly weights: number[];
    readonly expected: { chiSquare: number; degreesOfFreedom: number; pValue: number; mismatch: boolean };
  }[];
  readonly cuped: readonly {
    readonly name: string;
    readonly variants: readonly { metric: SampleSummary; covariate: CovariateSummary }[];
    readonly expected: {
      theta: number;
      covariateMean: number;
      adjusted: { n: number; mean: number; variance: number }[];
      unadjustedVariance: number[];
      comparisons: {
        absoluteEffect: number;
        absoluteCI: [number, number];
        statistic: number;
        pValue: number;
      }[];
    };
  }[];
}

const reference = JSON.parse(
  readFileSync(join(__dirname, '../../fixtures/stats/reference.json'), 'utf8'),
) as Reference;

/** Collects the fields that disagree, so a failure names every one of them at once. */
class Agreement {
  readonly misses: string[] = [];

  close(field: string, actual: number | null | undefined, expected: number | null, scale: number): void {
    if (expected === null || actual === null || actual === undefined) {
      if (actual !== expected) this.misses.push(`${field}: ${actual} ≠ ${expected}`);
      return;
    }
    const error = Math.abs(actual - expected);
    const allowed = TOLERANCE * Math.max(Math.abs(expected), scale);
    if (!(error <= allowed))
      this.misses.push(`${field}: ${actual} vs ${expected} (|Δ| ${error} > ${allowed})`);
  }

  interval(
    field: string,
    actual: readonly number[] | null,
    expected: readonly number[] | null,
    scale: number,
  ) {
    if (actual === null || expected === null) {
      if (actual !== expected)
        this.misses.push(`${field}: ${JSON.stringify(actual)} ≠ ${JSON.stringify(expected)}`);
      return;
    }
    this.close(`${field}[0]`, actual[0], expected[0]!, scale);
    this.close(`${field}[1]`, actual[1], expected[1]!, scale);
  }

  comparison(actual: Comparison, expected: Expected): void {
    const se = expected.standardError;
    const relativeScale = expected.relativeCI === null ? 1 : expected.relativeCI[1] - expected.relativeCI[0];
    this.close('absoluteEffect', actual.absoluteEffect, expected.absoluteEffect, se);
    this.interval('absoluteCI', actual.absoluteCI, expected.absoluteCI, se);
    this.close('relativeEffect', actual.relativeEffect, expected.relativeEffect, relativeScale);
    this.interval('relativeCI', actual.relativeCI, expected.relativeCI, relativeScale);
    this.close('standardError', actual.standardError, se, se);
    this.close('statistic', actual.statistic, expected.statistic, 1);
    this.close('degreesOfFreedom', actual.degreesOfFreedom, expected.degreesOfFreedom, 1);
    this.close('pValue', actual.pValue, expected.pValue, 1e-6);
    this.close('chanceToBeatControl', actual.chanceToBeatControl, expected.chanceToBeatControl, 1e-6);
    this.close('sequentialPValue', actual.sequentialPValue, expected.sequentialPValue, 1e-6);
  }
}

const options = (c: ComparisonCase) => ({
  alpha: c.alpha,
  direction: c.direction,
  ...(c.mixingVariance === undefined ? {} : { mixingVariance: c.mixingVariance }),
});

describe(`statistics against SciPy ${reference.versions.scipy} / statsmodels ${reference.versions.statsmodels}`, () => {
  it.each(reference.welch.map((c) => [c.name, c] as const))('Welch t-test: %s', (_name, c) => {
    const agreement = new Agreement();
    agreement.comparison(welchTTest(c.control, c.treatment, options(c)), c.expected);
    expect(agreement.misses).toEqual([]);
  });

  it.each(reference.proportions.map((c) => [c.name, c] as const))('two-proportion z-test: %s', (_name, c) => {
    const agreement = new Agreement();
    agreement.comparison(twoProportionZTest(c.control, c.treatment, options(c)), c.expected);
    expect(agreement.misses).toEqual([]);
  });

  it.each(reference.srm.map((c) => [c.name, c] as const))('sample-ratio mismatch: %s', (_name, c) => {
    const actual = sampleRatioMismatch(c.observed, c.weights);
    const agreement = new Agreement();
    agreement.close('chiSquare', actual.chiSquare, c.expected.chiSquare, 1);
    agreement.close('pValue', actual.pValue, c.expected.pValue, 1e-6);
    expect(agreement.misses).toEqual([]);
    expect(actual.degreesOfFreedom).toBe(c.expected.degreesOfFreedom);
    expect(actual.mismatch).toBe(c.expected.mismatch);
  });

  it.each(reference.cuped.map((c) => [c.name, c] as const))(
    'CUPED from aggregates = Welch on the adjusted raw values: %s',
    (_name, c) => {
      const { expected } = c;
      const adjustment = cupedAdjust(c.variants);
      const agreement = new Agreement();
      agreement.close('theta', adjustment.theta, expected.theta, 1);
      agreement.close('covariateMean', adjustment.covariateMean, expected.covariateMean, 1);
      adjustment.variants.forEach((v, i) => {
        const moments = summarize(v);
        const want = expected.adjusted[i]!;
        expect(moments.n).toBe(want.n);
        agreement.close(`adjusted[${i}].mean`, moments.mean, want.mean, 1);
        agreement.close(`adjusted[${i}].variance`, moments.variance, want.variance, 1);
      });

      const [control, ...treatments] = c.variants;
      const { comparisons, cuped } = compareToControl(
        control!.metric,
        treatments.map((t) => t.metric),
        {
          test: 'welch-t',
          covariates: { control: control!.covariate, treatments: treatments.map((t) => t.covariate) },
        },
      );
      expect(cuped?.theta).toBe(adjustment.theta);
      comparisons.forEach((comparison, i) => {
        const want = expected.comparisons[i]!;
        const se = comparison.standardError ?? 1;
        agreement.close(
          `comparisons[${i}].absoluteEffect`,
          comparison.absoluteEffect,
          want.absoluteEffect,
          se,
        );
        agreement.interval(`comparisons[${i}].absoluteCI`, comparison.absoluteCI, want.absoluteCI, se);
        agreement.close(`comparisons[${i}].statistic`, comparison.statistic, want.statistic, 1);
        agreement.close(`comparisons[${i}].pValue`, comparison.pValue, want.pValue, 1e-6);
      });
      expect(agreement.misses).toEqual([]);
    },
  );

  it('CUPED shrinks the variance by about 1 − ρ² when the covariate is correlated', () => {
    for (const c of reference.cuped) {
      const adjusted = cupedAdjust(c.variants).variants.map((v) => summarize(v).variance!);
      const unadjusted = c.variants.map((v) => summarize(v.metric).variance!);
      adjusted.forEach((v, i) => expect(v).toBeLessThanOrEqual(unadjusted[i]! * 1.001));
    }
    const [correlated] = reference.cuped;
    const before = summarize(correlated!.variants[0]!.metric).variance!;
    const after = summarize(cupedAdjust(correlated!.variants).variants[0]!).variance!;
    expect(after / before).toBeLessThan(1 - 0.8 ** 2 + 0.05);
  });
});
