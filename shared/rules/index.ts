/**
 * The evaluation engine: what the evaluation Lambdas and the SDKs' local mode load. Write-side validation
 * (zod schemas, regex vetting) lives in shared/rules/schema.ts and is not part of this bundle.
 */
export { compileRuleset, RulesetError } from './compile';
export type { CompiledRuleset, EvaluateOptions, FlagInfo } from './compile';
export {
  BUCKET_COUNT,
  HASH_VERSION,
  bucketOf,
  bucketOfHash,
  cumulativeBounds,
  allocationIndex,
  murmur3,
  murmur3Bytes,
  saltState,
  hashFromState,
} from './bucketing';
export type { HashState } from './bucketing';
export { defaultUnit, toUnitId } from './attributes';
export { findPrerequisiteCycle, MAX_PREREQUISITE_DEPTH } from './prerequisites';
export { segmentKeysOf } from './operators';
export { compareSemver, parseSemver } from './semver';
export type { SemVer } from './semver';
export { parseCidr } from './cidr';
export { parseIsoInstant, toEpochMillis } from './dates';
export * from './types';
export { compileExperiment, variantRanges, notRunning } from './experiments';
export type { CompiledExperiment } from './experiments';
export { EXPOSURE_EVENT_NAME, exposureEvent, exposuresOf } from './exposures';
export type { Exposure, ExposureEventBody } from './exposures';
