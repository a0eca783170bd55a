import { normalCdf } from './distributions';
/**
 * Always-valid p-values (Johari, Koomen, Pekelis & Walsh, "Always valid inference", 2017; the mixture
 * SPRT behind Optimizely's stats engine). With an effect estimate θ̂ ~ N(θ, V) and a N(0, τ²) mixture
 * over the alternative θ, the likelihood ratio against θ = 0 is
 *
 *   Λ = √(V / (V + τ²)) · exp(θ̂² τ² / (2 V (V + τ²)))
 *
 * and p = min(1, 1/Λ). Under θ = 0, Λ is a martingale, so P(p ever ≤ α) ≤ α however often one looks.
 *
 * This is the p-value at one look. The guarantee is about the running minimum over looks: a caller that
 * peeks must store it and report the minimum so far (it stays valid), as the results API does
 * (shared/results/bounds.ts). The same holds for the confidence sequence below: its guarantee is about the
 * running intersection of the intervals of every look.
 */

/**
 * The default mixture spread in standard deviations of the metric: τ = 0.05·σ, a spread of effects of the
 * size online experiments are run to detect. GrowthBook's default tuning (expected sample size 5000 per
 * variant at α = 0.05) gives ≈ 0.04·σ. The mixture is most powerful for effects around τ; any τ keeps the
 * guarantee.
 */
export const DEFAULT_MIXING_EFFECT_SIZE = 0.05;

/**
 * τ² for a comparison whose per-unit variances are `controlVariance` and `treatmentVariance`: the squared
 * default effect size times their average. It is set from the data, but the per-unit variances settle
 * within the first few hundred units, so τ is in effect fixed across looks, as the guarantee assumes
 * (σ² is plugged in the same way in Johari et al.).
 */
export function defaultMixingVariance(controlVariance: number, treatmentVariance: number): number {
  return DEFAULT_MIXING_EFFECT_SIZE ** 2 * ((controlVariance + treatmentVariance) / 2);
}

export interface MixtureSprtInput {
  /** θ̂: the estimated difference (treatment − control). */
  readonly effect: number;
  /** V: the variance of θ̂ (the squared standard error), > 0. */
  readonly variance: number;
  /** τ²: the variance of the normal mixture over effects, in squared metric units, > 0. */
  readonly mixingVariance: number;
}

/** The always-valid two-sided p-value of the normal mixture SPRT for H0: θ = 0, in [0, 1]. */
export function mixtureSprtPValue({ effect, variance, mixingVariance }: MixtureSprtInput): number {
  if (!(variance > 0) || !Number.isFinite(variance)) {
    throw new RangeError(`variance must be finite and > 0 (${variance})`);
  }
  if (!(mixingVariance > 0) || !Number.isFinite(mixingVariance)) {
    throw new RangeError(`mixingVariance must be finite and > 0 (${mixingVariance})`);
  }
  if (!Number.isFinite(effect)) throw new RangeError(`effect must be finite (${effect})`);
  const total = variance + mixingVariance;
  // In logarithms: Λ itself overflows for the effects a large experiment detects.
  const logLambda =
    0.5 * Math.log(variance / total) + (effect * effect * mixingVariance) / (2 * variance * total);
  return logLambda <= 0 ? 1 : Math.exp(-logLambda);
}

/**
 * The one-sided version, for H0: θ ≤ 0 against θ > 0 (a regression, where only harm matters): the mixture is
 * the half-normal N(0, τ²) restricted to θ > 0, which gives
 *
 *   Λ₊ = 2 · Λ · Φ(θ̂ τ / √(V (V + τ²)))
 *
 * with Λ as above. Each likelihood ratio in the mixture is a martingale at θ = 0 and a supermartingale for
 * θ < 0, so P(p₊ ever ≤ α) ≤ α under the whole null however often one looks, and for harmful effects it is
 * more powerful than the two-sided test at the same α.
 */
export function oneSidedMixtureSprtPValue(input: MixtureSprtInput): number {
  const twoSided = mixtureSprtPValue(input);
  const { effect, variance, mixingVariance } = input;
  const shift = (effect * Math.sqrt(mixingVariance)) / Math.sqrt(variance * (variance + mixingVariance));
  // log Λ₊ = log 2 − log p + log Φ(shift); Φ in logs keeps tiny values for strongly negative shifts.
  const logLambda = Math.log(2) - Math.log(twoSided) + logNormalCdf(shift);
  return logLambda <= 0 ? 1 : Math.exp(-logLambda);
}

function logNormalCdf(z: number): number {
  const p = normalCdf(z);
  if (p > 1e-300) return Math.log(p);
  // Mills ratio for the far left tail: Φ(z) ≈ φ(z)/|z|.
  return -0.5 * z * z - Math.log(-z) - 0.5 * Math.log(2 * Math.PI);
}

/**
 * The z threshold of the mixture SPRT at level α: it rejects θ = θ₀ when |θ̂ − θ₀| / √V reaches
 *
 *   b = √( (V + τ²)/τ² · (2 ln(1/α) + ln((V + τ²)/V)) ),
 *
 * which is Λ(θ₀) ≥ 1/α solved for θ̂. It grows (slowly, like √ln n) as V shrinks: the price of looking at
 * every sample size.
 */
export function mixtureSprtThreshold(variance: number, mixingVariance: number, alpha: number): number {
  checkPositive('variance', variance);
  checkPositive('mixingVariance', mixingVariance);
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1) (${alpha})`);
  const total = variance + mixingVariance;
  return Math.sqrt((total / mixingVariance) * (2 * Math.log(1 / alpha) + Math.log(total / variance)));
}

/**
 * The confidence sequence of the same mixture (Howard, Ramdas, McAuliffe & Sekhon, "Time-uniform, nonparametric,
 * nonasymptotic confidence sequences", 2021, normal mixture): every θ₀ the test at level α would not reject,
 * θ̂ ± b·√V. Covering θ at every look at once with probability ≥ 1 − α, so their running intersection does
 * too; θ = 0 leaves the intersection exactly when the running minimum of the p-value reaches α.
 */
export function mixtureConfidenceSequence(
  input: MixtureSprtInput & { readonly alpha: number },
): readonly [lower: number, upper: number] {
  const { effect, variance, mixingVariance, alpha } = input;
  if (!Number.isFinite(effect)) throw new RangeError(`effect must be finite (${effect})`);
  const half = mixtureSprtThreshold(variance, mixingVariance, alpha) * Math.sqrt(variance);
  return [effect - half, effect + half];
}

function checkPositive(name: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value))
    throw new RangeError(`${name} must be finite and > 0 (${value})`);
}
