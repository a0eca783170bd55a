/**
 * The event processor's in-process path (decode, validate, merge into unit states, contributions, transactions)
 * for 10 000-event batches against DynamoDB Local: events per second, and the DynamoDB operations each batch
 * costs. Three kinds of batch: units never seen (empty states), the same units again with new events (states
 * read, conditional writes), and a replay of a batch already processed (idempotent: no writes at all).
 *
 * Then the hot partition (issue 17 goal 6): 1 000-event batches — about a second of one Kinesis shard, so a unit
 * has one or two events per batch — unsharded and with AGGREGATE_SHARDS shards, counting the writes and write
 * units each aggregate partition takes per event: at DynamoDB's 1 000 WCU/s per partition, the events per
 * second the hottest one allows (docs/architecture.md, "Hot experiments").
 */
import {
  DynamoDBClient,
  paginateScan,
  TransactWriteItemsCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { ensureTables, startDynamoLocal } from '../local/dynamodb';
import { freePort } from '../local/ports';
import { analysisConfig } from '../shared/analytics/config';
import { EventProcessor, type BatchStats, type StreamRecord } from '../shared/analytics/processor';
import { AGGREGATE_SHARDS } from '../shared/analytics/shards';
import { AnalyticsStore } from '../shared/analytics/store';
import { TABLE_IDS, type TableId } from '../shared/db/tables';
import { NoSink } from '../shared/events/sink';
import type { SwitchyardEvent } from '../shared/events/schema';
import {
  generateEventLog,
  LOG_EXPERIMENTS,
  LOG_METRICS,
  LOG_NOW,
  prng,
  shuffle,
} from '../test/support/event-log';
import { median, round } from './stats';

const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' };
const BATCH = 10_000;

/** A 10 000-event batch of units named `<prefix>-…`, shuffled, as Kinesis records. */
function batch(seed: number, prefix: string): { records: StreamRecord[]; units: number } {
  // Error/latency events from the last 5 minutes, as a live stream delivers them.
  const log = generateEventLog({ seed, units: 1000, safetyHours: 5 / 60 }).slice(0, BATCH);
  const events = shuffle(
    log.map((e): SwitchyardEvent => ({ ...e, unitId: `${prefix}-${e.unitId}` })),
    prng(seed),
  );
  return {
    records: events.map((e, i) => ({
      id: String(i).padStart(20, '0'),
      data: Buffer.from(JSON.stringify(e)),
    })),
    units: new Set(events.map((e) => e.unitId)).size,
  };
}

/** DynamoDB's size of an item: attribute names and values (numbers: about one byte per two digits, plus one). */
function itemBytes(item: Record<string, AttributeValue>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    bytes += Buffer.byteLength(name);
    if (value.S !== undefined) bytes += Buffer.byteLength(value.S);
    else if (value.N !== undefined) bytes += Math.ceil(value.N.replace(/[-.]|e.*$/i, '').length / 2) + 1;
    else if (value.B !== undefined) bytes += value.B.length;
  }
  return bytes;
}

/** Per partition key, the aggregate Updates that TransactWriteItems calls sent, by sort key. */
function countAggregateWrites(client: DynamoDBClient): Map<string, Map<string, number>> {
  const writes = new Map<string, Map<string, number>>();
  const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  client.send = ((command: unknown) => {
    if (command instanceof TransactWriteItemsCommand) {
      for (const item of command.input.TransactItems ?? []) {
        const pk = item.Update?.Key?.pk?.S;
        const sk = item.Update?.Key?.sk?.S;
        if (pk === undefined || sk === undefined || !pk.startsWith('AGG#')) continue;
        const bySk = writes.get(pk) ?? new Map<string, number>();
        bySk.set(sk, (bySk.get(sk) ?? 0) + 1);
        writes.set(pk, bySk);
      }
    }
    return send(command);
  }) as typeof client.send;
  return writes;
}

/**
 * The hot-partition figures of 10 batches of 1 000 events with `shards` aggregate shards, in a table of their
 * own: the hottest aggregate partition's writes and WCU per event (a transactional write costs 2 WCU per KB of
 * the item, measured at its final size), and the events per second that keep it under 1 000 WCU/s.
 */
async function hotPartitions(endpoint: string, shards: number, run: number) {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials });
  const tableNames = Object.fromEntries(TABLE_IDS.map((id) => [id, `hot${shards}-${run}-${id}`])) as Record<
    TableId,
    string
  >;
  try {
    await ensureTables(client, tableNames);
    const writes = countAggregateWrites(client);
    const config = analysisConfig(LOG_EXPERIMENTS, LOG_METRICS);
    const processor = new EventProcessor({
      store: new AnalyticsStore(client, tableNames.analytics, undefined, shards),
      sink: new NoSink(),
      config: () => Promise.resolve(config),
      logger: { warn: () => undefined, error: () => undefined },
      now: () => LOG_NOW,
      aggregateShards: shards,
    });
    const { records } = batch(1000 + run, `hot${run}`);
    let events = 0;
    let aggregateWrites = 0;
    let transactions = 0;
    let ms = 0;
    for (let i = 0; i < records.length; i += 1000) {
      const start = process.hrtime.bigint();
      const { failed, stats } = await processor.process(records.slice(i, i + 1000));
      ms += Number(process.hrtime.bigint() - start) / 1e6;
      if (failed.size > 0) throw new Error(`${failed.size} records failed`);
      events += stats.events;
      aggregateWrites += stats.aggregateWrites;
      transactions += stats.transactions;
    }
    const sizes = new Map<string, number>();
    for await (const page of paginateScan({ client }, { TableName: tableNames.analytics })) {
      for (const item of page.Items ?? []) sizes.set(`${item.pk!.S}|${item.sk!.S}`, itemBytes(item));
    }
    let hottest = { pk: '', writes: 0, wcu: 0 };
    for (const [pk, bySk] of writes) {
      let count = 0;
      let wcu = 0;
      for (const [sk, n] of bySk) {
        count += n;
        wcu += n * 2 * Math.max(1, Math.ceil((sizes.get(`${pk}|${sk}`) ?? 0) / 1024));
      }
      if (wcu > hottest.wcu) hottest = { pk, writes: count, wcu };
    }
    return {
      events,
      ms,
      transactions,
      aggregateWritesPerEvent: aggregateWrites / events,
      partitions: writes.size,
      hottestPartition: hottest.pk.replace(/#\d+$/, '#<shard>'),
      hottestWritesPerEvent: hottest.writes / events,
      hottestWcuPerEvent: hottest.wcu / events,
    };
  } finally {
    client.destroy();
  }
}

export async function benchEventProcessor(runs = 5): Promise<object> {
  const engine = await startDynamoLocal(
    (endpoint) => new DynamoDBClient({ endpoint, region: 'us-east-1', credentials }),
    { port: await freePort() },
  );
  const client = new DynamoDBClient({ endpoint: engine.endpoint, region: 'us-east-1', credentials });
  const tableNames = Object.fromEntries(TABLE_IDS.map((id) => [id, `bench-${id}`])) as Record<
    TableId,
    string
  >;
  try {
    await ensureTables(client, tableNames);
    const config = analysisConfig(LOG_EXPERIMENTS, LOG_METRICS);
    const processor = new EventProcessor({
      store: new AnalyticsStore(client, tableNames.analytics),
      sink: new NoSink(),
      config: () => Promise.resolve(config),
      logger: { warn: () => undefined, error: () => undefined },
      now: () => LOG_NOW,
    });
    const measure = async (records: StreamRecord[]) => {
      const start = process.hrtime.bigint();
      const { failed, stats } = await processor.process(records);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (failed.size > 0) throw new Error(`${failed.size} records failed`);
      return { ms, stats };
    };
    await measure(batch(1, 'warmup').records);
    const scenarios: Record<string, { ms: number; stats: BatchStats; units: number }[]> = {
      newUnits: [],
      knownUnits: [],
      replay: [],
    };
    for (let run = 0; run < runs; run++) {
      const first = batch(10 + run, `run${run}`);
      scenarios.newUnits!.push({ ...(await measure(first.records)), units: first.units });
      // Same unit ids, other events (another seed): the states exist now.
      const second = batch(100 + run, `run${run}`);
      scenarios.knownUnits!.push({ ...(await measure(second.records)), units: second.units });
      scenarios.replay!.push({ ...(await measure(first.records)), units: first.units });
    }
    const summary = (samples: { ms: number; stats: BatchStats; units: number }[]) => {
      const med = (f: (s: { ms: number; stats: BatchStats; units: number }) => number) =>
        round(median(samples.map(f)));
      return {
        runs: samples.length,
        eventsPerBatch: med((s) => s.stats.events),
        unitsPerBatch: med((s) => s.units),
        medianBatchMs: med((s) => s.ms),
        eventsPerSecond: Math.round(median(samples.map((s) => (s.stats.events / s.ms) * 1000))),
        dynamoDb: {
          writeOperations: med((s) => s.stats.writes),
          unitStateWrites: med((s) => s.stats.unitStateWrites),
          aggregateWrites: med((s) => s.stats.aggregateWrites),
          transactWriteItemsCalls: med((s) => s.stats.transactions),
          batchGetItemCalls: med((s) => s.stats.readRequests),
          retriedTransactions: med((s) => s.stats.retries),
          unitStateKiB: round(median(samples.map((s) => s.stats.unitStateBytes / 1024)), 1),
        },
      };
    };
    const hot = async (shards: number) => {
      const samples: Awaited<ReturnType<typeof hotPartitions>>[] = [];
      for (let run = 0; run < runs; run++) samples.push(await hotPartitions(engine.endpoint, shards, run));
      const med = (f: (s: (typeof samples)[number]) => number, digits = 3) =>
        round(median(samples.map(f)), digits);
      const wcuPerEvent = med((s) => s.hottestWcuPerEvent, 4);
      return {
        shards,
        runs: samples.length,
        eventsPerSecond: Math.round(median(samples.map((s) => (s.events / s.ms) * 1000))),
        transactionsPer1000Events: med((s) => (s.transactions / s.events) * 1000, 1),
        aggregateWritesPerEvent: med((s) => s.aggregateWritesPerEvent),
        aggregatePartitions: med((s) => s.partitions, 0),
        hottestPartition: samples[0]!.hottestPartition,
        hottestPartitionWritesPerEvent: med((s) => s.hottestWritesPerEvent, 4),
        hottestPartitionWcuPerEvent: wcuPerEvent,
        eventsPerSecondAt1000WcuPerPartition: Math.floor(1000 / wcuPerEvent),
      };
    };
    return {
      description:
        'event processor in process against DynamoDB Local: 10 000-event batches (shuffled, 2 experiments × 5–7 metrics, error/latency events); DynamoDB write operations = items written by TransactWriteItems',
      aggregateShards: AGGREGATE_SHARDS,
      newUnits: summary(scenarios.newUnits!),
      knownUnits: summary(scenarios.knownUnits!),
      replay: summary(scenarios.replay!),
      hotPartition: {
        description:
          '10 000 events (1 000 units) in 1 000-event batches, as one Kinesis shard delivers about a second of them: the aggregate partition that takes the most write units per event (transactional: 2 WCU per KB of the item), and the events per second that keep it under DynamoDB’s 1 000 WCU/s per partition',
        unsharded: await hot(1),
        sharded: await hot(AGGREGATE_SHARDS),
      },
    };
  } finally {
    client.destroy();
    await engine.stop();
  }
}
