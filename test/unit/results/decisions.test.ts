import { fineBucketOf } from '../../../shared/analytics/histogram';
import type { ExperimentAggregates, MetricAggregate } from '../../../shared/analytics/store';
import type { ConfigReader } from '../../../shared/config/repository';
import type { AnalysisSettings } from '../../../shared/experiments/analysis';
import { analysisSettingsSchema } from '../../../shared/experiments/analysis';
import type { Experiment } from '../../../shared/experiments/requests';
import type { Metric } from '../../../shared/metrics/schema';
import { ResultsService, type ExperimentResults } from '../../../shared/results/service';
import { adjustPValues } from '../../../shared/stats';
import { MemoryBoundStore } from './memory-bounds';

/** Decisions and verdicts (issue 15) on hand-made aggregates: each case says what an analyst must see. */

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

const METRICS = [
  metric('converted', 'conversion'),
  metric('clicks', 'count'),
  metric('revenue', 'sum'),
  metric('errors', 'count', 'decrease'),
  metric('latency', 'duration_p95', 'decrease'),
];

function experimentOf(
  arms: string[],
  fields: Partial<Experiment> = {},
  analysis: Partial<AnalysisSettings> = {},
): Experiment {
  const weight = Math.floor(10_000 / arms.length);
  return {
    key: 'checkout',
    name: 'Checkout',
    description: '',
    tags: [],
    variants: arms.map((key, i) => ({
      key,
      name: key,
      weight: i === 0 ? 10_000 - weight * (arms.length - 1) : weight,
      isControl: i === 0,
    })),
    trafficAllocation: 10_000,
    unitAttribute: 'userId',
    primaryMetric: 'converted',
    secondaryMetrics: [],
    guardrailMetrics: [],
    status: 'ACTIVE',
    startedAt: '2026-11-01T00:00:00.000Z',
    analysis: analysisSettingsSchema.parse(analysis),
    createdBy: 'dev',
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
    version: 2,
    ...fields,
  };
}

/** An aggregate from n, Σx, Σx² (conversions: Σx = Σx²). */
const sums = (
  variant: string,
  metricKey: string,
  n: number,
  sum: number,
  sumSquares = sum,
): MetricAggregate => ({
  variant,
  metricKey,
  n,
  sum,
  sumSquares,
  conversions: sum,
  covariate: { sum: 0, sumSquares: 0, sumProducts: 0 },
  ratio: { numerator: 0, denominator: 0, numeratorSquares: 0, denominatorSquares: 0, products: 0 },
  values: { count: 0, sum: 0, sumSquares: 0, histogram: {} },
});

/** Per arm: units, and per metric (n, Σx, Σx²). */
function data(arms: Record<string, { units: number; metrics: Record<string, [number, number, number?]> }>) {
  const variants: ExperimentAggregates['variants'] = Object.fromEntries(
    Object.entries(arms).map(([variant, { units, metrics }]) => [
      variant,
      {
        units,
        metrics: Object.fromEntries(
          Object.entries(metrics).map(([key, [n, sum, squares]]) => [
            key,
            sums(variant, key, n, sum, squares),
          ]),
        ),
      },
    ]),
  );
  return { experimentKey: 'checkout', variants };
}

const reader = <T extends Experiment | Metric>(items: T[]) =>
  ({
    get: async (key: string) => items.find((i) => i.key === key) ?? null,
    list: async () => items,
  }) as unknown as ConfigReader<T>;

function service(
  experiment: Experiment,
  aggregates: () => ExperimentAggregates,
  bounds = new MemoryBoundStore(),
) {
  return new ResultsService(
    reader([experiment]),
    reader(METRICS),
    { readExperimentAggregates: async () => aggregates() },
    bounds,
    () => new Date('2026-11-11T00:00:00.000Z'),
  );
}

const conversion = (n: number, rate: number): [number, number] => [n, Math.round(n * rate)];
const comparisonOf = (r: ExperimentResults, metricKey: string, variant: string) =>
  r.metrics.find((m) => m.metricKey === metricKey)!.comparisons.find((c) => c.variant === variant)!;

describe('running bounds', () => {
  it('never lets a read make the always-valid figures worse: the p-value only falls, the sequences only narrow', async () => {
    const experiment = experimentOf(['control', 'treatment']);
    const store = new MemoryBoundStore();
    // The effect shrinks from read to read: each read's own always-valid p-value rises.
    const reads = [1160, 1120, 1090, 1060].map((converted) =>
      data({
        control: { units: 10_000, metrics: { converted: conversion(10_000, 0.1) } },
        treatment: { units: 10_000, metrics: { converted: [10_000, converted] } },
      }),
    );
    const seen: ExperimentResults[] = [];
    for (const aggregates of reads)
      seen.push(await service(experiment, () => aggregates, store).results('checkout'));
    const lifts = seen.map((r) => comparisonOf(r, 'converted', 'treatment'));
    const current = lifts.map((c) => c.sequentialPValue!);
    expect(current).toEqual([...current].sort((a, b) => a - b)); // rising at each read
    expect(current.at(-1)!).toBeGreaterThan(0.05);
    for (let i = 1; i < lifts.length; i++) {
      expect(lifts[i]!.alwaysValidPValue).toBe(lifts[0]!.alwaysValidPValue);
      expect(lifts[i]!.confidenceSequence![0]).toBeGreaterThanOrEqual(lifts[i - 1]!.confidenceSequence![0]);
      expect(lifts[i]!.confidenceSequence![1]).toBeLessThanOrEqual(lifts[i - 1]!.confidenceSequence![1]);
    }
    // The first read found the lift; later reads cannot take it back.
    expect(seen.map((r) => r.verdict.status)).toEqual(['WINNER', 'WINNER', 'WINNER', 'WINNER']);
    expect(store.writes).toBe(4);
  });

  it('claims no direction once the effect has been significant both ways (it flipped between reads)', async () => {
    const experiment = experimentOf(['control', 'treatment']);
    const store = new MemoryBoundStore();
    const read = (rate: number) =>
      service(
        experiment,
        () =>
          data({
            control: { units: 10_000, metrics: { converted: conversion(10_000, 0.1) } },
            treatment: { units: 10_000, metrics: { converted: conversion(10_000, rate) } },
          }),
        store,
      ).results('checkout');
    expect((await read(0.08)).verdict.status).toBe('LOSER');
    const flipped = await read(0.125);
    expect(comparisonOf(flipped, 'converted', 'treatment')).toMatchObject({
      confidenceSequence: null,
      outcome: 'inconclusive',
      significant: false,
    });
    expect(flipped.metrics[0]!.notes).toEqual([
      expect.stringMatching(/^treatment: significant in both directions at different reads/),
    ]);
    expect(flipped.verdict.status).toBe('INCONCLUSIVE');
  });

  it('lets a look count only once each arm has the minimum sample, so a read of the first few events cannot veto the verdict', async () => {
    const experiment = experimentOf(['control', 'treatment']);
    const store = new MemoryBoundStore();
    const read = (control: [number, number], treatment: [number, number]) =>
      service(
        experiment,
        () =>
          data({
            control: { units: control[0], metrics: { converted: control } },
            treatment: { units: treatment[0], metrics: { converted: treatment } },
          }),
        store,
      ).results('checkout');
    // Every exposure counted, purchases just starting to arrive: 12 converted in control, none in treatment. The
    // normal approximation (treatment variance 0) puts this read's sequence wholly below 0.
    const early = await read([10_000, 12], [10_000, 0]);
    expect(comparisonOf(early, 'converted', 'treatment')).toMatchObject({
      alwaysValidPValue: null,
      confidenceSequence: null,
      outcome: 'inconclusive',
    });
    expect(early.metrics[0]!.notes).toEqual([
      expect.stringMatching(/^treatment: this read does not count toward the always-valid figures yet/),
    ]);
    expect(store.writes).toBe(0);
    // One short of the minimum on either side still waits: 29 converted, or 29 not converted.
    await read([10_000, 29], [10_000, 40]);
    await read([1_000, 971], [1_000, 500]);
    await read([99, 40], [1_000, 500]);
    expect(store.writes).toBe(0);
    // Complete data: the planted +10% lift wins, and the early reads left nothing behind.
    const complete = await read([20_000, 2_000], [20_000, 2_200]);
    expect(complete.metrics[0]!.notes).toBeUndefined();
    expect(comparisonOf(complete, 'converted', 'treatment')).toMatchObject({ outcome: 'better' });
    expect(complete.verdict.status).toBe('WINNER');
    expect(store.writes).toBe(1);
  });

  it('keeps nothing for a draft, and keeps CUPED and plain figures apart', async () => {
    const store = new MemoryBoundStore();
    const aggregates = data({
      control: { units: 1000, metrics: { converted: conversion(1000, 0.1) } },
      treatment: { units: 1000, metrics: { converted: conversion(1000, 0.2) } },
    });
    await service(
      experimentOf(['control', 'treatment'], { status: 'DRAFT' }),
      () => aggregates,
      store,
    ).results('checkout');
    expect(store.writes).toBe(0);
    await service(experimentOf(['control', 'treatment']), () => aggregates, store).results('checkout');
    expect(Object.keys(store.items.get('checkout')!.bounds)).toEqual(['plain/converted/treatment']);
  });

  it('loses no tighter bound when reads race: the loser merges what the winner wrote', async () => {
    const experiment = experimentOf(['control', 'treatment']);
    const store = new MemoryBoundStore();
    const strong = data({
      control: { units: 10_000, metrics: { converted: conversion(10_000, 0.1) } },
      treatment: { units: 10_000, metrics: { converted: conversion(10_000, 0.118) } },
    });
    const weak = data({
      control: { units: 10_000, metrics: { converted: conversion(10_000, 0.1) } },
      treatment: { units: 10_000, metrics: { converted: conversion(10_000, 0.104) } },
    });
    // Both read the empty store before either writes.
    const racing = new MemoryBoundStore();
    const first = { version: 0, bounds: {} };
    racing.read = async () => (racing.writes === 0 ? first : store.read('checkout'));
    racing.write = async (key, bounds, version) =>
      store.write(key, bounds, version).then((ok) => {
        racing.writes++;
        return ok;
      });
    const [a, b] = await Promise.all([
      service(experiment, () => strong, racing).results('checkout'),
      service(experiment, () => weak, racing).results('checkout'),
    ]);
    const stored = store.items.get('checkout')!.bounds['plain/converted/treatment']!;
    const strongest = comparisonOf(a, 'converted', 'treatment').sequentialPValue!;
    expect(stored.p).toBe(strongest);
    expect(comparisonOf(b, 'converted', 'treatment').alwaysValidPValue).toBe(strongest);
  });
});

describe('families and corrections', () => {
  const threeArms = data({
    control: {
      units: 10_000,
      metrics: {
        converted: conversion(10_000, 0.1),
        clicks: [10_000, 20_000, 60_000],
        revenue: [10_000, 50_000, 400_000],
      },
    },
    better: {
      units: 10_000,
      metrics: {
        converted: conversion(10_000, 0.117),
        clicks: [10_000, 20_600, 62_000],
        revenue: [10_000, 50_100, 401_000],
      },
    },
    worse: {
      units: 10_000,
      metrics: {
        converted: conversion(10_000, 0.085),
        clicks: [10_000, 19_900, 59_800],
        revenue: [10_000, 49_000, 390_000],
      },
    },
  });

  it('corrects the primary metric across arms (Holm), names the winner and the arm that is worse', async () => {
    const r = await service(experimentOf(['control', 'better', 'worse']), () => threeArms).results(
      'checkout',
    );
    const better = comparisonOf(r, 'converted', 'better');
    const worse = comparisonOf(r, 'converted', 'worse');
    const holm = adjustPValues([better.alwaysValidPValue, worse.alwaysValidPValue], 'holm');
    expect([better.adjustedPValue, worse.adjustedPValue]).toEqual(holm);
    expect([better.outcome, worse.outcome]).toEqual(['better', 'worse']);
    // Intervals simultaneous across the two arms: 1 − α/2.
    expect(r.metrics[0]!.decision.sequenceLevel).toBeCloseTo(0.975, 12);
    expect(r.verdict).toMatchObject({
      status: 'WINNER',
      winners: ['better'],
      worse: [{ variant: 'worse', metricKey: 'converted' }],
    });
    expect(r.verdict.message).toMatch(/^Beats control: better .*Significantly worse than control: worse /);
  });

  it('controls the false discovery rate across the secondary metrics (Benjamini–Hochberg over every arm × metric)', async () => {
    const experiment = experimentOf(['control', 'better', 'worse'], {
      secondaryMetrics: ['clicks', 'revenue'],
    });
    const r = await service(experiment, () => threeArms).results('checkout');
    const secondary = ['clicks', 'revenue'].flatMap((m) =>
      ['better', 'worse'].map((v) => comparisonOf(r, m, v)),
    );
    expect(secondary.map((c) => c.adjustedPValue)).toEqual(
      adjustPValues(
        secondary.map((c) => c.alwaysValidPValue),
        'benjamini-hochberg',
      ),
    );
    expect(r.metrics[1]!.decision.correction).toBe('benjamini-hochberg');
  });

  it('uses α as set, and no correction when asked', async () => {
    const experiment = experimentOf(['control', 'better', 'worse'], {}, { alpha: 0.01, correction: 'none' });
    const r = await service(experiment, () => threeArms).results('checkout');
    const better = comparisonOf(r, 'converted', 'better');
    expect(better.adjustedPValue).toBe(better.alwaysValidPValue);
    expect(r.alpha).toBe(0.01);
    expect(r.metrics[0]!.decision).toMatchObject({ correction: 'none', alpha: 0.01, sequenceLevel: 0.99 });
  });
});

describe('guardrails', () => {
  it('gives GUARDRAIL_HARM, never WINNER, when an arm significantly harms a guardrail, naming arm and metric', async () => {
    const experiment = experimentOf(['control', 'better', 'clean'], { guardrailMetrics: ['errors'] });
    const r = await service(experiment, () =>
      data({
        control: {
          units: 10_000,
          metrics: { converted: conversion(10_000, 0.1), errors: [10_000, 500, 700] },
        },
        better: {
          units: 10_000,
          metrics: { converted: conversion(10_000, 0.12), errors: [10_000, 800, 1200] },
        },
        clean: {
          units: 10_000,
          metrics: { converted: conversion(10_000, 0.118), errors: [10_000, 505, 710] },
        },
      }),
    ).results('checkout');
    expect(comparisonOf(r, 'converted', 'better').outcome).toBe('better');
    expect(comparisonOf(r, 'errors', 'better')).toMatchObject({ outcome: 'worse', significant: true });
    expect(comparisonOf(r, 'errors', 'clean')).toMatchObject({ outcome: 'inconclusive', significant: false });
    expect(r.metrics[1]!.decision.basis).toBe('always-valid-harm');
    expect(r.verdict).toMatchObject({
      status: 'GUARDRAIL_HARM',
      harms: [{ variant: 'better', metricKey: 'errors' }],
    });
    expect(r.verdict.message).toMatch(
      /^Guardrail harm: better worsens errors .*Do not ship better\. Without a guardrail harm: clean /,
    );
  });

  it('decides a metric that is both secondary and a guardrail in each family on its own', async () => {
    const experiment = experimentOf(['control', 'treatment'], {
      secondaryMetrics: ['errors'],
      guardrailMetrics: ['errors'],
    });
    const r = await service(experiment, () =>
      data({
        control: {
          units: 10_000,
          metrics: { converted: conversion(10_000, 0.1), errors: [10_000, 500, 700] },
        },
        treatment: {
          units: 10_000,
          metrics: { converted: conversion(10_000, 0.1), errors: [10_000, 800, 1200] },
        },
      }),
    ).results('checkout');
    const [secondary, guardrail] = r.metrics.slice(1);
    expect([secondary!.role, guardrail!.role]).toEqual(['secondary', 'guardrail']);
    expect(secondary!.decision.basis).toBe('always-valid');
    expect(guardrail!.decision.basis).toBe('always-valid-harm');
    expect(secondary!.comparisons[0]!.adjustedPValue).toBe(secondary!.comparisons[0]!.alwaysValidPValue);
    expect(guardrail!.comparisons[0]!.adjustedPValue).toBe(guardrail!.comparisons[0]!.harmPValue);
    expect(r.verdict.status).toBe('GUARDRAIL_HARM');
  });

  it('does not call an improvement of a guardrail a harm', async () => {
    const experiment = experimentOf(['control', 'treatment'], { guardrailMetrics: ['errors'] });
    const r = await service(experiment, () =>
      data({
        control: {
          units: 10_000,
          metrics: { converted: conversion(10_000, 0.1), errors: [10_000, 800, 1200] },
        },
        treatment: {
          units: 10_000,
          metrics: { converted: conversion(10_000, 0.1), errors: [10_000, 500, 700] },
        },
      }),
    ).results('checkout');
    expect(comparisonOf(r, 'errors', 'treatment').harmPValue).toBe(1);
    expect(r.verdict.status).toBe('INCONCLUSIVE');
  });
});

describe('fixed horizon', () => {
  const fixed = { sequential: false, minimumDetectableEffect: 0.1, power: 0.8, baseline: { mean: 0.1 } };
  const at = (n: number, treatmentRate: number) =>
    data({
      control: { units: n, metrics: { converted: conversion(n, 0.1) } },
      treatment: { units: n, metrics: { converted: conversion(n, treatmentRate) } },
    });

  it('says IN_PROGRESS before the planned sample size, whatever the p-value, then tests at it', async () => {
    const experiment = experimentOf(['control', 'treatment'], {}, fixed);
    const early = await service(experiment, () => at(8000, 0.12)).results('checkout', { dailyUnits: 2000 });
    expect(comparisonOf(early, 'converted', 'treatment').pValue!).toBeLessThan(0.01);
    expect(comparisonOf(early, 'converted', 'treatment')).toMatchObject({
      significant: false,
      outcome: 'inconclusive',
    });
    expect(early.plan).toMatchObject({ metricKey: 'converted', reached: false, unitsPerDaySource: 'query' });
    // statsmodels: power_proportions_2indep(0.01, 0.1, n) = 0.8 at n = 14 750.79 per arm.
    expect(early.plan!.variants.map((v) => v.plannedUnits)).toEqual([14_751, 14_751]);
    expect(early.plan!.progress).toBeCloseTo(8000 / 14_751, 10);
    expect(early.plan!.remainingDays).toBeCloseTo((14_751 - 8000) / 1000, 10);
    expect(early.verdict.status).toBe('IN_PROGRESS');
    expect(early.verdict.message).toMatch(
      /^Fixed horizon: 54% of the planned 29502 units, about 6\.8 days to go\./,
    );

    const reached = await service(experiment, () => at(15_000, 0.112)).results('checkout');
    expect(reached.plan!.reached).toBe(true);
    expect(reached.metrics[0]!.decision.basis).toBe('fixed-horizon');
    expect(comparisonOf(reached, 'converted', 'treatment')).toMatchObject({ outcome: 'better' });
    expect(comparisonOf(reached, 'converted', 'treatment').adjustedPValue).toBe(
      comparisonOf(reached, 'converted', 'treatment').pValue,
    );
    expect(reached.verdict.status).toBe('WINNER');
    expect(reached.verdict.message).toMatch(/^Beats control: treatment \+12\.0% on converted \(95% CI /);
  });
});

describe('planning', () => {
  it('plans a draft: units per variant and days at the traffic given, the experiment’s share of it', async () => {
    const experiment = experimentOf(
      ['control', 'treatment'],
      { status: 'DRAFT', startedAt: undefined, trafficAllocation: 5000 },
      { minimumDetectableEffect: 0.1, baseline: { mean: 0.1 } },
    );
    const r = await service(experiment, () => ({ experimentKey: 'checkout', variants: {} })).results(
      'checkout',
      {
        dailyUnits: 4000,
      },
    );
    // Sequential: more units than the fixed horizon's 14 751 per arm, for the same power.
    const planned = r.plan!.variants.map((v) => v.plannedUnits);
    expect(planned[0]).toBeGreaterThan(14_751);
    expect(r.plan).toMatchObject({
      sequential: true,
      unitsPerDay: 2000,
      baseline: { mean: 0.1, source: 'settings' },
    });
    expect(r.plan!.expectedDays).toBeCloseTo(r.plan!.totalUnits / 2000, 10);
    expect(r.verdict.status).toBe('NO_DATA');
    expect(r.verdict.message).toMatch(
      /^No exposures yet\. Planned: \d+ units for ±10\.0% on converted at 80% power, about \d+\.\d days at 2000 units a day\.$/,
    );
  });

  it('reports the power achieved so far, measured on the control, and the rate since the start', async () => {
    const experiment = experimentOf(['control', 'treatment'], {}, { minimumDetectableEffect: 0.05 });
    const r = await service(experiment, () =>
      data({
        control: { units: 5000, metrics: { converted: conversion(5000, 0.2) } },
        treatment: { units: 5000, metrics: { converted: conversion(5000, 0.2) } },
      }),
    ).results('checkout');
    expect(r.plan!.baseline).toMatchObject({ mean: 0.2, source: 'control' });
    // 10 000 units in the 10 days since startedAt.
    expect(r.plan).toMatchObject({ unitsPerDay: 1000, unitsPerDaySource: 'measured' });
    expect(r.plan!.achievedPower!).toBeGreaterThan(0);
    expect(r.plan!.achievedPower!).toBeLessThan(0.8);
    expect(r.verdict.message).toMatch(/Power so far for ±5\.0%: \d+%\.$/);
  });
});

describe('quantile metrics', () => {
  const { exp, log, sqrt, cos, PI } = Math;
  function lognormal(seed: number, n: number, scale: number): number[] {
    let a = seed;
    const uniform = () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
    };
    return Array.from(
      { length: n },
      () => scale * exp(0.5 * sqrt(-2 * log(uniform())) * cos(2 * PI * uniform())),
    );
  }
  const durations = (variant: string, values: number[], fine = true): MetricAggregate => {
    const counts: Record<number, number> = {};
    for (const v of values) counts[fineBucketOf(v)] = (counts[fineBucketOf(v)] ?? 0) + 1;
    const coarse: Record<number, number> = {};
    for (const [f, c] of Object.entries(counts)) {
      const bucket = Math.floor((Number(f) - 1) / 8) + 1;
      coarse[bucket] = (coarse[bucket] ?? 0) + c;
    }
    return {
      ...sums(variant, 'latency', values.length, 0, 0),
      values: {
        count: values.length,
        sum: values.reduce((a, b) => a + b, 0),
        sumSquares: values.reduce((a, b) => a + b * b, 0),
        histogram: coarse,
        ...(fine ? { fine: counts } : {}),
      },
    };
  };

  it('reports p50/p95/p99 within the stated bound of the exact ones, with intervals, and tests p95', async () => {
    const control = lognormal(7, 4000, 200);
    const slower = lognormal(8, 4000, 240);
    const experiment = experimentOf(['control', 'treatment'], { primaryMetric: 'latency' });
    const r = await service(experiment, () => ({
      experimentKey: 'checkout',
      variants: {
        control: { units: 4000, metrics: { latency: durations('control', control) } },
        treatment: { units: 4000, metrics: { latency: durations('treatment', slower) } },
      },
    })).results('checkout');
    const latency = r.metrics[0]!;
    expect(latency.quantiles).toEqual({
      tested: 0.95,
      resolution: 'fine',
      relativeError: 2 ** (1 / 256) - 1,
    });
    const sorted = [...control].sort((a, b) => a - b);
    for (const q of latency.variants[0]!.quantiles!) {
      const exact = sorted[Math.ceil(q.quantile * sorted.length) - 1]!;
      expect(Math.abs(q.value! / exact - 1)).toBeLessThanOrEqual(latency.quantiles!.relativeError);
      expect(exact).toBeGreaterThanOrEqual(q.bracket![0]);
      expect(exact).toBeLessThan(q.bracket![1]);
      expect(q.interval![0]).toBeLessThanOrEqual(exact);
      expect(q.interval![1]).toBeGreaterThanOrEqual(exact);
    }
    expect(latency.variants[0]!.p95).toBe(latency.variants[0]!.quantiles![1]!.value);
    const [slowerP95] = latency.comparisons;
    expect(slowerP95).toMatchObject({ test: 'quantile-z', outcome: 'worse' });
    expect(slowerP95!.relativeEffect!).toBeCloseTo(0.2, 1);
    expect(r.verdict.status).toBe('LOSER');
  });

  it('falls back to the coarse histogram, and says so, when values predate the fine one', async () => {
    const values = lognormal(9, 500, 100);
    const experiment = experimentOf(['control', 'treatment'], { primaryMetric: 'latency' });
    const r = await service(experiment, () => ({
      experimentKey: 'checkout',
      variants: {
        control: { units: 500, metrics: { latency: durations('control', values, false) } },
        treatment: { units: 500, metrics: { latency: durations('treatment', values) } },
      },
    })).results('checkout');
    expect(r.metrics[0]!.quantiles).toMatchObject({ resolution: 'coarse', relativeError: 2 ** (1 / 32) - 1 });
  });
});
