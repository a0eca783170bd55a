import type { SwitchyardEvent } from './schema';

/**
 * Where the event processor sends each valid event for search (SPEC §2.5: raw events are indexed in
 * OpenSearch). The processor calls `index` once per Kinesis batch with the batch's valid events, in arrival
 * order, before aggregating.
 *
 * Contract:
 * - Indexing must be idempotent per `eventId` (use it as the document id): a retried batch re-sends events
 *   that were already indexed.
 * - Return the ids of the events that could not be indexed (a per-document failure, a throttled bulk item…);
 *   the processor reports the Kinesis records that carried them as batch item failures, so Lambda retries
 *   them. Aggregates are idempotent per event id, so a retry does not double count.
 * - Throw only when nothing could be indexed (the whole batch is then retried); an empty `failedEventIds`
 *   means every event was indexed.
 */
export interface EventSink {
  index(events: SwitchyardEvent[]): Promise<{ failedEventIds: string[] }>;
}

/** The sink when no search domain is configured (no OPENSEARCH_URL): indexes nothing, fails nothing. */
export class NoSink implements EventSink {
  index(): Promise<{ failedEventIds: string[] }> {
    return Promise.resolve({ failedEventIds: [] });
  }
}
