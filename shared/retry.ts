/** Waiting between attempts, shared by every retry loop (Kinesis puts, DynamoDB batches, OpenSearch). */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Exponential backoff with full jitter: a random delay in [0, min(max, base·2^(retry-1))] before retry
 * number `retry` (1-based), so that many callers throttled at once do not retry in lockstep.
 */
export function backoffDelayMs(
  retry: number,
  options: { readonly baseMs: number; readonly maxMs?: number; readonly random?: () => number },
): number {
  const ceiling = Math.min(options.maxMs ?? Infinity, options.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.round((options.random ?? Math.random)() * ceiling);
}
