import type { ExperimentAggregates } from '../../../shared/analytics/store';
import type { ConfigReader } from '../../../shared/config/repository';
import { analysisSettingsSchema, type AnalysisSettings } from '../../../shared/experiments/analysis';
import type { Experiment } from '../../../shared/experiments/requests';
import type { Metric } from '../../../shared/metrics/schema';
import { ResultsService, type ExperimentResults } from '../../../shared/results/service';
import { MemoryBoundStore } from './memory-bounds';

/**
 * Deterministic simulations of the verdict (issue 15 "Done when"): seeded, no timing, through the results service
 * itself (aggregates in memory, the running bounds in a memory store), so what is measured is what analysts see.
 * Jest's vm context makes every global lookup slow: the draws take what they need of Math once, here.
 */
const { imul } = Math;

/** mulberry32. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Conversions among n units converting with probability p, unit by unit. */
function conversions(n: number, p: number, rand: () => number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (rand() < p) k++;
  return k;
}

const converted: Metric = {
  key: 'converted',
  name: 'Converted',
  description: '',
  tags: [],
  type: 'conversion',
  eventName: 'purchase',
  direction: 'increase',
  createdBy: 'dev',
  createdAt: '2026-11-01T00:00:00.000Z',
  updatedAt: '2026-11-01T00:00:00.000Z',
  version: 1,
};

function experimentOf(arms: number, analysis: Partial<AnalysisSettings>): Experiment {
  const keys = ['control', ...Array.from({ length: arms - 1 }, (_, i) => `t${i + 1}`)];
  const weight = Math.floor(10_000 / arms);
  return {
    key: 'sim',
    name: 'sim',
    description: '',
    tags: [],
    variants: keys.map((key, i) => ({
      key,
      name: key,
      weight: i === 0 ? 10_000 - weight * (arms - 1) : weight,
      isControl: i === 0,
    })),
    trafficAllocation: 10_000,
    unitAttribute: 'userId',
    primaryMetric: 'converted',
    secondaryMetrics: [],
    guardrailMetrics: [],
    status: 'ACTIVE',
    analysis: analysisSettingsSchema.parse(analysis),
    createdBy: 'dev',
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
    version: 2,
  };
}

const reader = <T extends Experiment | Metric>(items: T[]) =>
  ({
    get: async (key: string) => items.find((i) => i.key === key) ?? null,
    list: async () => items,
  }) as unknown as ConfigReader<T>;

/** One simulated experiment: its cumulative (units, conversions) per arm, read through the service. */
class Run {
  readonly units: number[];
  readonly converted: number[];
  private readonly service: ResultsService;

  constructor(readonly experiment: Experiment) {
    this.units = experiment.variants.map(() => 0);
    this.converted = experiment.variants.map(() => 0);
    this.service = new ResultsService(
      reader([experiment]),
      reader([converted]),
      { readExperimentAggregates: async () => this.aggregates() },
      new MemoryBoundStore(),
    );
  }

  add(n: number, rates: readonly number[], rand: () => number): void {
    rates.forEach((p, i) => {
      this.units[i]! += n;
      this.converted[i]! += conversions(n, p, rand);
    });
  }

  read(): Promise<ExperimentResults> {
    return this.service.results('sim');
  }

  private aggregates(): ExperimentAggregates {
    const variants: Record<string, ExperimentAggregates['variants'][string]> = {};
    this.experiment.variants.forEach((v, i) => {
      const n = this.units[i]!;
      const k = this.converted[i]!;
      variants[v.key] = {
        units: n,
        metrics: {
          converted: {
            variant: v.key,
            metricKey: 'converted',
            n,
            sum: k,
            sumSquares: k,
            conversions: k,
            covariate: { sum: 0, sumSquares: 0, sumProducts: 0 },
            ratio: { numerator: 0, denominator: 0, numeratorSquares: 0, denominatorSquares: 0, products: 0 },
            values: { count: 0, sum: 0, sumSquares: 0, histogram: {} },
          },
        },
      };
    });
    return { experimentKey: 'sim', variants };
  }
}

const REPLICATIONS = 2000;

/** The simulated figures, printed when SIMULATION_REPORT is set (the assertions hold them either way). */
function report(line: string): void {
  if (process.env.SIMULATION_REPORT !== undefined) console.warn(line);
}

describe('verdicts in simulation', () => {
  it('A/A with 3 arms read 20 times, 2 000 replications: family-wise false WINNER ≤ α + 1 %, and the always-valid p never rises', async () => {
    const rand = random(15);
    const experiment = experimentOf(3, {});
    let falseWinners = 0;
    let falseDecisions = 0;
    let rises = 0;
    let narrowingViolations = 0;
    for (let r = 0; r < REPLICATIONS; r++) {
      const run = new Run(experiment);
      const last = new Map<string, { p: number | null; cs: readonly [number, number] | null }>();
      let winner = false;
      let decided = false;
      for (let look = 0; look < 20; look++) {
        run.add(500, [0.1, 0.1, 0.1], rand);
        const result = await run.read();
        if (result.verdict.status === 'WINNER') winner = true;
        if (result.metrics[0]!.comparisons.some((c) => c.significant)) decided = true;
        for (const c of result.metrics[0]!.comparisons) {
          const before = last.get(c.variant);
          const p = before?.p ?? null;
          if (p !== null && (c.alwaysValidPValue === null || c.alwaysValidPValue > p)) rises++;
          const cs = before?.cs ?? null;
          const now = c.confidenceSequence;
          if (cs !== null && now !== null && (now[0] < cs[0] || now[1] > cs[1])) narrowingViolations++;
          last.set(c.variant, { p: c.alwaysValidPValue, cs: c.confidenceSequence });
        }
      }
      if (winner) falseWinners++;
      if (decided) falseDecisions++;
    }
    const rate = falseWinners / REPLICATIONS;
    const anyDirection = falseDecisions / REPLICATIONS;
    report(
      `A/A, 3 arms × 20 reads × ${REPLICATIONS}: false WINNER ${(rate * 100).toFixed(2)} %, ` +
        `any arm significant either way ${(anyDirection * 100).toFixed(2)} %`,
    );
    expect(rate).toBeLessThanOrEqual(0.05 + 0.01);
    expect(anyDirection).toBeLessThanOrEqual(0.05 + 0.01);
    expect(rises).toBe(0);
    expect(narrowingViolations).toBe(0);
  }, 600_000);

  it('A/A read 20 times with the fixed-horizon p-value deciding at every read would not hold α (the problem solved)', async () => {
    // The same experiment as the issue's: what the old verdict (fixed p < 0.05 per arm, every read) did.
    const rand = random(16);
    let falseWinners = 0;
    const replications = 500;
    for (let r = 0; r < replications; r++) {
      const run = new Run(experimentOf(3, { correction: 'none' }));
      let winner = false;
      for (let look = 0; look < 20; look++) {
        run.add(500, [0.1, 0.1, 0.1], rand);
        const result = await run.read();
        if (result.metrics[0]!.comparisons.some((c) => c.pValue! < 0.05 && c.absoluteEffect! > 0))
          winner = true;
      }
      if (winner) falseWinners++;
    }
    const rate = falseWinners / replications;
    report(`A/A, old rule (fixed p, no correction, 20 reads): false WINNER ${(rate * 100).toFixed(1)} %`);
    expect(rate).toBeGreaterThan(0.15);
  }, 600_000);

  it('fixed horizon: a planted +10 % lift at the planned sample size is found with power within 5 points of 80 %', async () => {
    const rand = random(17);
    const experiment = experimentOf(2, {
      sequential: false,
      minimumDetectableEffect: 0.1,
      power: 0.8,
      baseline: { mean: 0.1 },
    });
    const planned = (await new Run(experiment).read()).plan!.variants[0]!.plannedUnits;
    expect(planned).toBe(14_751);
    let winners = 0;
    let early = 0;
    for (let r = 0; r < REPLICATIONS; r++) {
      const run = new Run(experiment);
      run.add(planned - 1, [0.1, 0.11], rand);
      if ((await run.read()).verdict.status !== 'IN_PROGRESS') early++;
      run.add(1, [0.1, 0.11], rand);
      if ((await run.read()).verdict.status === 'WINNER') winners++;
    }
    const power = winners / REPLICATIONS;
    report(
      `fixed horizon, +10 % on 10 % at ${planned} per arm: power ${(power * 100).toFixed(1)} % (target 80 %)`,
    );
    expect(early).toBe(0);
    expect(Math.abs(power - 0.8)).toBeLessThanOrEqual(0.05);
  }, 600_000);

  it('sequential: a planted +10 % lift read 10 times up to the planned sample size is found at least as often as planned', async () => {
    const rand = random(18);
    const experiment = experimentOf(2, { minimumDetectableEffect: 0.1, power: 0.8, baseline: { mean: 0.1 } });
    const planned = (await new Run(experiment).read()).plan!.variants[0]!.plannedUnits;
    const replications = 1000;
    let winners = 0;
    for (let r = 0; r < replications; r++) {
      const run = new Run(experiment);
      let won = false;
      for (let look = 1; look <= 10; look++) {
        run.add(Math.round((planned * look) / 10) - run.units[0]!, [0.1, 0.11], rand);
        if ((await run.read()).verdict.status === 'WINNER') won = true;
      }
      if (won) winners++;
    }
    const power = winners / replications;
    report(
      `sequential, +10 % on 10 % read 10× up to ${planned} per arm: power ${(power * 100).toFixed(1)} % (target 80 %)`,
    );
    expect(power).toBeGreaterThanOrEqual(0.75);
  }, 600_000);
});
