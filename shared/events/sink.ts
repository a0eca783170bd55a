import type { SwitchyardEvent } from './schema';

/** Why one event could not be indexed. */
export interface SinkFailure {
  readonly eventId: string;
  /** HTTP status, when the search engine answered. */
  readonly status?: number;
  /** The engine's error type (`mapper_parsing_exception`…). */
  readonly type?: string;
  /** The engine's message. It may quote the event's data: log it with care. */
  readonly reason: string;
  /** Whether a retry may succeed (429, 5xx, no answer); false for what fails the same every time (a 400 mapping error). */
  readonly retryable: boolean;
}

export interface SinkResult {
  /** The events not indexed, in input order. */
  readonly failedEventIds: string[];
  /** Why, one per failed event. An id in `failedEventIds` without one here counts as retryable. */
  readonly failures: readonly SinkFailure[];
}

/**
 * Where the event processor sends each valid event for search (SPEC §2.5: raw events are indexed in
 * OpenSearch). The processor calls `index` once per Kinesis batch with the batch's valid events, in arrival
 * order, before aggregating.
 *
 * Contract:
 * - Indexing must be idempotent per `eventId` (use it as the document id): a retried batch re-sends events
 *   that were already indexed.
 * - Return the events that could not be indexed and why. The processor reports the Kinesis records that
 *   carried a retryable failure as batch item failures, so Lambda retries them (aggregates are idempotent per
 *   event id, so a retry does not double count); a non-retryable failure is logged (id and reason) and the
 *   event stays out of the search index — retrying it would only block the shard — while the aggregates count it.
 * - Throw only when nothing could be indexed (the whole batch is then retried); an empty `failedEventIds`
 *   means every event was indexed.
 */
export interface EventSink {
  index(events: SwitchyardEvent[]): Promise<SinkResult>;
}

/** The sink when no search domain is configured (no OPENSEARCH_URL): indexes nothing, fails nothing. */
export class NoSink implements EventSink {
  index(): Promise<SinkResult> {
    return Promise.resolve({ failedEventIds: [], failures: [] });
  }
}
