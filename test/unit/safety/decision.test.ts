import {
  assessHealth,
  NO_UNITS,
  type SafetyThresholds,
  type UnitSums,
  type VariationFigures,
} from '../../../shared/safety/decision';
import { oneSidedMixtureSprtPValue, mixtureSprtPValue } from '../../../shared/stats/sequential';

const THRESHOLDS: SafetyThresholds = {
  maxErrorRate: 0.05,
  maxLatencyP95Ms: 1000,
  maxRelativeRegression: 0.1,
  minSampleSize: 100,
  alpha: 0.05,
};

/**
 * Jest runs tests in a vm context where every global lookup (`Math`, `Date`…) costs ~200 ns, 50× Node's: the
 * simulation's tens of millions of draws take them once, here.
 */
const { floor, imul, log, min } = Math;

/** A deterministic PRNG (mulberry32): the simulation gives the same figures on every run. */
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

interface Arm {
  /** Mean per-request error probability; each unit draws its own around it. */
  readonly errorRate: number;
  /** Mean latency in ms; each unit has its own speed factor, and `latencyFactor` multiplies every request. */
  readonly latencyFactor: number;
}

/** Adds `count` units to `sums`: 1–9 requests each, a unit-level error propensity and speed (units differ). */
function addUnits(sums: UnitSums, count: number, arm: Arm, rand: () => number): UnitSums {
  let { units, errors, requests, latencySum, errorSquares, requestSquares, latencySquares } = sums;
  let { errorRequestProducts, latencyRequestProducts } = sums;
  for (let u = 0; u < count; u++) {
    const l = 1 + floor(rand() * 9);
    // Heterogeneous units: a third fail three times as often as the rest (mean stays errorRate).
    const p = min(1, arm.errorRate * (rand() < 1 / 3 ? 2 : 0.5));
    const speed = 0.5 + rand();
    let e = 0;
    // A sum of l exponential latencies: −log of a product of l uniforms (one logarithm per unit).
    let product = 1;
    for (let r = 0; r < l; r++) {
      if (rand() < p) e++;
      product *= 1 - rand();
    }
    const s = -log(product) * 100 * speed * arm.latencyFactor;
    units++;
    errors += e;
    requests += l;
    latencySum += s;
    errorSquares += e * e;
    requestSquares += l * l;
    latencySquares += s * s;
    errorRequestProducts += e * l;
    latencyRequestProducts += s * l;
  }
  return {
    units,
    errors,
    requests,
    latencySum,
    errorSquares,
    requestSquares,
    latencySquares,
    errorRequestProducts,
    latencyRequestProducts,
  };
}

const quiet = { requests: 0, errors: 0, latencyP95Ms: null };

/**
 * One ramp at a 50 % stage, looked at `looks` times, `perLook` new units per side between looks: the look at
 * which the monitor first finds a regression, or null.
 */
function firstAlarm(
  seed: number,
  arms: { control: Arm; guarded: Arm },
  thresholds: SafetyThresholds,
  looks: number,
  perLook: number,
): number | null {
  const rand = random(seed);
  let control = NO_UNITS;
  let guarded = NO_UNITS;
  for (let look = 1; look <= looks; look++) {
    control = addUnits(control, perLook, arms.control, rand);
    guarded = addUnits(guarded, perLook, arms.guarded, rand);
    const figures = (variation: string, sinceStage: UnitSums): VariationFigures => ({
      variation,
      window: quiet,
      sinceStage,
    });
    const health = assessHealth({
      thresholds,
      guarded: figures('on', guarded),
      control: figures('off', control),
    });
    if (!health.healthy) return look;
  }
  return null;
}

/** Only the regression tests: the absolute limits out of reach. */
const REGRESSION_ONLY: SafetyThresholds = { ...THRESHOLDS, maxErrorRate: 1, maxLatencyP95Ms: 1e12 };
const BASE: Arm = { errorRate: 0.05, latencyFactor: 1 };

describe('the decision rule, simulated (deterministic: seeded)', () => {
  it('2 000 A/A ramps looked at 60 times each roll back at most alpha + 1 % of the time, with no tolerance', () => {
    const runs = 2000;
    let alarms = 0;
    const strict = { ...REGRESSION_ONLY, maxRelativeRegression: 0 };
    for (let run = 0; run < runs; run++) {
      if (firstAlarm(1_000 + run, { control: BASE, guarded: BASE }, strict, 60, 25) !== null) alarms++;
    }
    expect(alarms / runs).toBeLessThanOrEqual(strict.alpha + 0.01);
  });

  it('catches a planted 2× error rate in ≥ 95 % of ramps by the time 2 000 units have been seen', () => {
    const runs = 500;
    let caught = 0;
    const worse: Arm = { ...BASE, errorRate: 2 * BASE.errorRate };
    for (let run = 0; run < runs; run++) {
      // 25 units per side per look: 2 000 units seen at look 40.
      const look = firstAlarm(50_000 + run, { control: BASE, guarded: worse }, REGRESSION_ONLY, 40, 25);
      if (look !== null) caught++;
    }
    expect(caught / runs).toBeGreaterThanOrEqual(0.95);
  });

  it('catches a +50 % latency regression in ≥ 95 % of ramps by 2 000 units', () => {
    const runs = 500;
    let caught = 0;
    const slower: Arm = { ...BASE, latencyFactor: 1.5 };
    for (let run = 0; run < runs; run++) {
      if (firstAlarm(90_000 + run, { control: BASE, guarded: slower }, REGRESSION_ONLY, 40, 25) !== null) {
        caught++;
      }
    }
    expect(caught / runs).toBeGreaterThanOrEqual(0.95);
  });

  it('tolerates a regression within maxRelativeRegression (+5 % against a 10 % tolerance) far more often than not', () => {
    const runs = 300;
    let alarms = 0;
    const slightly: Arm = { ...BASE, errorRate: 1.05 * BASE.errorRate };
    for (let run = 0; run < runs; run++) {
      if (firstAlarm(130_000 + run, { control: BASE, guarded: slightly }, REGRESSION_ONLY, 60, 25) !== null) {
        alarms++;
      }
    }
    expect(alarms / runs).toBeLessThanOrEqual(REGRESSION_ONLY.alpha);
  });
});

describe('absolute thresholds', () => {
  const variation = (window: VariationFigures['window']): VariationFigures => ({
    variation: 'on',
    window,
    sinceStage: NO_UNITS,
  });

  it('breach once the window holds the minimum sample and the error rate is above the limit', () => {
    const few = assessHealth({
      thresholds: THRESHOLDS,
      guarded: variation({ requests: 99, errors: 50, latencyP95Ms: 10 }),
    });
    expect(few.healthy).toBe(true);
    expect(few.checks.find((c) => c.check === 'error_rate')).toMatchObject({ evaluated: false });

    const bad = assessHealth({
      thresholds: THRESHOLDS,
      guarded: variation({ requests: 100, errors: 6, latencyP95Ms: 10 }),
    });
    expect(bad.healthy).toBe(false);
    expect(bad.reason).toBe('on: error rate 6 % > 5 % over 100 requests');

    const edge = assessHealth({
      thresholds: THRESHOLDS,
      guarded: variation({ requests: 100, errors: 5, latencyP95Ms: 10 }),
    });
    expect(edge.healthy).toBe(true);
  });

  it('breach on a p95 above its limit, and not without latency values', () => {
    const slow = assessHealth({
      thresholds: THRESHOLDS,
      guarded: variation({ requests: 200, errors: 0, latencyP95Ms: 1500 }),
    });
    expect(slow.reason).toBe('on: p95 latency 1500 ms > 1000 ms over 200 requests');
    const none = assessHealth({
      thresholds: THRESHOLDS,
      guarded: variation({ requests: 200, errors: 0, latencyP95Ms: null }),
    });
    expect(none.healthy).toBe(true);
  });

  it('without a control no regression is tested', () => {
    const health = assessHealth({
      thresholds: THRESHOLDS,
      guarded: variation({ requests: 0, errors: 0, latencyP95Ms: null }),
    });
    expect(health.checks.map((c) => c.check)).toEqual(['error_rate', 'latency_p95']);
  });
});

describe('regressions', () => {
  const sums = (units: number, errors: number, requests: number): UnitSums => ({
    ...NO_UNITS,
    units,
    errors,
    requests,
    // one request per unit: e ∈ {0, 1}
    errorSquares: errors,
    requestSquares: requests,
    errorRequestProducts: errors,
    latencySum: requests * 100,
    latencySquares: requests * 100 * 100,
    latencyRequestProducts: requests * 100,
  });
  const at = (variation: string, s: UnitSums): VariationFigures => ({
    variation,
    window: quiet,
    sinceStage: s,
  });

  it('wait for the minimum sample on both sides', () => {
    const health = assessHealth({
      thresholds: THRESHOLDS,
      guarded: at('on', sums(500, 400, 500)),
      control: at('off', sums(99, 0, 99)),
    });
    const check = health.checks.find((c) => c.check === 'error_rate_regression');
    expect(check).toMatchObject({ evaluated: false, breached: false });
    expect(check?.message).toBe('on vs off: 99 of 100 requests per side needed to compare their error rate');
  });

  it('a five-fold error rate on 1 000 units a side is a breach with its ratio and p-value in the reason', () => {
    const health = assessHealth({
      thresholds: THRESHOLDS,
      guarded: at('on', sums(1000, 100, 1000)),
      control: at('off', sums(1000, 20, 1000)),
    });
    expect(health.healthy).toBe(false);
    const check = health.checks.find((c) => c.check === 'error_rate_regression')!;
    expect(check.observed).toBeCloseTo(5, 10);
    expect(check.pValue).toBeLessThan(1e-6);
    expect(check.level).toBe(0.025);
    expect(health.reason).toMatch(/^on vs off: error rate ×5 \(significantly above ×1\.1, always-valid p = /);
  });

  it('equal figures are healthy', () => {
    const health = assessHealth({
      thresholds: THRESHOLDS,
      guarded: at('on', sums(1000, 50, 1000)),
      control: at('off', sums(1000, 50, 1000)),
    });
    expect(health.healthy).toBe(true);
    expect(
      health.checks.every((c) => c.evaluated || c.check === 'latency_p95' || c.check === 'error_rate'),
    ).toBe(true);
  });
});

describe('the one-sided mixture SPRT', () => {
  it('is never above the two-sided p for harm, and is 1 for benefit', () => {
    for (const effect of [0.5, 1, 2, 3, 5]) {
      const input = { effect, variance: 1, mixingVariance: 1 };
      expect(oneSidedMixtureSprtPValue(input)).toBeLessThanOrEqual(mixtureSprtPValue(input));
      expect(oneSidedMixtureSprtPValue({ ...input, effect: -effect })).toBe(1);
    }
  });

  it('equals 1 / (2 Λ Φ(θ̂τ/√(V(V+τ²)))) computed directly', () => {
    const effect = 3;
    const variance = 0.5;
    const tau2 = 2;
    const lambda =
      Math.sqrt(variance / (variance + tau2)) *
      Math.exp((effect ** 2 * tau2) / (2 * variance * (variance + tau2)));
    // Φ(3·√2/√(0.5·2.5)) = Φ(3.7947…) from SciPy: norm.cdf(3*sqrt(2)/sqrt(1.25)) = 0.9999260957
    const expected = 1 / (2 * lambda * 0.9999260957);
    expect(oneSidedMixtureSprtPValue({ effect, variance, mixingVariance: tau2 })).toBeCloseTo(expected, 8);
  });
});
