import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import * as z from 'zod';
import { backoffDelayMs, sleep as wait } from '../retry';

/**
 * The redrive of the events stream's failure destination (docs/operations.md, "Redrive"). A batch the event
 * processor could not process before its records would leave the stream is kept whole — in AWS as an object in
 * the failures bucket written by the event source mapping's S3 on-failure destination, on the local platform as a
 * file of the same shape — and a redrive puts its records back on the stream, byte for byte with their partition
 * keys. The processor counts every event once whatever the deliveries (the unit state remembers event ids), so a
 * redrive may be repeated, interrupted and run again: a failure is marked redriven only once all its records are
 * back on the stream.
 */

/** Where failures are kept: S3 (shared/events/s3-failures.ts) or a directory (local/failure-store.ts). */
export interface FailureStore {
  /** The failures not yet redriven, oldest first. */
  list(): Promise<string[]>;
  read(id: string): Promise<string>;
  /** Moves the failure out of the way (kept for audit under a `redriven/` prefix, not deleted). */
  markRedriven(id: string): Promise<void>;
}

/** A stream record to put back: its bytes and its partition key. */
export interface RedriveRecord {
  readonly data: Buffer;
  readonly partitionKey: string;
}

const kinesisEventSchema = z.object({
  Records: z.array(
    z.object({
      kinesis: z.object({ data: z.string(), partitionKey: z.string().min(1) }),
    }),
  ),
});

const failureSchema = z.object({
  // The invocation event, as JSON text (Lambda's S3 destination) or as the object itself.
  payload: z.union([z.string(), z.record(z.string(), z.unknown())]),
});

/** The records of one failure document; a document that is not one throws, naming what is wrong. */
export function recordsOfFailure(text: string): RedriveRecord[] {
  const document = failureSchema.parse(JSON.parse(text));
  const payload: unknown =
    typeof document.payload === 'string' ? JSON.parse(document.payload) : document.payload;
  return kinesisEventSchema.parse(payload).Records.map(({ kinesis }) => ({
    data: Buffer.from(kinesis.data, 'base64'),
    partitionKey: kinesis.partitionKey,
  }));
}

export interface RedriveOutcome {
  /** Failures whose records are all back on the stream (and which are marked redriven). */
  readonly redriven: number;
  readonly records: number;
  /** Failures left for the next run, with why. */
  readonly problems: readonly { readonly id: string; readonly error: string }[];
}

export interface RedriveOptions {
  /** Attempts per PutRecords entry. @default 8 */
  readonly maxAttempts?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Puts every failure's records back on `streamName`; a failure that cannot be put whole stays for the next run. */
export async function redrive(
  store: FailureStore,
  kinesis: KinesisClient,
  streamName: string,
  options: RedriveOptions = {},
): Promise<RedriveOutcome> {
  let redriven = 0;
  let records = 0;
  const problems: { id: string; error: string }[] = [];
  for (const id of await store.list()) {
    try {
      const batch = recordsOfFailure(await store.read(id));
      await putAll(kinesis, streamName, batch, options);
      await store.markRedriven(id);
      redriven++;
      records += batch.length;
    } catch (error) {
      problems.push({ id, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return { redriven, records, problems };
}

const MAX_RECORDS_PER_CALL = 500;

/** PutRecords in calls of 500, sending again only the entries Kinesis refused, with backoff; throws if any stay. */
async function putAll(
  kinesis: KinesisClient,
  streamName: string,
  records: readonly RedriveRecord[],
  options: RedriveOptions,
): Promise<void> {
  const maxAttempts = options.maxAttempts ?? 8;
  const sleep = options.sleep ?? wait;
  let pending = [...records];
  let lastError = '';
  for (let attempt = 1; pending.length > 0; attempt++) {
    const retry: RedriveRecord[] = [];
    for (let i = 0; i < pending.length; i += MAX_RECORDS_PER_CALL) {
      const chunk = pending.slice(i, i + MAX_RECORDS_PER_CALL);
      try {
        const out = await kinesis.send(
          new PutRecordsCommand({
            StreamName: streamName,
            Records: chunk.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
          }),
        );
        (out.Records ?? []).forEach((result, j) => {
          if (result.ErrorCode !== undefined) {
            lastError = `${result.ErrorCode}: ${result.ErrorMessage ?? ''}`.trim();
            retry.push(chunk[j]!);
          }
        });
      } catch (error) {
        lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        retry.push(...chunk);
      }
    }
    pending = retry;
    if (pending.length === 0) return;
    if (attempt >= maxAttempts) break;
    await sleep(backoffDelayMs(attempt, { baseMs: 100, maxMs: 5000 }));
  }
  throw new Error(`${pending.length} of ${records.length} records not put back: ${lastError}`);
}
