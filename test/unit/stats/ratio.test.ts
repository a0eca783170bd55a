import { linearizeRatio, summarize, welchTTest, type RatioSummary } from '../../../shared/stats';

/** mulberry32, so the samples are the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Units with 1–5 orders each of 20–120: per-unit numerator (value sum) and denominator (order count). */
function units(n: number, seed: number, lift = 1): { num: number[]; den: number[] } {
  const next = random(seed);
  const num: number[] = [];
  const den: number[] = [];
  for (let i = 0; i < n; i++) {
    const orders = 1 + Math.floor(next() * 5);
    let sum = 0;
    for (let k = 0; k < orders; k++) sum += (20 + next() * 100) * lift;
    num.push(sum);
    den.push(orders);
  }
  return { num, den };
}

function summary({ num, den }: { num: number[]; den: number[] }): RatioSummary {
  return {
    n: num.length,
    numerator: num.reduce((a, b) => a + b, 0),
    denominator: den.reduce((a, b) => a + b, 0),
    numeratorSquares: num.reduce((a, b) => a + b * b, 0),
    denominatorSquares: den.reduce((a, b) => a + b * b, 0),
    products: num.reduce((a, b, i) => a + b * den[i]!, 0),
  };
}

describe('ratio metrics (delta method)', () => {
  it('gives the pooled ratio and the delta-method variance computed from the raw units', () => {
    const raw = units(500, 1);
    const linear = linearizeRatio(summary(raw))!;
    const moments = summarize(linear);
    const r = raw.num.reduce((a, b) => a + b, 0) / raw.den.reduce((a, b) => a + b, 0);
    expect(moments.mean).toBeCloseTo(r, 10);
    // Independently: the sample variance of the linearized values (nᵢ − R·dᵢ) / d̄.
    const meanD = raw.den.reduce((a, b) => a + b, 0) / raw.den.length;
    const linearized = raw.num.map((x, i) => (x - r * raw.den[i]!) / meanD);
    const m = linearized.reduce((a, b) => a + b, 0) / linearized.length;
    const v = linearized.reduce((a, b) => a + (b - m) ** 2, 0) / (linearized.length - 1);
    expect(moments.variance! / v).toBeCloseTo(1, 9);
  });

  it('estimates the spread of the ratio across repeated samples', () => {
    const ratios: number[] = [];
    const estimates: number[] = [];
    for (let s = 0; s < 400; s++) {
      const raw = units(200, 100 + s);
      const linear = summarize(linearizeRatio(summary(raw))!);
      ratios.push(linear.mean!);
      estimates.push(linear.variance! / 200);
    }
    const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
    const empirical = ratios.reduce((a, b) => a + (b - mean) ** 2, 0) / (ratios.length - 1);
    const predicted = estimates.reduce((a, b) => a + b, 0) / estimates.length;
    expect(predicted / empirical).toBeGreaterThan(0.85);
    expect(predicted / empirical).toBeLessThan(1.15);
  });

  it('detects a lift in the average value and not a difference that is not there', () => {
    const control = linearizeRatio(summary(units(2000, 7)))!;
    const lifted = linearizeRatio(summary(units(2000, 8, 1.1)))!;
    const same = linearizeRatio(summary(units(2000, 9)))!;
    expect(welchTTest(control, lifted).pValue!).toBeLessThan(0.001);
    expect(welchTTest(control, lifted).relativeEffect!).toBeCloseTo(0.1, 1);
    expect(welchTTest(control, same).pValue!).toBeGreaterThan(0.01);
  });

  it('is undefined without two units or a denominator', () => {
    const one = summary(units(1, 3));
    expect(linearizeRatio(one)).toBeNull();
    expect(linearizeRatio({ ...summary(units(5, 3)), denominator: 0 })).toBeNull();
  });
});
