import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as DynamoStreamRecord,
  type DynamoDBStreamsClient,
} from '@aws-sdk/client-dynamodb-streams';
import {
  GetRecordsCommand as GetKinesisRecordsCommand,
  GetShardIteratorCommand as GetKinesisShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
} from '@aws-sdk/client-kinesis';
import type {
  DynamoDBRecord,
  DynamoDBStreamEvent,
  KinesisStreamEvent,
  KinesisStreamRecord,
} from 'aws-lambda';
import type { LambdaFunction } from './lambda-runtime';
import { lambdaContext } from './lambda-runtime';
import { sleep } from './ports';

/** What a stream handler may answer: Lambda's partial batch response (ReportBatchItemFailures). */
interface BatchResponse {
  batchItemFailures?: { itemIdentifier: string }[];
}

/** One shard-based source (a DynamoDB stream or a Kinesis stream) as the poller needs it. */
interface ShardSource<R> {
  readonly arn: string;
  listShards(): Promise<string[]>;
  /** An iterator at the start of the shard (or just after `sequence`), or null when the shard is gone. */
  firstIterator(shardId: string, afterSequence?: string): Promise<string | null>;
  read(iterator: string): Promise<{ records: R[]; next: string | null }>;
  sequenceOf(record: R): string;
  /** When the record reached the stream (ms): its age decides when retrying it stops. */
  arrivalOf(record: R): number;
}

/**
 * A batch that failed for good, as Lambda sends it to an S3 on-failure destination: metadata about the failed
 * invocation and the invocation event itself (`payload`, its JSON text), so that nothing is lost and the batch
 * can be redriven (shared/events/redrive.ts).
 */
export interface StreamFailure {
  readonly version: '1.0';
  readonly timestamp: string;
  readonly requestContext: {
    readonly functionArn: string;
    readonly condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
    readonly approximateInvokeCount: number;
  };
  readonly batchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
  readonly payload: string;
}

export interface PollerOptions {
  readonly functionName: string;
  readonly batchSize: number;
  /**
   * Deliveries of a failing batch before it goes to the failure destination, as Lambda's maximumRetryAttempts + 1;
   * Infinity: until the record is older than `maxRecordAgeMs` (Lambda's default: until the record expires).
   */
  readonly maxAttempts: number;
  /** Lambda's maximumRecordAge. @default Infinity */
  readonly maxRecordAgeMs?: number;
  readonly intervalMs: number;
  /** The longest pause between two deliveries of a failing batch (backoff doubles up to it). @default 5 000 */
  readonly maxBackoffMs?: number;
  /** The on-failure destination: receives each batch given up, with its records. Unset: logged only. */
  readonly onFailure?: (failure: StreamFailure) => Promise<void>;
  readonly log: (line: string) => void;
}

/**
 * Lambda's event source mapping, in miniature, with the settings of the deployed ones (lib/constructs/
 * background-functions.ts): one loop per shard, batches in order, partial batch failures re-delivered from the
 * first failed record, a batch whose invocation threw split in two (bisectBatchOnError; splitting spends no
 * attempt), retries with backoff until the attempts or the record's age run out — then the batch from the failed
 * record on goes to the on-failure destination with its records (`onFailure`), and the shard moves on.
 */
class ShardPoller<R, E> {
  private running = false;
  private readonly loops = new Map<string, Promise<void>>();

  constructor(
    private readonly source: ShardSource<R>,
    /** The invocation event of a batch of one shard: what the handler gets, and a failure keeps whole. */
    private readonly eventOf: (records: R[], shardId: string) => E,
    private readonly deliver: (event: E) => Promise<BatchResponse | void>,
    private readonly options: PollerOptions,
  ) {}

  start(): void {
    this.running = true;
    this.loops.set('discovery', this.discover());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.allSettled([...this.loops.values()]);
  }

  private async discover(): Promise<void> {
    while (this.running) {
      try {
        for (const shardId of await this.source.listShards()) {
          if (!this.loops.has(shardId)) this.loops.set(shardId, this.pollShard(shardId));
        }
      } catch (error) {
        if (this.running)
          this.options.log(`${this.options.functionName}: listing shards failed: ${String(error)}`);
      }
      await this.pause(2000);
    }
  }

  private async pause(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (this.running && Date.now() < until) await sleep(Math.min(50, ms));
  }

  private async pollShard(shardId: string): Promise<void> {
    let iterator = await this.source.firstIterator(shardId).catch(() => null);
    let pending: R[] = [];
    let attempts = 0;
    let limit = this.options.batchSize;
    let lastRead: string | undefined;
    const maxAge = this.options.maxRecordAgeMs ?? Infinity;
    const maxBackoff = this.options.maxBackoffMs ?? 5000;
    while (this.running && (iterator !== null || pending.length > 0)) {
      try {
        if (pending.length < this.options.batchSize && iterator !== null) {
          let page;
          try {
            page = await this.source.read(iterator);
          } catch (error) {
            // Iterators expire (and DynamoDB Local trims them): take a fresh one after the last record read.
            const name = (error as Error).name;
            if (name !== 'ExpiredIteratorException' && name !== 'TrimmedDataAccessException') throw error;
            iterator = await this.source.firstIterator(shardId, lastRead);
            continue;
          }
          pending.push(...page.records);
          const last = page.records.at(-1);
          if (last !== undefined) lastRead = this.source.sequenceOf(last);
          iterator = page.next;
        }
        if (pending.length === 0) {
          await this.pause(this.options.intervalMs);
          continue;
        }
        const batch = pending.slice(0, limit);
        const outcome = await this.invoke(batch, shardId);
        if (outcome === null) {
          pending = pending.slice(batch.length);
          attempts = 0;
          limit = this.options.batchSize;
          continue;
        }
        if (outcome.threw && batch.length > 1) {
          // bisectBatchOnError: the halves are tried on their own; splitting spends no attempt.
          limit = Math.ceil(batch.length / 2);
          continue;
        }
        attempts++;
        const index = Math.max(
          0,
          batch.findIndex((r) => this.source.sequenceOf(r) === outcome.failedAt),
        );
        const failed = batch.slice(index);
        const expired = Date.now() - this.source.arrivalOf(failed[0]!) >= maxAge;
        if (attempts >= this.options.maxAttempts || expired) {
          await this.giveUp(shardId, failed, attempts, expired);
          pending = pending.slice(batch.length);
          attempts = 0;
          limit = this.options.batchSize;
        } else {
          pending = pending.slice(index);
          await this.pause(Math.min(maxBackoff, this.options.intervalMs * 2 ** (attempts - 1)));
        }
      } catch (error) {
        if (!this.running) break;
        this.options.log(`${this.options.functionName}: reading shard ${shardId} failed: ${String(error)}`);
        await this.pause(1000);
      }
    }
  }

  /** The on-failure destination: the batch with its records, or (none configured) a log line. */
  private async giveUp(shardId: string, failed: R[], attempts: number, expired: boolean): Promise<void> {
    const first = this.source.sequenceOf(failed[0]!);
    const last = this.source.sequenceOf(failed.at(-1)!);
    const why = expired ? 'the record age limit passed' : `${attempts} attempts`;
    const failure: StreamFailure = {
      version: '1.0',
      timestamp: new Date().toISOString(),
      requestContext: {
        functionArn: `arn:aws:lambda:${REGION}:000000000000:function:${this.options.functionName}`,
        condition: expired ? 'RecordAgeExceeded' : 'RetryAttemptsExhausted',
        approximateInvokeCount: attempts,
      },
      batchInfo: {
        shardId,
        startSequenceNumber: first,
        endSequenceNumber: last,
        batchSize: failed.length,
        streamArn: this.source.arn,
      },
      payload: JSON.stringify(this.eventOf(failed, shardId)),
    };
    for (;;) {
      try {
        if (this.options.onFailure === undefined) {
          this.options.log(
            `${this.options.functionName}: dropping records ${first}…${last} after ${why} (no failure destination)`,
          );
          return;
        }
        await this.options.onFailure(failure);
        this.options.log(
          `${this.options.functionName}: records ${first}…${last} sent to the failure destination after ${why}`,
        );
        return;
      } catch (error) {
        // The destination is the last place the records are kept: the shard waits for it, as Lambda does.
        if (!this.running) return;
        this.options.log(`${this.options.functionName}: failure destination unavailable: ${String(error)}`);
        await this.pause(1000);
      }
    }
  }

  /** null when the whole batch succeeded; else the first record to re-deliver, and whether the invocation threw. */
  private async invoke(batch: R[], shardId: string): Promise<{ failedAt: string; threw: boolean } | null> {
    try {
      const response = await this.deliver(this.eventOf(batch, shardId));
      const failures = (response ?? {}).batchItemFailures ?? [];
      if (failures.length === 0) return null;
      const failed = new Set(failures.map((f) => f.itemIdentifier));
      const first = batch.find((r) => failed.has(this.source.sequenceOf(r)));
      return {
        failedAt: first === undefined ? failures[0]!.itemIdentifier : this.source.sequenceOf(first),
        threw: false,
      };
    } catch (error) {
      this.options.log(`${this.options.functionName}: batch failed: ${String(error)}`);
      return { failedAt: this.source.sequenceOf(batch[0]!), threw: true };
    }
  }
}

export interface StreamPoller {
  stop(): Promise<void>;
}

const REGION = 'us-east-1';

function toLambdaDynamoRecord(record: DynamoStreamRecord, arn: string): DynamoDBRecord {
  const data = record.dynamodb;
  // The SDK's AttributeValue and aws-lambda's are the same JSON shape under two type names.
  const images = { Keys: data?.Keys, NewImage: data?.NewImage, OldImage: data?.OldImage } as Pick<
    NonNullable<DynamoDBRecord['dynamodb']>,
    'Keys' | 'NewImage' | 'OldImage'
  >;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: REGION,
    eventSourceARN: arn,
    dynamodb: {
      ...images,
      ApproximateCreationDateTime: Math.floor(
        (data?.ApproximateCreationDateTime ?? new Date()).getTime() / 1000,
      ),
      SequenceNumber: data?.SequenceNumber,
      SizeBytes: data?.SizeBytes,
      StreamViewType: data?.StreamViewType,
    },
  };
}

/** Deliver a table's DynamoDB stream to a stream handler, as a Lambda event source mapping would. */
export async function pollDynamoStream(
  dynamo: DynamoDBClient,
  streams: DynamoDBStreamsClient,
  tableName: string,
  handler: LambdaFunction<DynamoDBStreamEvent, BatchResponse | void>,
  options: PollerOptions,
): Promise<StreamPoller> {
  const table = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
  const arn = table.Table?.LatestStreamArn;
  if (arn === undefined) throw new Error(`Table ${tableName} has no stream`);
  const source: ShardSource<DynamoStreamRecord> = {
    arn,
    listShards: async () => {
      const described = await streams.send(new DescribeStreamCommand({ StreamArn: arn }));
      return (described.StreamDescription?.Shards ?? []).flatMap((s) => (s.ShardId ? [s.ShardId] : []));
    },
    firstIterator: async (shardId, afterSequence) =>
      (
        await streams.send(
          new GetShardIteratorCommand({
            StreamArn: arn,
            ShardId: shardId,
            ...(afterSequence === undefined
              ? { ShardIteratorType: 'TRIM_HORIZON' as const }
              : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' as const, SequenceNumber: afterSequence }),
          }),
        )
      ).ShardIterator ?? null,
    read: async (iterator) => {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      return { records: page.Records ?? [], next: page.NextShardIterator ?? null };
    },
    sequenceOf: (record) => record.dynamodb?.SequenceNumber ?? '',
    arrivalOf: (record) => record.dynamodb?.ApproximateCreationDateTime?.getTime() ?? Date.now(),
  };
  const eventOf = (records: DynamoStreamRecord[]): DynamoDBStreamEvent => ({
    Records: records.map((r) => toLambdaDynamoRecord(r, arn)),
  });
  const poller = new ShardPoller(
    source,
    eventOf,
    (event) => handler(event, lambdaContext(options.functionName)),
    options,
  );
  poller.start();
  return poller;
}

function toLambdaKinesisRecord(record: KinesisRecord, shardId: string, arn: string): KinesisStreamRecord {
  return {
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${record.SequenceNumber ?? ''}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/local',
    awsRegion: REGION,
    eventSourceARN: arn,
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.PartitionKey ?? '',
      sequenceNumber: record.SequenceNumber ?? '',
      data: Buffer.from(record.Data ?? new Uint8Array()).toString('base64'),
      approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
    },
  };
}

/** Deliver a Kinesis stream to a stream handler, as a Lambda event source mapping would. */
export function pollKinesisStream(
  kinesis: KinesisClient,
  streamName: string,
  handler: LambdaFunction<KinesisStreamEvent, BatchResponse | void>,
  options: PollerOptions,
): StreamPoller {
  const arn = `arn:aws:kinesis:${REGION}:000000000000:stream/${streamName}`;
  const source: ShardSource<KinesisRecord> = {
    arn,
    listShards: async () =>
      ((await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? []).flatMap((s) =>
        s.ShardId ? [s.ShardId] : [],
      ),
    firstIterator: async (shardId, afterSequence) => {
      const out = await kinesis.send(
        new GetKinesisShardIteratorCommand({
          StreamName: streamName,
          ShardId: shardId,
          ...(afterSequence === undefined
            ? { ShardIteratorType: 'TRIM_HORIZON' as const }
            : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' as const, StartingSequenceNumber: afterSequence }),
        }),
      );
      return out.ShardIterator === undefined ? null : `${shardId}|${out.ShardIterator}`;
    },
    read: async (iterator) => {
      const [shardId = '', raw = ''] = iterator.split('|', 2);
      const page = await kinesis.send(new GetKinesisRecordsCommand({ ShardIterator: raw, Limit: 1000 }));
      const records = page.Records ?? [];
      return { records, next: page.NextShardIterator ? `${shardId}|${page.NextShardIterator}` : null };
    },
    sequenceOf: (record) => record.SequenceNumber ?? '',
    arrivalOf: (record) => record.ApproximateArrivalTimestamp?.getTime() ?? Date.now(),
  };
  const eventOf = (records: KinesisRecord[], shardId: string): KinesisStreamEvent => ({
    Records: records.map((r) => toLambdaKinesisRecord(r, shardId, arn)),
  });
  const poller = new ShardPoller(
    source,
    eventOf,
    (event) => handler(event, lambdaContext(options.functionName)),
    options,
  );
  poller.start();
  return poller;
}
