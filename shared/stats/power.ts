import { normalCdf, normalQuantile, normalSf } from './distributions';
import { defaultMixingVariance, mixtureSprtThreshold } from './sequential';

/**
 * Power and sample size for comparing a treatment with the control, two-sided, normal approximation — the
 * formulas of statsmodels' `NormalIndPower` (means) and `power_proportions_2indep` (conversions, whose test
 * standardises with the pooled variance under H0 and is judged under the unpooled one), checked against them
 * in test/fixtures/stats. Both tails count, as in statsmodels.
 */
export interface PowerInput {
  /** The absolute difference to detect, treatment − control (its sign does not matter: two-sided). */
  readonly effect: number;
  /** Per-unit variances under the alternative. */
  readonly controlVariance: number;
  readonly treatmentVariance: number;
  /**
   * Per-unit variances under H0, when the test standardises with them (the pooled p̄(1 − p̄) of the
   * two-proportion z-test). @default the variances under the alternative
   */
  readonly nullVariances?: { readonly control: number; readonly treatment: number };
  /** Two-sided level of this one comparison (after any split across arms). */
  readonly alpha: number;
  /**
   * Always-valid mixture SPRT instead of the fixed-horizon test: the threshold is the mixture's, with τ²
   * `mixingVariance` (@default defaultMixingVariance of the two variances).
   */
  readonly sequential?: boolean;
  readonly mixingVariance?: number;
}

export interface Units {
  readonly controlUnits: number;
  readonly treatmentUnits: number;
}

/**
 * P(reject) at these sample sizes: Φ̄(c·σ₀/σ₁ − δ/σ₁) + Φ(−c·σ₀/σ₁ − δ/σ₁), with σ₀, σ₁ the standard errors of
 * the difference under H0 and the alternative and c the critical value — z₁₋α/₂ for the fixed-horizon test,
 * the mixture SPRT's threshold at this V for the sequential one. For the sequential test this is the chance of
 * crossing at this look alone, a lower bound on crossing at this look or any before it.
 */
export function power(input: PowerInput & Units): number {
  const { effect, controlVariance: vc, treatmentVariance: vt, controlUnits: nc, treatmentUnits: nt } = input;
  check(input);
  if (!(nc > 0 && nt > 0)) throw new RangeError(`units must be > 0 (${nc}, ${nt})`);
  const alternative = Math.sqrt(vc / nc + vt / nt);
  if (!(alternative > 0)) return effect === 0 ? input.alpha : 1;
  // The sequential p-value standardises with the unpooled standard error (compare.ts), whatever the test.
  const nullVariances =
    input.sequential || input.nullVariances === undefined
      ? { control: vc, treatment: vt }
      : input.nullVariances;
  const standardised = Math.sqrt(nullVariances.control / nc + nullVariances.treatment / nt);
  const critical = input.sequential
    ? mixtureSprtThreshold(
        alternative * alternative,
        input.mixingVariance ?? defaultMixingVariance(vc, vt),
        input.alpha,
      )
    : normalQuantile(1 - input.alpha / 2);
  const shift = Math.abs(effect) / alternative;
  const scaled = (critical * standardised) / alternative;
  return Math.min(1, normalSf(scaled - shift) + normalCdf(-scaled - shift));
}

/**
 * The treatment units (not rounded) at which `power` reaches `target`, with `ratio` control units per
 * treatment unit; null when it cannot (no effect, or a target at or below α). Bisection on a logarithmic
 * scale to 1e-10 relative: power grows with the sample size for both tests.
 */
export function sampleSize(
  input: PowerInput & { readonly target: number; readonly ratio: number },
): number | null {
  check(input);
  const { target, ratio } = input;
  if (!(target > 0 && target < 1)) throw new RangeError(`power must be in (0, 1) (${target})`);
  if (!(ratio > 0 && Number.isFinite(ratio))) throw new RangeError(`ratio must be finite and > 0 (${ratio})`);
  if (input.effect === 0 || target <= input.alpha) return null;
  const at = (nt: number) => power({ ...input, treatmentUnits: nt, controlUnits: ratio * nt });
  let low = 1e-6;
  let high = 1;
  while (at(high) < target) {
    low = high;
    high *= 4;
    if (high > 1e15) return null;
  }
  while (high / low > 1 + 1e-10) {
    const middle = Math.sqrt(low * high);
    if (at(middle) < target) low = middle;
    else high = middle;
  }
  return high;
}

function check(input: PowerInput): void {
  const { effect, controlVariance, treatmentVariance, alpha } = input;
  if (!Number.isFinite(effect)) throw new RangeError(`effect must be finite (${effect})`);
  for (const v of [controlVariance, treatmentVariance]) {
    if (!(v >= 0 && Number.isFinite(v))) throw new RangeError(`variances must be finite and ≥ 0 (${v})`);
  }
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1) (${alpha})`);
}
