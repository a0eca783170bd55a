import { ErrorCode, StandardResolutionReasons } from '@openfeature/web-sdk';
import type { FlagMetadata, FlagValue, ResolutionDetails } from '@openfeature/web-sdk';
import type { OfrepFlag } from './ofrep-client';

/** The flag kinds OpenFeature resolves, each with the test a served value must pass. */
export type FlagKind = 'boolean' | 'string' | 'number' | 'object';

const KIND_TEST: Record<FlagKind, (value: unknown) => boolean> = {
  boolean: (value) => typeof value === 'boolean',
  string: (value) => typeof value === 'string',
  number: (value) => typeof value === 'number' && Number.isFinite(value),
  object: (value) => typeof value === 'object' && value !== null,
};

/** OFREP's per-flag error codes that OpenFeature also knows; anything else is GENERAL. */
const KNOWN_ERRORS: ReadonlySet<string> = new Set([
  ErrorCode.FLAG_NOT_FOUND,
  ErrorCode.PARSE_ERROR,
  ErrorCode.TARGETING_KEY_MISSING,
  ErrorCode.INVALID_CONTEXT,
  ErrorCode.TYPE_MISMATCH,
  ErrorCode.GENERAL,
]);

export function failure<T>(
  defaultValue: T,
  errorCode: ErrorCode,
  errorMessage: string,
): ResolutionDetails<T> {
  return { value: defaultValue, reason: StandardResolutionReasons.ERROR, errorCode, errorMessage };
}

/** One flag from the cached bulk answer, checked against the kind the caller asked for. */
export function resolveFlag<T extends FlagValue>(
  kind: FlagKind,
  flagKey: string,
  defaultValue: T,
  flag: OfrepFlag | undefined,
): ResolutionDetails<T> {
  if (flag === undefined) {
    return failure(
      defaultValue,
      ErrorCode.FLAG_NOT_FOUND,
      `flag "${flagKey}" is not in the answer for this context (unknown, or not visible to this key)`,
    );
  }
  const flagMetadata = primitiveMetadata(flag.metadata);
  if (flag.errorCode !== undefined) {
    const errorCode = KNOWN_ERRORS.has(flag.errorCode) ? (flag.errorCode as ErrorCode) : ErrorCode.GENERAL;
    return { ...failure(defaultValue, errorCode, flag.errorDetails ?? flag.errorCode), flagMetadata };
  }
  if (!KIND_TEST[kind](flag.value)) {
    return {
      ...failure(defaultValue, ErrorCode.TYPE_MISMATCH, `flag "${flagKey}" is not a ${kind} flag`),
      flagMetadata,
    };
  }
  return {
    value: flag.value as T,
    ...(flag.variant === undefined ? {} : { variant: flag.variant }),
    reason: flag.reason ?? StandardResolutionReasons.UNKNOWN,
    flagMetadata,
  };
}

/**
 * The keys whose answer changed between two bulk answers: added, removed, or served another value, variant or
 * error. Metadata and reasons are not compared — a ruleset revision in every flag's metadata would otherwise
 * name every flag on any change.
 */
export function changedFlags(
  before: ReadonlyMap<string, OfrepFlag>,
  after: ReadonlyMap<string, OfrepFlag>,
): string[] {
  const changed: string[] = [];
  for (const [key, flag] of after) {
    const old = before.get(key);
    if (old === undefined || identity(old) !== identity(flag)) changed.push(key);
  }
  for (const key of before.keys()) if (!after.has(key)) changed.push(key);
  return changed;
}

function identity(flag: OfrepFlag): string {
  return JSON.stringify([flag.value, flag.variant, flag.errorCode]);
}

/** OpenFeature's flag metadata holds primitives only: other entries are left out. */
function primitiveMetadata(metadata: OfrepFlag['metadata']): FlagMetadata {
  const result: FlagMetadata = {};
  for (const [name, value] of Object.entries(metadata ?? {})) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      result[name] = value;
  }
  return result;
}
