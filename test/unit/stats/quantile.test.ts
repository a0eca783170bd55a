import { FINE_RELATIVE_ERROR, fineBucketOf, fineBucketRange } from '../../../shared/analytics/histogram';
import { estimateQuantile, quantileZTest, type CountedRange } from '../../../shared/stats';

/**
 * Quantiles from counted ranges (shared/stats/quantile.ts) against exact values: where the counts say the exact
 * sample quantile lies (its rank error), how far the reported value can be from it, and how often the
 * order-statistic interval covers the population quantile. Seeded; Math taken once (Jest's vm context).
 */
const { exp, log, sqrt, cos, PI, imul, ceil, abs } = Math;

function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
}

/** Lognormal(μ = ln scale, σ) latencies: their true q-quantile is scale · e^(σ z_q). */
function lognormal(rand: () => number, n: number, scale: number, sigma: number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = scale * exp(sigma * sqrt(-2 * log(rand())) * cos(2 * PI * rand()));
  return out;
}

/** The fine histogram of the event processor, as counted ranges. */
function fineRanges(values: readonly number[]): CountedRange[] {
  const counts = new Map<number, number>();
  for (const v of values) {
    const b = fineBucketOf(v);
    counts.set(b, (counts.get(b) ?? 0) + 1);
  }
  return [...counts].map(([b, count]) => ({ ...fineBucketRange(b), count }));
}

const Z95 = 1.6448536269514722;

/** The simulated figures, printed when SIMULATION_REPORT is set (the assertions hold them either way). */
function report(line: string): void {
  if (process.env.SIMULATION_REPORT !== undefined) console.warn(line);
}

describe('quantiles from a histogram', () => {
  it('are exact with one range per value: the nearest-rank quantile and the order-statistic interval', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    const ranges = values.map((v) => ({ lower: v, upper: v + 0.5, middle: v, count: 1 }));
    const estimate = estimateQuantile(ranges, 0.95)!;
    expect(estimate.value).toBe(95);
    expect(estimate.bracket).toEqual([95, 95.5]);
    // binom.ppf(0.025, 100, 0.95) = 90, binom.ppf(0.975, 100, 0.95) + 1 = 100 (test/fixtures/stats).
    expect(estimate.interval).toEqual([90, 100.5]);
    // Too few values for an upper bound on the 99th percentile.
    expect(estimateQuantile(ranges, 0.99)!.interval).toBeNull();
    expect(estimateQuantile([], 0.5)).toBeNull();
  });

  it('bracket the exact sample quantile and stay within the stated relative error; the rank error is that of one bucket', () => {
    const rand = uniform(41);
    let worstRelative = 0;
    for (let run = 0; run < 50; run++) {
      const values = lognormal(rand, 500 + run * 97, 120, 0.4 + run * 0.02);
      const sorted = [...values].sort((a, b) => a - b);
      const ranges = fineRanges(values);
      for (const q of [0.5, 0.9, 0.95, 0.99]) {
        const k = ceil(q * sorted.length);
        const exact = sorted[k - 1]!;
        const estimate = estimateQuantile(ranges, q)!;
        expect(exact).toBeGreaterThanOrEqual(estimate.bracket[0]);
        expect(exact).toBeLessThan(estimate.bracket[1]);
        worstRelative = Math.max(worstRelative, abs(estimate.value / exact - 1));
        // Rank error: the reported value's rank among the exact values is off by at most its bucket's count.
        const inBucket = sorted.filter((v) => v >= estimate.bracket[0] && v < estimate.bracket[1]).length;
        const rank = sorted.filter((v) => v <= estimate.value).length;
        expect(abs(rank - k)).toBeLessThanOrEqual(inBucket);
      }
    }
    expect(worstRelative).toBeLessThanOrEqual(FINE_RELATIVE_ERROR);
    expect(FINE_RELATIVE_ERROR).toBeCloseTo(0.00271, 5);
  });

  it('give 95 % intervals that cover the true p95 in ≥ 94 % of 2 000 runs of 2 000 values', () => {
    const rand = uniform(42);
    const truth = 200 * exp(0.5 * Z95);
    let covered = 0;
    let width = 0;
    const runs = 2000;
    for (let run = 0; run < runs; run++) {
      const estimate = estimateQuantile(fineRanges(lognormal(rand, 2000, 200, 0.5)), 0.95, 0.05)!;
      const [lower, upper] = estimate.interval!;
      if (lower <= truth && truth <= upper) covered++;
      width += (upper - lower) / truth;
    }
    report(
      `p95 interval coverage at n = 2000: ${((covered / runs) * 100).toFixed(1)} % ` +
        `(mean width ${((width / runs) * 100).toFixed(1)} % of p95)`,
    );
    expect(covered / runs).toBeGreaterThanOrEqual(0.94);
  });

  it('compare two arms’ p95 with a z-test that holds its level in A/A and finds a +10 % shift', () => {
    const rand = uniform(43);
    const runs = 400;
    let falseAlarms = 0;
    let found = 0;
    for (let run = 0; run < runs; run++) {
      const summary = (scale: number) => {
        const e = estimateQuantile(fineRanges(lognormal(rand, 2000, scale, 0.5)), 0.95)!;
        return { n: e.n, value: e.value, standardError: e.standardError };
      };
      const control = summary(200);
      if (quantileZTest(control, summary(200)).pValue! < 0.05) falseAlarms++;
      if (quantileZTest(control, summary(220)).pValue! < 0.05) found++;
    }
    report(
      `p95 z-test at n = 2000 per arm: A/A rejections ${((falseAlarms / runs) * 100).toFixed(1)} %, ` +
        `+10 % found ${((found / runs) * 100).toFixed(1)} %`,
    );
    expect(falseAlarms / runs).toBeLessThanOrEqual(0.075);
    expect(found / runs).toBeGreaterThan(0.5);
  });
});
