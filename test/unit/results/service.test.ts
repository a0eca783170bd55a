import type { ExperimentAggregates, MetricAggregate } from '../../../shared/analytics/store';
import type { ConfigReader } from '../../../shared/config/repository';
import type { Experiment } from '../../../shared/experiments/requests';
import type { Metric } from '../../../shared/metrics/schema';
import { ResultsService } from '../../../shared/results/service';
import { bucketOf } from '../../../shared/analytics/histogram';
import { MemoryBoundStore } from './memory-bounds';

const experiment: Experiment = {
  key: 'checkout',
  name: 'Checkout',
  description: '',
  tags: [],
  variants: [
    { key: 'control', name: 'Control', weight: 5000, isControl: true },
    { key: 'treatment', name: 'Treatment', weight: 5000, isControl: false },
  ],
  trafficAllocation: 10_000,
  unitAttribute: 'userId',
  primaryMetric: 'converted',
  secondaryMetrics: ['revenue'],
  guardrailMetrics: ['latency'],
  status: 'ACTIVE',
  createdBy: 'dev',
  createdAt: '2026-11-01T00:00:00.000Z',
  updatedAt: '2026-11-01T00:00:00.000Z',
  version: 2,
};

const metric = (key: string, type: Metric['type'], direction: Metric['direction'] = 'increase'): Metric => ({
  key,
  name: key,
  description: '',
  tags: [],
  type,
  eventName: key,
  direction,
  createdBy: 'dev',
  createdAt: '2026-11-01T00:00:00.000Z',
  updatedAt: '2026-11-01T00:00:00.000Z',
  version: 1,
});

const repository = <T extends Experiment | Metric>(items: T[]) =>
  ({
    get: async (key: string) => items.find((i) => i.key === key) ?? null,
    list: async () => items,
  }) as unknown as ConfigReader<T>;

/** The aggregate of per-unit values, as the processor builds it. */
function aggregate(variant: string, metricKey: string, values: number[], histogram = {}): MetricAggregate {
  return {
    variant,
    metricKey,
    n: values.length,
    sum: values.reduce((a, b) => a + b, 0),
    sumSquares: values.reduce((a, b) => a + b * b, 0),
    conversions: values.reduce((a, b) => a + b, 0),
    covariate: { sum: 0, sumSquares: 0, sumProducts: 0 },
    ratio: { numerator: 0, denominator: 0, numeratorSquares: 0, denominatorSquares: 0, products: 0 },
    values: { count: values.length, sum: 0, sumSquares: 0, histogram },
  };
}

const ones = (n: number, of: number) => Array.from({ length: of }, (_, i) => (i < n ? 1 : 0));
const amounts = (n: number, base: number) => Array.from({ length: n }, (_, i) => base + (i % 7));

function aggregates(units: [number, number], conversions: [number, number]): ExperimentAggregates {
  const variant = (key: string, i: 0 | 1, revenueBase: number) => ({
    units: units[i],
    metrics: {
      converted: aggregate(key, 'converted', ones(conversions[i], units[i])),
      revenue: aggregate(key, 'revenue', amounts(units[i], revenueBase)),
    },
  });
  return {
    experimentKey: 'checkout',
    variants: { control: variant('control', 0, 10), treatment: variant('treatment', 1, 10) },
  };
}

function service(data: ExperimentAggregates) {
  return new ResultsService(
    repository([experiment]),
    repository([
      metric('converted', 'conversion'),
      metric('revenue', 'sum'),
      metric('latency', 'duration_p95', 'decrease'),
    ]),
    { readExperimentAggregates: async () => data },
    new MemoryBoundStore(),
    () => new Date('2026-11-30T00:00:00.000Z'),
  );
}

describe('experiment results', () => {
  it('compares each metric with the test its type calls for, from the aggregates', async () => {
    const data = aggregates([10_000, 10_000], [1000, 1150]);
    const results = await service(data).results('checkout');
    const [converted, revenue, latency] = results.metrics;
    expect(results.variants).toEqual([
      { key: 'control', isControl: true, weight: 5000, units: 10_000 },
      { key: 'treatment', isControl: false, weight: 5000, units: 10_000 },
    ]);
    expect(converted).toMatchObject({ role: 'primary', test: 'two-proportion-z' });
    // statsmodels: proportions_ztest([1150, 1000], [10000, 10000]) = (3.4242693353108837, 0.0006164549192148455)
    const [lift] = converted!.comparisons;
    expect(lift!.statistic).toBeCloseTo(3.4242693353108837, 9);
    expect(lift!.pValue).toBeCloseTo(0.0006164549192148455, 12);
    expect(lift!.absoluteEffect).toBeCloseTo(0.015, 12);
    expect(lift!.relativeEffect).toBeCloseTo(0.15, 12);
    expect(lift).toMatchObject({ variant: 'treatment', significant: true, test: 'two-proportion-z' });
    expect(converted!.variants[1]).toMatchObject({
      variant: 'treatment',
      units: 10_000,
      conversions: 1150,
      mean: 0.115,
    });
    expect(revenue).toMatchObject({ role: 'secondary', test: 'welch-t' });
    // Identical revenue in both arms: no effect at all.
    expect(revenue!.comparisons[0]).toMatchObject({ absoluteEffect: 0, pValue: 1, significant: false });
    // No latency aggregates yet: empty figures, a comparison without figures, no NaN.
    expect(latency).toMatchObject({ role: 'guardrail', test: 'quantile-z' });
    expect(latency!.comparisons[0]).toMatchObject({
      pValue: null,
      outcome: 'inconclusive',
      significant: false,
    });
    expect(latency!.variants[0]).toMatchObject({ units: 0, mean: null, p95: null });
    expect(results.sampleRatioMismatch.mismatch).toBe(false);
    // Sequential by default: the always-valid p-value (above the fixed one) decides.
    expect(lift!.alwaysValidPValue).toBe(lift!.sequentialPValue);
    expect(lift!.alwaysValidPValue!).toBeGreaterThan(lift!.pValue!);
    expect(lift!.alwaysValidPValue!).toBeLessThan(0.05);
    expect(converted!.decision).toEqual({
      basis: 'always-valid',
      correction: 'holm',
      alpha: 0.05,
      sequenceLevel: 0.95,
    });
    expect(lift!.confidenceSequence![0]).toBeGreaterThan(0);
    expect(results.verdict.status).toBe('WINNER');
    expect(results.verdict.winners).toEqual(['treatment']);
    expect(results.verdict.message).toMatch(
      /^Beats control: treatment \+15\.0% on converted \(always-valid p = /,
    );
  });

  it('flags a sample ratio mismatch and says not to trust the results', async () => {
    const results = await service(aggregates([4500, 5500], [450, 700])).results('checkout');
    expect(results.sampleRatioMismatch.mismatch).toBe(true);
    expect(results.sampleRatioMismatch.pValue).toBeLessThan(0.001);
    expect(results.verdict.status).toBe('SAMPLE_RATIO_MISMATCH');
  });

  it('is inconclusive without a significant difference, and says so before any exposure', async () => {
    expect((await service(aggregates([5000, 5000], [500, 510])).results('checkout')).verdict.status).toBe(
      'INCONCLUSIVE',
    );
    const empty = await service({ experimentKey: 'checkout', variants: {} }).results('checkout');
    expect(empty.verdict).toEqual({ status: 'NO_DATA', message: 'No exposures yet.' });
    expect(empty.metrics[0]!.comparisons[0]!.pValue).toBeNull();
  });

  it('reports a worse treatment as such', async () => {
    const results = await service(aggregates([10_000, 10_000], [1150, 1000])).results('checkout');
    expect(results.verdict.status).toBe('LOSER');
  });

  it('answers 404 for an unknown experiment', async () => {
    await expect(service(aggregates([1, 1], [0, 0])).results('nope')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('applies CUPED on request, with the same data', async () => {
    const data = aggregates([1000, 1000], [100, 130]);
    for (const variant of Object.values(data.variants)) {
      const converted = variant.metrics.converted!;
      // A covariate that correlates with conversion (pre-exposure behaviour).
      (variant.metrics as Record<string, MetricAggregate>).converted = {
        ...converted,
        covariate: {
          sum: converted.sum * 2 + 50,
          sumSquares: converted.sum * 4 + 200,
          sumProducts: converted.sum * 2,
        },
      };
    }
    const plain = (await service(data).results('checkout')).metrics[0]!;
    const cuped = (await service(data).results('checkout', { cuped: true })).metrics[0]!;
    expect(plain.cuped).toBeNull();
    // CUPED never changes a metric's test: adjusted conversions keep the z-test.
    expect(cuped.test).toBe('two-proportion-z');
    expect(cuped.comparisons[0]!.test).toBe('two-proportion-z');
    expect(cuped.cuped!.theta).not.toBe(0);
    expect(cuped.comparisons[0]!.standardError!).toBeLessThan(plain.comparisons[0]!.standardError!);
  });

  it('leaves every figure as it is when CUPED is asked for without pre-exposure data (θ = 0), and says so', async () => {
    const data = aggregates([1000, 1000], [100, 130]);
    const plain = (await service(data).results('checkout')).metrics;
    const asked = (await service(data).results('checkout', { cuped: true })).metrics;
    expect(asked[0]).toEqual({
      ...plain[0],
      notes: [expect.stringMatching(/^CUPED not applied: no unit has pre-exposure data/)],
    });
    expect(asked[0]!.test).toBe('two-proportion-z');
    expect(asked[1]!.comparisons).toEqual(plain[1]!.comparisons);
  });

  it('reads the 95th percentile of duration metrics off the histogram', async () => {
    const data = aggregates([100, 100], [0, 0]);
    const latencies = (slow: number) => {
      const histogram: Record<number, number> = {};
      for (let i = 0; i < 100; i++) {
        const b = bucketOf(i < 95 ? 100 : slow);
        histogram[b] = (histogram[b] ?? 0) + 1;
      }
      return {
        ...aggregate(
          'x',
          'latency',
          Array.from({ length: 100 }, () => 1),
          histogram,
        ),
        n: 100,
      };
    };
    (data.variants.control!.metrics as Record<string, MetricAggregate>).latency = latencies(1000);
    (data.variants.treatment!.metrics as Record<string, MetricAggregate>).latency = latencies(1000);
    const latency = (await service(data).results('checkout')).metrics[2]!;
    expect(latency.variants[0]!.p95).toBeGreaterThan(97);
    expect(latency.variants[0]!.p95).toBeLessThan(103);
  });

  it('reports aggregates that do not fit the metric instead of failing the page', async () => {
    const data = aggregates([100, 100], [0, 0]);
    // Counted while `converted` was a count metric: more "conversions" than units.
    (data.variants.control!.metrics as Record<string, MetricAggregate>).converted = {
      ...aggregate('control', 'converted', [5, 5, 5]),
      conversions: 15,
      sum: 15,
    };
    const results = await service(data).results('checkout');
    expect(results.metrics[0]).toMatchObject({
      comparisons: [],
      problem: expect.stringMatching(/conversions/),
    });
    expect(results.metrics[1]!.comparisons).toHaveLength(1);
  });

  it('compares a mean metric as a ratio of sums, through the delta method', async () => {
    const ratioAggregate = (variant: string, perUnit: [number, number][]): MetricAggregate => ({
      ...aggregate(variant, 'aov', []),
      n: perUnit.length,
      ratio: {
        numerator: perUnit.reduce((a, [x]) => a + x, 0),
        denominator: perUnit.reduce((a, [, d]) => a + d, 0),
        numeratorSquares: perUnit.reduce((a, [x]) => a + x * x, 0),
        denominatorSquares: perUnit.reduce((a, [, d]) => a + d * d, 0),
        products: perUnit.reduce((a, [x, d]) => a + x * d, 0),
      },
    });
    const control = Array.from({ length: 400 }, (_, i): [number, number] => [
      50 * (1 + (i % 3)) + (i % 7),
      1 + (i % 3),
    ]);
    const treatment = control.map(([x, d]): [number, number] => [x * 1.2, d]);
    const withAov = { ...experiment, primaryMetric: 'aov', secondaryMetrics: [], guardrailMetrics: [] };
    const results = await new ResultsService(
      repository([withAov]),
      repository([metric('aov', 'mean')]),
      {
        readExperimentAggregates: async () => ({
          experimentKey: 'checkout',
          variants: {
            control: { units: 400, metrics: { aov: ratioAggregate('control', control) } },
            treatment: { units: 400, metrics: { aov: ratioAggregate('treatment', treatment) } },
          },
        }),
      },
      new MemoryBoundStore(),
    ).results('checkout', { cuped: true });
    const [aov] = results.metrics;
    const pooled = control.reduce((a, [x]) => a + x, 0) / control.reduce((a, [, d]) => a + d, 0);
    expect(aov!.variants[0]!.mean).toBeCloseTo(pooled, 10);
    expect(aov).toMatchObject({ test: 'welch-t', cuped: null });
    expect(aov!.comparisons[0]!.relativeEffect).toBeCloseTo(0.2, 10);
    expect(aov!.comparisons[0]!.significant).toBe(true);
  });
});
