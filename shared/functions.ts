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

export const STREAM_FUNCTIONS: readonly StreamFunctionDefinition[] = [];
export const SCHEDULED_FUNCTIONS: readonly ScheduledFunctionDefinition[] = [];
