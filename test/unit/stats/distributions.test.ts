import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  chiSquareSf,
  logGamma,
  logGammaRatio,
  normalQuantile,
  normalSf,
  studentTCdf,
  studentTPdf,
  studentTQuantile,
  studentTSf,
} from '../../../shared/stats/distributions';

interface Grid {
  readonly studentTSf: readonly { t: number; dof: number; p: number }[];
  readonly studentTQuantile: readonly { p: number; dof: number; t: number }[];
  readonly chiSquareSf: readonly { x: number; dof: number; p: number }[];
}

const { distributions: grid } = JSON.parse(
  readFileSync(join(__dirname, '../../fixtures/stats/reference.json'), 'utf8'),
) as { distributions: Grid };

const relativeError = (actual: number, expected: number) =>
  expected === 0 ? Math.abs(actual) : Math.abs(actual - expected) / Math.abs(expected);

describe('Student t (computed here: jStat is off by 1e-7, and by up to 0.4 beyond 1e6 df)', () => {
  // Tighter than the 1e-6 of the figures, so that a regression to jStat's precision fails here. Below
  // 1e-10 the bound is absolute (1e-18): beyond 1e9 df the normal stands in for t, off by a relative
  // t⁴/4ν in the far tail (5e-5 at t = 30, where p is 1e-197).
  it.each(grid.studentTSf.map((r) => [r.t, r.dof, r] as const))(
    'P(T > %d) with %d df matches SciPy to 1e-8 relative',
    (_t, _dof, { t, dof, p }) => {
      expect(Math.abs(studentTSf(t, dof) - p)).toBeLessThanOrEqual(1e-8 * Math.max(p, 1e-10));
    },
  );

  it.each(grid.studentTQuantile.map((r) => [r.p, r.dof, r] as const))(
    'the %d quantile with %d df matches SciPy to 1e-8 relative (SciPy 1.10 itself is good to ~1e-9)',
    (_p, _dof, { p, dof, t }) => {
      expect(relativeError(studentTQuantile(p, dof), t)).toBeLessThan(1e-8);
    },
  );

  it('quantile and cdf are inverse, and the distribution is symmetric', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-6, max: 1 - 1e-6, noNaN: true }),
        fc.double({ min: 1, max: 1e8, noNaN: true }),
        (p, dof) => {
          const t = studentTQuantile(p, dof);
          // The two branches of the incomplete beta meet with a relative step of ~1e-10 at large df.
          expect(relativeError(studentTCdf(t, dof), p)).toBeLessThan(1e-9);
          // 1 − p is rounded, so the mirror quantile agrees to the precision of 1 − p, not better.
          expect(relativeError(studentTQuantile(1 - p, dof), -t)).toBeLessThan(1e-9);
          expect(studentTSf(t, dof) + studentTSf(-t, dof)).toBeCloseTo(1, 14);
        },
      ),
      { numRuns: 500, seed: 11 },
    );
  });

  it('is continuous where it hands over to the normal distribution (1e9 df)', () => {
    for (const t of [0.5, 1.96, 3]) {
      expect(relativeError(studentTSf(t, 1e9), studentTSf(t, 1e9 + 1))).toBeLessThan(1e-7);
      expect(relativeError(studentTSf(t, 1e9 + 1), normalSf(t))).toBeLessThan(1e-7);
    }
    expect(studentTQuantile(0.975, 2e9)).toBeCloseTo(normalQuantile(0.975), 12);
  });

  it('has the exact values known in closed form', () => {
    // One degree of freedom is the Cauchy distribution; two has cdf ½ + t / (2√(2 + t²)).
    expect(studentTCdf(1, 1)).toBeCloseTo(0.75, 14);
    expect(studentTQuantile(0.75, 1)).toBeCloseTo(1, 13);
    expect(studentTPdf(0, 1)).toBeCloseTo(1 / Math.PI, 14);
    expect(studentTCdf(3, 2)).toBeCloseTo(0.5 + 3 / (2 * Math.sqrt(11)), 14);
    expect(studentTSf(0, 7.3)).toBe(0.5);
    expect(studentTQuantile(0.5, 7.3)).toBe(0);
  });

  it('answers NaN outside its domain', () => {
    expect(studentTSf(1, 0)).toBeNaN();
    expect(studentTSf(NaN, 5)).toBeNaN();
    expect(studentTQuantile(0, 5)).toBeNaN();
    expect(studentTQuantile(1, 5)).toBeNaN();
  });
});

describe('chi-square (jStat)', () => {
  it.each(grid.chiSquareSf.map((r) => [r.x, r.dof, r] as const))(
    'P(X > %d) with %d df matches SciPy to 1e-6 relative (1e-12 absolute below 1e-6)',
    (_x, _dof, { x, dof, p }) => {
      expect(Math.abs(chiSquareSf(x, dof) - p)).toBeLessThanOrEqual(1e-6 * Math.max(p, 1e-6));
    },
  );

  it('is 1 at and below 0', () => {
    expect(chiSquareSf(0, 3)).toBe(1);
    expect(chiSquareSf(-1, 3)).toBe(1);
  });
});

describe('log-gamma', () => {
  it('matches factorials and Γ(½) = √π', () => {
    expect(logGamma(1)).toBeCloseTo(0, 14);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 13);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 14);
    expect(logGamma(171)).toBeCloseTo(Math.log(7.257415615307994e306), 10);
  });

  it('takes ratios for large arguments without cancelling (ln Γ(a + ½) − ln Γ(a) ≈ ½ ln a − 1/(8a))', () => {
    for (const a of [1e3, 1e6, 1e9]) {
      expect(logGammaRatio(a, 0.5)).toBeCloseTo(0.5 * Math.log(a) - 1 / (8 * a) + 1 / (192 * a ** 3), 13);
    }
    // Either side of the switch from log-gamma differences to Stirling's series at 20.
    expect(logGammaRatio(19.999, 0.5)).toBeCloseTo(logGamma(20.499) - logGamma(19.999), 13);
    expect(logGammaRatio(20, 0.5)).toBeCloseTo(logGamma(20.5) - logGamma(20), 13);
    expect(logGammaRatio(50, 3.5)).toBeCloseTo(logGamma(53.5) - logGamma(50), 12);
  });
});
