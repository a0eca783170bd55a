import { PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { backoffDelayMs, sleep as wait } from '../retry';
import type { SwitchyardEvent } from './schema';

/** Kinesis limits of one PutRecords call. */
const MAX_RECORDS_PER_CALL = 500;
const MAX_BYTES_PER_CALL = 5 * 1024 * 1024;

export interface PublishOptions {
  /** Attempts per record, the first included. */
  readonly maxAttempts?: number;
  /** Base of the exponential backoff between attempts (full jitter). */
  readonly backoffMs?: number;
  /** No new attempt starts after this many milliseconds: the caller is waiting. */
  readonly deadlineMs?: number;
}

export interface PublishResult {
  /** PutRecords calls made, retries included. */
  readonly calls: number;
  /** Events that could not be put, with the last error Kinesis gave for each. */
  readonly failed: readonly { readonly eventId: string; readonly error: string }[];
}

const defaults: Required<PublishOptions> = { maxAttempts: 4, backoffMs: 25, deadlineMs: 2000 };

/**
 * Puts events on the events stream (SPEC §2.5): partition key = unit id (a unit's events stay in order on one
 * shard), batches of at most 500 records / 5 MiB per PutRecords, and only the records Kinesis refused
 * (`FailedRecordCount`, throttling) are sent again, with backoff, until the attempts or the deadline run out.
 * A retried record keeps its eventId, so a record Kinesis took twice still counts once downstream.
 */
export class EventPublisher {
  private readonly options: Required<PublishOptions>;

  constructor(
    private readonly kinesis: KinesisClient,
    private readonly streamName: string,
    options: PublishOptions = {},
    private readonly sleep: (ms: number) => Promise<void> = wait,
  ) {
    this.options = { ...defaults, ...options };
  }

  /** `options` override the publisher's for this call (a shutdown flush has a shorter deadline than usual). */
  async publish(events: readonly SwitchyardEvent[], options: PublishOptions = {}): Promise<PublishResult> {
    const { maxAttempts, backoffMs, deadlineMs } = { ...this.options, ...options };
    const started = Date.now();
    let pending = events.map((event) => ({ event, data: Buffer.from(JSON.stringify(event)) }));
    const errors = new Map<string, string>();
    let calls = 0;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const retry: typeof pending = [];
      for (const batch of batches(pending)) {
        calls++;
        const entries: PutRecordsRequestEntry[] = batch.map(({ event, data }) => ({
          Data: data,
          PartitionKey: event.unitId,
        }));
        try {
          const response = await this.kinesis.send(
            new PutRecordsCommand({ StreamName: this.streamName, Records: entries }),
          );
          (response.Records ?? []).forEach((record, i) => {
            const item = batch[i]!;
            if (record.ErrorCode === undefined) {
              errors.delete(item.event.eventId);
            } else {
              errors.set(item.event.eventId, `${record.ErrorCode}: ${record.ErrorMessage ?? ''}`.trim());
              retry.push(item);
            }
          });
        } catch (error) {
          // The whole call failed (throttled, network): every record of it is retried.
          for (const item of batch) errors.set(item.event.eventId, (error as Error).name);
          retry.push(...batch);
        }
      }
      pending = retry;
      const elapsed = Date.now() - started;
      if (pending.length === 0 || attempt >= maxAttempts || elapsed >= deadlineMs) break;
      const backoff = backoffDelayMs(attempt, { baseMs: backoffMs });
      await this.sleep(Math.min(backoff, Math.max(0, deadlineMs - elapsed)));
    }
    return {
      calls,
      failed: pending.map(({ event }) => ({
        eventId: event.eventId,
        error: errors.get(event.eventId) ?? 'unknown',
      })),
    };
  }
}

/** Consecutive slices within the record-count and byte limits of one call. */
function batches<T extends { event: SwitchyardEvent; data: Buffer }>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = item.data.length + Buffer.byteLength(item.event.unitId);
    if (
      current.length === MAX_RECORDS_PER_CALL ||
      (current.length > 0 && bytes + size > MAX_BYTES_PER_CALL)
    ) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}
