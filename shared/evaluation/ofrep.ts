import type { EvaluationContext, EvaluationReason, EvaluationResult, JsonValue } from '../rules';
import type { FlagFacts } from './flag-facts';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../json';

/**
 * The OpenFeature Remote Evaluation Protocol as Switchyard speaks it, after OFREP's OpenAPI document
 * (open-feature/protocol `service/openapi.yaml`; a copy with its commit is in test/fixtures/ofrep/, and
 * test/e2e/ofrep-conformance.test.ts checks our answers against it). Where OFREP's vocabulary is smaller than
 * ours, the answer uses the closest OFREP term and keeps ours in `metadata`.
 */

/** OFREP's resolution reasons (evaluationSuccess.reason). */
export const OFREP_REASONS = ['STATIC', 'TARGETING_MATCH', 'SPLIT', 'DISABLED', 'UNKNOWN'] as const;
export type OfrepReason = (typeof OFREP_REASONS)[number];

/** OFREP's error codes of a failed evaluation (evaluationFailure.errorCode). */
export const OFREP_FAILURE_CODES = [
  'PARSE_ERROR',
  'TARGETING_KEY_MISSING',
  'INVALID_CONTEXT',
  'GENERAL',
] as const;
export type OfrepFailureCode = (typeof OFREP_FAILURE_CODES)[number];

/** Why a request cannot be evaluated at all: its body is not a JSON object, or its context is not one. */
export const OFREP_REQUEST_ERRORS = ['PARSE_ERROR', 'INVALID_CONTEXT'] as const;
export type OfrepRequestErrorCode = (typeof OFREP_REQUEST_ERRORS)[number];

/** OFREP metadata: flat, values boolean, string or number. */
export type OfrepMetadata = Readonly<Record<string, string | number | boolean>>;

export interface OfrepSuccess {
  readonly key: string;
  /** OFREP carries booleans, strings, numbers and objects: never an array or null. */
  readonly value: boolean | string | number | { readonly [key: string]: JsonValue };
  readonly reason: OfrepReason;
  readonly variant: string;
  readonly metadata: OfrepMetadata;
}

export interface OfrepFailure {
  readonly key: string;
  readonly errorCode: OfrepFailureCode;
  readonly errorDetails: string;
  readonly metadata?: OfrepMetadata;
}

export interface OfrepFlagNotFound {
  readonly key: string;
  readonly errorCode: 'FLAG_NOT_FOUND';
  readonly errorDetails: string;
}

/** A request the bulk route cannot evaluate (bulkEvaluationFailure); the single-flag route adds the key. */
export interface OfrepRequestError {
  readonly errorCode: OfrepRequestErrorCode;
  readonly errorDetails: string;
}

/** One flag's evaluation in OFREP's terms: a success, a failed evaluation, or no flag this caller may see. */
export type OfrepResult =
  | { readonly outcome: 'evaluated'; readonly body: OfrepSuccess }
  | { readonly outcome: 'failed'; readonly body: OfrepFailure }
  | { readonly outcome: 'flagNotFound'; readonly body: OfrepFlagNotFound };

const EXAMPLE = '{"context": {"targetingKey": "user-1"}}';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const describe = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;

/** Keys that could reach a prototype if the context were ever merged: refused, as the rest of the API does. */
function refuseProtoKeys(key: string, value: unknown): unknown {
  if (
    key === '__proto__' ||
    (key === 'constructor' && isObject(value) && Object.hasOwn(value, 'prototype'))
  ) {
    throw new SyntaxError(`forbidden key ${key}`);
  }
  return value;
}

/**
 * An OFREP request body, `{"context": {...}}`, from its text. No body, text that is not JSON, or JSON that is
 * not an object is a PARSE_ERROR; a context that is not an object is INVALID_CONTEXT. A body without a
 * context evaluates the empty context (OFREP's clients always send one; a missing one is taken leniently).
 */
export function readOfrepRequest(
  text: string | undefined,
): { readonly context: EvaluationContext } | { readonly error: OfrepRequestError } {
  if (text === undefined || text.trim() === '') {
    return {
      error: { errorCode: 'PARSE_ERROR', errorDetails: `The request needs a JSON body such as ${EXAMPLE}` },
    };
  }
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    return {
      error: {
        errorCode: 'PARSE_ERROR',
        errorDetails: `The request body nests deeper than ${MAX_JSON_DEPTH} levels`,
      },
    };
  }
  let body: unknown;
  try {
    body = JSON.parse(text, refuseProtoKeys);
  } catch (error) {
    const forbidden = error instanceof SyntaxError && error.message.startsWith('forbidden key');
    return {
      error: {
        errorCode: 'PARSE_ERROR',
        errorDetails: forbidden
          ? `The request body has a ${error.message}`
          : 'The request body is not valid JSON',
      },
    };
  }
  if (!isObject(body)) {
    return {
      error: {
        errorCode: 'PARSE_ERROR',
        errorDetails: `The request body must be a JSON object such as ${EXAMPLE}, not ${describe(body)}`,
      },
    };
  }
  const { context } = body;
  if (context === undefined) return { context: {} };
  if (!isObject(context)) {
    return {
      error: {
        errorCode: 'INVALID_CONTEXT',
        errorDetails: `context must be a JSON object, not ${describe(context)}`,
      },
    };
  }
  return { context };
}

/**
 * Our reasons in OFREP's list: DEFAULT (the fallthrough) is STATIC when the flag serves everyone the same
 * variation, and UNKNOWN when rules were tried and none matched (OFREP has no DEFAULT); PREREQUISITE_FAILED
 * serves the off variation, as a disabled flag does: DISABLED. `metadata.switchyardReason` keeps ours.
 */
export function ofrepReason(reason: Exclude<EvaluationReason, 'ERROR'>, contextFree: boolean): OfrepReason {
  switch (reason) {
    case 'DEFAULT':
      return contextFree ? 'STATIC' : 'UNKNOWN';
    case 'PREREQUISITE_FAILED':
      return 'DISABLED';
    default:
      return reason;
  }
}

const isOfrepValue = (value: JsonValue): value is OfrepSuccess['value'] =>
  typeof value === 'boolean' || typeof value === 'string' || typeof value === 'number' || isObject(value);

/** One engine result in OFREP's shape; `facts` are the flag's (absent only for a flag that does not exist). */
export function toOfrep(result: EvaluationResult, facts: FlagFacts | undefined): OfrepResult {
  const { flagKey: key } = result;
  const identity: OfrepMetadata = facts === undefined ? {} : { flagDigest: facts.digest };
  if (result.errorCode === 'FLAG_NOT_FOUND') {
    return {
      outcome: 'flagNotFound',
      body: { key, errorCode: 'FLAG_NOT_FOUND', errorDetails: `No flag ${key} for this key` },
    };
  }
  if (result.errorCode !== undefined || result.reason === 'ERROR') {
    const errorCode = (OFREP_FAILURE_CODES as readonly string[]).includes(result.errorCode ?? '')
      ? (result.errorCode as OfrepFailureCode)
      : 'GENERAL';
    return {
      outcome: 'failed',
      body: {
        key,
        errorCode,
        errorDetails: result.errorMessage ?? result.errorCode ?? 'evaluation failed',
        metadata: {
          ...identity,
          ...(result.errorCode === undefined ? {} : { switchyardErrorCode: result.errorCode }),
        },
      },
    };
  }
  if (!isOfrepValue(result.value) || result.variation === null) {
    // OFREP's values are booleans, strings, numbers and objects: a `json` flag serving an array or null
    // cannot be carried (its object type is "object"), so the caller's default applies, with the reason.
    return {
      outcome: 'failed',
      body: {
        key,
        errorCode: 'GENERAL',
        errorDetails:
          `Flag ${key} serves ${describe(result.value)}, which OFREP cannot carry (booleans, strings, numbers ` +
          'and objects only): wrap it in an object, or read it from POST /api/v1/evaluate',
        metadata: { ...identity, switchyardErrorCode: 'TYPE_MISMATCH' },
      },
    };
  }
  return {
    outcome: 'evaluated',
    body: {
      key,
      value: result.value,
      reason: ofrepReason(result.reason, facts?.contextFree ?? false),
      variant: result.variation,
      metadata: {
        ...identity,
        switchyardReason: result.reason,
        ...(result.ruleId === undefined ? {} : { ruleId: result.ruleId }),
        ...(result.experimentKey === undefined ? {} : { experimentKey: result.experimentKey }),
      },
    },
  };
}
