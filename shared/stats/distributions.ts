import { jStat } from 'jstat';

/**
 * The distributions the tests need, checked against SciPy in test/unit/stats/distributions.test.ts.
 *
 * jStat supplies the normal quantile (~1e-15) and the chi-square cdf (~4e-11 absolute), and the normal cdf
 * near the centre. Its Student t is not good enough: its incomplete beta stops at a relative change of
 * 3e-7 after at most 100 terms, which leaves errors of 1e-7 for ordinary degrees of freedom and makes the
 * cdf wrong by up to 0.4 beyond 1e6 degrees of freedom — exactly where Welch's test lands in large
 * experiments. So the t distribution is computed here (a continued fraction run to convergence, and a
 * log-gamma ratio that does not cancel for large arguments: better than 1e-8 relative up to 1e9 df),
 * with jStat's t quantile as the starting point of Newton's method. The normal upper tail is computed
 * here too, so that tiny p-values keep their relative precision.
 */

/**
 * Beyond this many degrees of freedom the t distribution is the normal to within 1e-9 absolute, and the
 * continued fraction, which works with x = dof / (dof + t²) ever closer to 1, starts to lose digits
 * (2e-8 relative at 1e9, 4e-7 at 1e10).
 */
const NORMAL_DOF = 1e9;

/** Continued fractions (modified Lentz): stop at a relative change of 1e-16, guard against zero. */
const EPSILON = 1e-16;
const MAX_TERMS = 100_000;
const TINY = 1e-300;
const guard = (v: number) => (Math.abs(v) < TINY ? TINY : v);

export function normalCdf(z: number): number {
  return normalSf(-z);
}

/**
 * P(Z > z). jStat's cdf is exact in absolute terms only (1 − erf), so from z = 2 on the tail comes from
 * the continued fraction of Mills' ratio, Q(z) = φ(z) / (z + 1/(z + 2/(z + 3/(z + …)))), which keeps
 * its relative precision (~1e-14) down to the smallest doubles.
 */
export function normalSf(z: number): number {
  if (!(z >= 2)) return jStat.normal.cdf(-z, 0, 1);
  if (z === Infinity) return 0;
  let f = z;
  let c = z;
  let d = 0;
  for (let n = 1; n <= MAX_TERMS; n++) {
    d = 1 / guard(z + n * d);
    c = guard(z + n / c);
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI) / f;
}

export function normalQuantile(p: number): number {
  return jStat.normal.inv(p, 0, 1);
}

/** P(X > x) for a chi-square variable with `dof` degrees of freedom. */
export function chiSquareSf(x: number, dof: number): number {
  if (x <= 0) return 1;
  return Math.max(0, 1 - jStat.chisquare.cdf(x, dof));
}

/** P(T > t) for Student's t with `dof` (> 0, not necessarily whole) degrees of freedom. */
export function studentTSf(t: number, dof: number): number {
  if (Number.isNaN(t) || !(dof > 0)) return NaN;
  if (dof > NORMAL_DOF) return normalSf(t);
  if (t === 0) return 0.5;
  // P(|T| > |t|) = I_x(dof/2, 1/2) with x = dof / (dof + t²); 1 − x and both logarithms are formed
  // without subtracting from 1, so the far tail keeps its relative precision.
  const t2 = t * t;
  const logX = -Math.log1p(t2 / dof);
  const logY = 2 * Math.log(Math.abs(t)) - Math.log(dof + t2);
  const twoSided = regularizedBeta(dof / 2, 0.5, dof / (dof + t2), t2 / (dof + t2), logX, logY);
  return t > 0 ? twoSided / 2 : 1 - twoSided / 2;
}

export function studentTCdf(t: number, dof: number): number {
  return studentTSf(-t, dof);
}

export function studentTPdf(t: number, dof: number): number {
  if (dof > NORMAL_DOF) return Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI);
  return Math.exp(
    logGammaRatio(dof / 2, 0.5) - 0.5 * Math.log(dof * Math.PI) - ((dof + 1) / 2) * Math.log1p((t * t) / dof),
  );
}

/** The t with P(T ≤ t) = p: jStat's quantile (good to ~1e-7) polished by Newton steps on our cdf.
 * SciPy 1.10's own quantile is the less accurate one at ~1e-9 (mpmath agrees with this one to 1e-15). */
export function studentTQuantile(p: number, dof: number): number {
  if (!(p > 0 && p < 1) || !(dof > 0)) return NaN;
  if (dof > NORMAL_DOF) return normalQuantile(p);
  const tail = Math.min(p, 1 - p);
  if (tail === 0.5) return 0;
  let t = Math.abs(jStat.studentt.inv(1 - tail, dof));
  if (!Number.isFinite(t) || t === 0) t = Math.abs(normalQuantile(tail));
  for (let i = 0; i < 60; i++) {
    // sf is convex and decreasing on t > 0: Newton converges, and a step past zero is halved back.
    const step = (studentTSf(t, dof) - tail) / studentTPdf(t, dof);
    const next = t + step > 0 ? t + step : t / 2;
    const done = Math.abs(next - t) <= 1e-15 * next;
    t = next;
    if (done) break;
  }
  return p < 0.5 ? -t : t;
}

/** P(B ≤ k) for B ~ Binomial(n, p): I₁₋ₚ(n − k, k + 1) for 0 ≤ k < n. */
export function binomialCdf(k: number, n: number, p: number): number {
  if (!Number.isSafeInteger(n) || n < 0 || !(p >= 0 && p <= 1)) return NaN;
  const whole = Math.floor(k);
  if (whole < 0) return 0;
  if (whole >= n) return 1;
  if (p === 0) return 1;
  if (p === 1) return 0;
  return regularizedBeta(n - whole, whole + 1, 1 - p, p, Math.log1p(-p), Math.log(p));
}

/** The smallest k with P(B ≤ k) ≥ prob for B ~ Binomial(n, p), as scipy.stats.binom.ppf; by bisection. */
export function binomialQuantile(prob: number, n: number, p: number): number {
  if (!(prob >= 0 && prob <= 1) || !Number.isSafeInteger(n) || n < 0 || !(p >= 0 && p <= 1)) return NaN;
  let low = -1;
  let high = n;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (binomialCdf(middle, n, p) >= prob) high = middle;
    else low = middle;
  }
  return high;
}

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7: ~1e-15 relative). */
export function logGamma(x: number): number {
  if (x < 0.5) return logGamma(x + 1) - Math.log(x);
  const z = x - 1;
  let series = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) series += LANCZOS[i]! / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(series);
}

/** The correction term of Stirling's series, ln Γ(z) − [(z − ½) ln z − z + ½ ln 2π], for z ≥ 20. */
function stirlingCorrection(z: number): number {
  const z2 = z * z;
  return (1 / 12 - (1 / 360 - (1 / 1260 - 1 / (1680 * z2)) / z2) / z2) / z;
}

/**
 * ln Γ(a + b) − ln Γ(a). For large a the two log-gammas are huge and nearly equal, so their difference
 * is taken term by term from Stirling's series instead.
 */
export function logGammaRatio(a: number, b: number): number {
  if (a < 20) return logGamma(a + b) - logGamma(a);
  return (
    (a - 0.5) * Math.log1p(b / a) +
    b * Math.log(a + b) -
    b +
    stirlingCorrection(a + b) -
    stirlingCorrection(a)
  );
}

/**
 * The regularized incomplete beta I_x(a, b), given x, y = 1 − x, ln x and ln y computed by the caller
 * without cancellation. Continued fraction by the modified Lentz method, run to machine precision (it
 * needs O(√max(a, b)) terms, a few thousand at most here).
 */
function regularizedBeta(a: number, b: number, x: number, y: number, logX: number, logY: number): number {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  const big = Math.max(a, b);
  const small = Math.min(a, b);
  const logFront = logGammaRatio(big, small) - logGamma(small) + a * logX + b * logY;
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaContinuedFraction(a, b, x, y)) / a;
  return 1 - (Math.exp(logFront) * betaContinuedFraction(b, a, y, x)) / b;
}

function betaContinuedFraction(a: number, b: number, x: number, y: number): number {
  let c = 1;
  // 1 − (a + b)x / (a + 1), written with y so that x near 1 does not cancel.
  let d = 1 / guard(((a + 1) * y - (b - 1) * x) / (a + 1));
  let h = d;
  for (let m = 1; m <= MAX_TERMS; m++) {
    const m2 = 2 * m;
    const even = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 / guard(1 + even * d);
    c = guard(1 + even / c);
    h *= d * c;
    const odd = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 / guard(1 + odd * d);
    c = guard(1 + odd / c);
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return h;
}
