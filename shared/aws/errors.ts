/**
 * Which failures of an AWS call are the store's, not the request's: a service that is down, unreachable,
 * timing out or throttling. The SDK has retried them already (3 attempts by default), so the HTTP layer answers
 * 503 with `Retry-After` rather than 500: the client's request was fine and may be sent again as it is. Any other
 * error (a ValidationException, a missing table, a bug) stays a 500.
 */
export type TransientFailure = 'throttled' | 'unavailable';

/** Error names the AWS services use for throttling (DynamoDB, Kinesis, Cognito, EventBridge Scheduler, SNS). */
const THROTTLING_NAMES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'KMSThrottlingException',
]);

/** Error names of a service that is down or did not answer in time. */
const UNAVAILABLE_NAMES: ReadonlySet<string> = new Set([
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerError',
  'InternalServerException',
  'InternalFailure',
  'InternalErrorException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

/** Node's socket errors: nothing answers at the endpoint (DynamoDB Local stopped, a VPC endpoint down). */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);

/** Cancellation reasons of a DynamoDB transaction that a later attempt may not meet. */
const TRANSIENT_CANCELLATIONS: ReadonlySet<string> = new Set(['ThrottlingError', 'TransactionConflict']);

interface AwsLikeError {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly errors?: unknown;
  readonly cause?: unknown;
  readonly $fault?: unknown;
  readonly $retryable?: { readonly throttling?: boolean };
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly CancellationReasons?: readonly { readonly Code?: string }[];
}

/** Whether `error` says the store is unavailable or throttling (and which), or null for any other error. */
export function transientFailureOf(error: unknown, depth = 0): TransientFailure | null {
  if (typeof error !== 'object' || error === null || depth > 3) return null;
  const e = error as AwsLikeError;
  const name = typeof e.name === 'string' ? e.name : '';
  if (THROTTLING_NAMES.has(name) || e.$retryable?.throttling === true) return 'throttled';
  if (UNAVAILABLE_NAMES.has(name)) return 'unavailable';
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return 'unavailable';
  if (name === 'TransactionCanceledException') {
    const reasons = (e.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
    const failed = reasons.filter((code) => code !== 'None');
    if (failed.length > 0 && failed.every((code) => TRANSIENT_CANCELLATIONS.has(code))) {
      return failed.includes('ThrottlingError') ? 'throttled' : 'unavailable';
    }
    return null;
  }
  const status = e.$metadata?.httpStatusCode;
  if (e.$fault === 'server' && (status === undefined || status >= 500)) return 'unavailable';
  if (status === 429) return 'throttled';
  // Node's happy-eyeballs connect gives an AggregateError of one error per address; wrappers carry a cause.
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors as unknown[]) {
      const failure = transientFailureOf(inner, depth + 1);
      if (failure !== null) return failure;
    }
  }
  return e.cause === undefined ? null : transientFailureOf(e.cause, depth + 1);
}

/** How long a client should wait before sending the request again (`Retry-After`, seconds). */
export const RETRY_AFTER_SECONDS: Readonly<Record<TransientFailure, number>> = {
  throttled: 1,
  unavailable: 5,
};
