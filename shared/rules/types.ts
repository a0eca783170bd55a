/**
 * The plain-JSON shapes the engine evaluates: a ruleset revision as published, stored and cached, and the
 * results it produces. Kept free of zod so that the evaluation bundle (Lambda, SDK local mode) carries no
 * validation code; the write-side schemas (shared/flags/schema.ts, shared/segments/schema.ts) produce
 * values of these types.
 */

export const FLAG_KINDS = ['boolean', 'string', 'number', 'json'] as const;
export type FlagKind = (typeof FLAG_KINDS)[number];

/** Whether a variation value (or a caller's expected value) is of the flag's kind; used on write and by the engine. */
export function valueMatchesKind(kind: FlagKind, value: unknown): boolean {
  switch (kind) {
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'json':
      return value !== undefined;
  }
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

function deepFreeze(value: unknown): void {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
}

/** A deep, frozen copy of a JSON value: what compiled rulesets hand out, shared between answers. */
export function frozenJsonCopy(value: JsonValue): JsonValue {
  const copy = JSON.parse(JSON.stringify(value)) as JsonValue;
  deepFreeze(copy);
  return copy;
}
export type FlagValue = JsonValue;

/** Operators of SPEC §2.2, grouped by the values they take. */
export const EQUALITY_OPERATORS = ['eq', 'neq', 'in', 'not_in'] as const;
export const STRING_OPERATORS = ['contains', 'not_contains', 'starts_with', 'ends_with'] as const;
export const REGEX_OPERATORS = ['matches'] as const;
export const NUMBER_OPERATORS = ['gt', 'gte', 'lt', 'lte'] as const;
export const SEMVER_OPERATORS = ['semver_eq', 'semver_gt', 'semver_gte', 'semver_lt', 'semver_lte'] as const;
export const DATE_OPERATORS = ['before', 'after'] as const;
export const EXISTENCE_OPERATORS = ['exists', 'not_exists'] as const;
export const SEGMENT_OPERATORS = ['in_segment', 'not_in_segment'] as const;
export const CIDR_OPERATORS = ['in_cidr'] as const;

export const OPERATORS = [
  ...EQUALITY_OPERATORS,
  ...STRING_OPERATORS,
  ...REGEX_OPERATORS,
  ...NUMBER_OPERATORS,
  ...SEMVER_OPERATORS,
  ...DATE_OPERATORS,
  ...EXISTENCE_OPERATORS,
  ...SEGMENT_OPERATORS,
  ...CIDR_OPERATORS,
] as const;
export type Operator = (typeof OPERATORS)[number];

export type ClauseValue = string | number | boolean;

export interface Clause {
  /**
   * Context attribute path, dots for nesting (`device.os`). For `in_segment`/`not_in_segment` it names the
   * attribute holding the unit id and may be omitted (the targeting key is used).
   */
  readonly attribute?: string;
  readonly op: Operator;
  readonly values: readonly ClauseValue[];
  readonly caseInsensitive?: boolean;
}

export type Condition =
  | { readonly all: readonly Condition[] }
  | { readonly any: readonly Condition[] }
  | { readonly not: Condition }
  | Clause;

export interface Allocation {
  readonly variation: string;
  /** Basis points; the allocations of a split sum to 10 000. */
  readonly weight: number;
}

export type Serve =
  | { readonly variation: string }
  | { readonly allocations: readonly Allocation[]; readonly bucketBy?: string };

export interface Variation {
  readonly key: string;
  readonly value: FlagValue;
  readonly name?: string;
}

export interface Rule {
  readonly id: string;
  readonly description?: string;
  readonly conditions: Condition;
  readonly serve: Serve;
}

export interface Prerequisite {
  readonly flagKey: string;
  readonly variation: string;
}

/** The fields of a flag that evaluation reads; stored flags carry more (owner, timestamps…), ignored here. */
export interface RulesetFlag {
  readonly key: string;
  readonly kind: FlagKind;
  readonly variations: readonly Variation[];
  readonly enabled: boolean;
  readonly offVariation: string;
  readonly fallthrough: Serve;
  readonly rules: readonly Rule[];
  readonly prerequisites?: readonly Prerequisite[];
  readonly clientSide?: boolean;
  /** Bucketing salt; the flag key when absent. */
  readonly salt?: string;
}

export interface RulesetSegment {
  readonly key: string;
  readonly conditions?: Condition;
  readonly included?: readonly string[];
  readonly excluded?: readonly string[];
}

export interface RulesetVariant {
  readonly key: string;
  /** Basis points of the units in the experiment; the variants' weights sum to 10 000. */
  readonly weight: number;
  readonly isControl: boolean;
  readonly payload?: JsonValue;
}

/** A running (ACTIVE) experiment: only those assign units (SPEC §2.4). */
export interface RulesetExperiment {
  readonly key: string;
  readonly variants: readonly RulesetVariant[];
  /** Basis points of the eligible units that enter. */
  readonly trafficAllocation: number;
  /** Context attribute holding the unit id (`userId` also accepts `targetingKey`, as flags do the reverse). */
  readonly unitAttribute: string;
  readonly conditions?: Condition;
  readonly layer?: string;
  /** [start, end) of the layer's own bucket. */
  readonly layerRange?: readonly [number, number];
  /** Bucketing salt; the experiment key when absent. */
  readonly salt?: string;
  /** The flag this experiment serves: its variant keys are that flag's variation keys. */
  readonly flagKey?: string;
}

export interface RulesetLayer {
  readonly key: string;
  /** Bucketing salt; the layer key when absent. */
  readonly salt?: string;
}

/** A published ruleset revision: normalized JSON, identical in DynamoDB, the cache and the SDKs. */
export interface Ruleset {
  readonly revision: number;
  readonly hashVersion: 1;
  readonly flags: readonly RulesetFlag[];
  readonly segments: readonly RulesetSegment[];
  /** Absent in revisions published before experiments existed. */
  readonly experiments?: readonly RulesetExperiment[];
  readonly layers?: readonly RulesetLayer[];
}

/** Evaluation context: any JSON object; `targetingKey` (or `userId`) is the default unit. */
export type EvaluationContext = Readonly<Record<string, unknown>>;

export const EVALUATION_REASONS = [
  'TARGETING_MATCH',
  'SPLIT',
  'DEFAULT',
  'DISABLED',
  'PREREQUISITE_FAILED',
  'ERROR',
] as const;
export type EvaluationReason = (typeof EVALUATION_REASONS)[number];

export const EVALUATION_ERROR_CODES = [
  'FLAG_NOT_FOUND',
  'TYPE_MISMATCH',
  'TARGETING_KEY_MISSING',
  'PARSE_ERROR',
  'GENERAL',
] as const;
export type EvaluationErrorCode = (typeof EVALUATION_ERROR_CODES)[number];

/**
 * OpenFeature-style resolution details (SPEC §2.1). With reason ERROR, `value` and `variation` are null and
 * the caller's default applies. Results are shared between evaluations and frozen: copy before changing.
 */
export interface EvaluationResult {
  readonly flagKey: string;
  readonly value: FlagValue;
  readonly variation: string | null;
  readonly reason: EvaluationReason;
  readonly ruleId?: string;
  /** Set when the flag served the variation of a running experiment's variant (reason SPLIT): an exposure. */
  readonly experimentKey?: string;
  readonly errorCode?: EvaluationErrorCode;
  readonly errorMessage?: string;
}

/**
 * Why a unit is or is not in an experiment. ASSIGNED is the only one with `inExperiment: true`;
 * UNIT_MISSING means the context has no usable unit id (never a random variant); NOT_RUNNING answers a
 * named experiment that does not exist or is not ACTIVE.
 */
export const ASSIGNMENT_REASONS = [
  'ASSIGNED',
  'NOT_ELIGIBLE',
  'OUTSIDE_LAYER',
  'OUTSIDE_TRAFFIC',
  'UNIT_MISSING',
  'NOT_RUNNING',
] as const;
export type AssignmentReason = (typeof ASSIGNMENT_REASONS)[number];

/** One experiment's answer for one unit (SPEC §2.4). Shared and frozen, like evaluation results. */
export interface Assignment {
  readonly experimentKey: string;
  readonly variant: string | null;
  readonly payload: JsonValue | null;
  readonly inExperiment: boolean;
  readonly reason: AssignmentReason;
}
