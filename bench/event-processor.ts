/**
 * The event processor's in-process path (decode, validate, merge into unit states, contributions, transactions)
 * for 10 000-event batches against DynamoDB Local: events per second, and the DynamoDB operations each batch
 * costs. Three kinds of batch: units never seen (empty states), the same units again with new events (states
 * read, conditional writes), and a replay of a batch already processed (idempotent: no writes at all).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTables, startDynamoLocal } from '../local/dynamodb';
import { freePort } from '../local/ports';
import { analysisConfig } from '../shared/analytics/config';
import { EventProcessor, type BatchStats, type StreamRecord } from '../shared/analytics/processor';
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

export async function benchEventProcessor(runs = 3): Promise<object> {
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
    return {
      description:
        'event processor in process against DynamoDB Local: 10 000-event batches (shuffled, 2 experiments × 5–7 metrics, error/latency events); DynamoDB write operations = items written by TransactWriteItems',
      newUnits: summary(scenarios.newUnits!),
      knownUnits: summary(scenarios.knownUnits!),
      replay: summary(scenarios.replay!),
    };
  } finally {
    client.destroy();
    await engine.stop();
  }
}
