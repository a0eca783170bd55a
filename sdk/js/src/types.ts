import type {
  Assignment,
  AssignmentReason,
  EvaluationErrorCode,
  EvaluationReason,
  FlagValue,
  JsonValue,
} from '../../../shared/rules';

/**
 * Evaluation context: any object — a literal, a class instance, an interface-typed value — whose attributes rules
 * read by path (`device.os`); `targetingKey` (or `userId`) is the default unit (SPEC §2.3).
 */
export type EvaluationContext = object;

/**
 * Why the caller's default was served: the engine's codes (SPEC §2.1) and OpenFeature's SDK-side ones —
 * PROVIDER_NOT_READY (local mode before its first ruleset, or after close()) and INVALID_CONTEXT (a context
 * that cannot be sent as JSON).
 */
export type ErrorCode = EvaluationErrorCode | 'PROVIDER_NOT_READY' | 'INVALID_CONTEXT';

/**
 * A flag's resolution (OpenFeature's evaluation details). With reason ERROR, `value` is the caller's default,
 * `variation` is null and `errorCode` says why. Successful local answers are the engine's own frozen objects,
 * shared between calls: copy before changing.
 */
export interface EvaluationDetails<T extends FlagValue = FlagValue> {
  readonly flagKey: string;
  readonly value: T;
  readonly variation: string | null;
  readonly reason: EvaluationReason;
  readonly ruleId?: string;
  /** The running experiment that served this variation (an exposure was logged). */
  readonly experimentKey?: string;
  readonly errorCode?: ErrorCode;
  readonly errorMessage?: string;
}

/** An experiment's answer (SPEC §2.4), or ERROR when none could be had (never in the experiment then). */
export type SdkAssignment =
  | Assignment
  | {
      readonly experimentKey: string;
      readonly variant: null;
      readonly payload: null;
      readonly inExperiment: false;
      readonly reason: 'ERROR';
      readonly errorCode: ErrorCode;
      readonly errorMessage: string;
    };

export type { AssignmentReason };

export interface AssignOptions {
  /** Only these experiments, answered in this order (default: every running one). */
  readonly experiments?: readonly string[];
  /** The unit of every experiment asked, whatever their unit attribute. */
  readonly unitId?: string;
}

export interface TrackOptions {
  /** A number within ±1e12: an amount, a count, a duration… */
  readonly value?: number;
  readonly properties?: Readonly<Record<string, JsonValue>>;
  /** @default now */
  readonly timestamp?: Date;
}

export interface MeasureOptions {
  /**
   * The events' name (the code path measured).
   * @default the flag key
   */
  readonly name?: string;
  /** Passed to the measured function when the flag cannot be evaluated. @default null */
  readonly defaultValue?: FlagValue;
  readonly properties?: Readonly<Record<string, JsonValue>>;
}
