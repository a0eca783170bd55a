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
}

export interface PollerOptions {
  readonly functionName: string;
  readonly batchSize: number;
  /** Deliveries of one failing record before it is dropped, as Lambda's maximumRetryAttempts + DLQ. */
  readonly maxAttempts: number;
  readonly intervalMs: number;
  readonly log: (line: string) => void;
}

/**
 * Lambda's event source mapping, in miniature: one loop per shard, batches in order, partial batch
 * failures re-delivered from the first failed record, bounded attempts, then the records are dropped
 * with a log line (the local stand-in for the on-failure destination).
 */
class ShardPoller<R> {
  private running = false;
  private readonly loops = new Map<string, Promise<void>>();

  constructor(
    private readonly source: ShardSource<R>,
    private readonly deliver: (records: R[]) => Promise<BatchResponse | void>,
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
    let lastRead: string | undefined;
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
        const batch = pending.slice(0, this.options.batchSize);
        const failedAt = await this.invoke(batch);
        if (failedAt === null) {
          pending = pending.slice(batch.length);
          attempts = 0;
          continue;
        }
        attempts++;
        const index = Math.max(
          0,
          batch.findIndex((r) => this.source.sequenceOf(r) === failedAt),
        );
        if (attempts >= this.options.maxAttempts) {
          this.options.log(
            `${this.options.functionName}: dropping record ${failedAt} after ${attempts} attempts (on-failure destination)`,
          );
          pending = pending.slice(index + 1);
          attempts = 0;
        } else {
          pending = pending.slice(index);
          await this.pause(this.options.intervalMs * attempts);
        }
      } catch (error) {
        if (!this.running) break;
        this.options.log(`${this.options.functionName}: reading shard ${shardId} failed: ${String(error)}`);
        await this.pause(1000);
      }
    }
  }

  /** The sequence number of the first record to re-deliver, or null when the whole batch succeeded. */
  private async invoke(batch: R[]): Promise<string | null> {
    try {
      const response = await this.deliver(batch);
      const failures = (response ?? {}).batchItemFailures ?? [];
      if (failures.length === 0) return null;
      const failed = new Set(failures.map((f) => f.itemIdentifier));
      const first = batch.find((r) => failed.has(this.source.sequenceOf(r)));
      return first === undefined ? failures[0]!.itemIdentifier : this.source.sequenceOf(first);
    } catch (error) {
      this.options.log(`${this.options.functionName}: batch failed: ${String(error)}`);
      return this.source.sequenceOf(batch[0]!);
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
  };
  const poller = new ShardPoller(
    source,
    (records) =>
      handler(
        { Records: records.map((r) => toLambdaDynamoRecord(r, arn)) },
        lambdaContext(options.functionName),
      ),
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
  const shardOf = new Map<KinesisRecord, string>();
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
      for (const record of records) shardOf.set(record, shardId);
      return { records, next: page.NextShardIterator ? `${shardId}|${page.NextShardIterator}` : null };
    },
    sequenceOf: (record) => record.SequenceNumber ?? '',
  };
  const poller = new ShardPoller(
    source,
    async (records) => {
      const event = { Records: records.map((r) => toLambdaKinesisRecord(r, shardOf.get(r) ?? '', arn)) };
      const response = await handler(event, lambdaContext(options.functionName));
      for (const record of records) shardOf.delete(record);
      return response;
    },
    options,
  );
  poller.start();
  return poller;
}
