import type { TableId } from './db/tables';

/**
 * The non-HTTP functions of the platform (stream consumers and scheduled jobs), listed once for the CDK
 * app and the local platform, as the route table does for HTTP functions. Later features register theirs
 * here: the ruleset publisher (config stream), the event processor (Kinesis), the scheduler sweeps.
 */
export type StreamSource =
  { readonly kind: 'tableStream'; readonly table: TableId } | { readonly kind: 'events' };

export interface StreamFunctionDefinition {
  readonly name: string;
  /** Relative to the repository root; exports `handler`. */
  readonly entry: string;
  readonly source: StreamSource;
  readonly batchSize: number;
  readonly maxAttempts: number;
}

export interface ScheduledFunctionDefinition {
  readonly name: string;
  readonly entry: string;
  readonly everyMinutes: number;
}

export const STREAM_FUNCTIONS: readonly StreamFunctionDefinition[] = [
  {
    name: 'ruleset-publisher',
    entry: 'lambdas/ruleset-publisher/handler.ts',
    source: { kind: 'tableStream', table: 'config' },
    batchSize: 100,
    maxAttempts: 5,
  },
  {
    // Events → OpenSearch and the aggregates (shared/analytics); idempotent per event, so retries are safe.
    name: 'event-processor',
    entry: 'lambdas/event-processor/handler.ts',
    source: { kind: 'events' },
    batchSize: 1000,
    maxAttempts: 5,
  },
];

export const SCHEDULED_FUNCTIONS: readonly ScheduledFunctionDefinition[] = [
  // The repair sweep: republishes if a stream delivery was missed, refills the cache after a flush.
  { name: 'ruleset-repair', entry: 'lambdas/ruleset-publisher/handler.ts', everyMinutes: 5 },
  // Starts and ends experiments whose startAt/endAt has passed: the repair path of the exact-time schedules
  // (lib/constructs/experiment-scheduler.ts), and the only path on the local platform.
  { name: 'experiment-sweep', entry: 'lambdas/experiment-sweep/handler.ts', everyMinutes: 15 },
];
