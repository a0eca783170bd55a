import type { CovariateSummary, SampleSummary } from '../../../shared/stats';

/** The aggregates the results API would hold for these per-unit values. */
export function summaryOf(values: readonly number[]): SampleSummary {
  return {
    n: values.length,
    sum: values.reduce((a, x) => a + x, 0),
    sumSquares: values.reduce((a, x) => a + x * x, 0),
  };
}

export function covariateOf(values: readonly number[], covariate: readonly number[]): CovariateSummary {
  return {
    sum: covariate.reduce((a, y) => a + y, 0),
    sumSquares: covariate.reduce((a, y) => a + y * y, 0),
    sumProducts: values.reduce((a, x, i) => a + x * covariate[i]!, 0),
  };
}

/** A seeded standard normal generator (mulberry32 + Box–Muller): the same draws on every run. */
export function normalGenerator(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

export function draw(normal: () => number, n: number, mean: number, sd: number): number[] {
  return Array.from({ length: n }, () => mean + sd * normal());
}
