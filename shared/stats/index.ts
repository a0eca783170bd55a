/**
 * Statistics for experiment results (SPEC §2.5), pure functions over per-variant aggregates. Reference
 * values from SciPy/statsmodels: test/fixtures/stats (generate.py writes reference.json).
 */
export { summarize } from './summary';
export type { CovariateSummary, Moments, SampleSummary } from './summary';
export { compareToControl, meansZTest, quantileZTest, twoProportionZTest, welchTTest } from './compare';
export type {
  CompareOptions,
  Comparison,
  ComparisonOptions,
  ControlComparisons,
  Direction,
  Interval,
  QuantileSummary,
  TestKind,
} from './compare';
export { cupedAdjust } from './cuped';
export type { CupedAdjustment, CupedVariant } from './cuped';
export {
  DEFAULT_MIXING_EFFECT_SIZE,
  defaultMixingVariance,
  mixtureConfidenceSequence,
  mixtureSprtPValue,
  mixtureSprtThreshold,
  oneSidedMixtureSprtPValue,
} from './sequential';
export type { MixtureSprtInput } from './sequential';
export { SRM_THRESHOLD, sampleRatioMismatch } from './srm';
export type { SampleRatioMismatch } from './srm';
export { linearizeRatio } from './ratio';
export type { RatioSummary } from './ratio';
export { adjustPValues, CORRECTIONS, simultaneousLevel } from './multiple';
export type { Correction } from './multiple';
export { power, sampleSize } from './power';
export type { PowerInput, Units } from './power';
export { estimateQuantile, orderStatisticRanks } from './quantile';
export type { CountedRange, QuantileEstimate } from './quantile';
