/**
 * Statistics for experiment results (SPEC §2.5), pure functions over per-variant aggregates. Reference
 * values from SciPy/statsmodels: test/fixtures/stats (generate.py writes reference.json).
 */
export { summarize } from './summary';
export type { CovariateSummary, Moments, SampleSummary } from './summary';
export { compareToControl, twoProportionZTest, welchTTest } from './compare';
export type {
  CompareOptions,
  Comparison,
  ComparisonOptions,
  ControlComparisons,
  Direction,
  Interval,
  TestKind,
} from './compare';
export { cupedAdjust } from './cuped';
export type { CupedAdjustment, CupedVariant } from './cuped';
export { DEFAULT_MIXING_EFFECT_SIZE, defaultMixingVariance, mixtureSprtPValue } from './sequential';
export type { MixtureSprtInput } from './sequential';
export { SRM_THRESHOLD, sampleRatioMismatch } from './srm';
export type { SampleRatioMismatch } from './srm';
export { linearizeRatio } from './ratio';
export type { RatioSummary } from './ratio';
