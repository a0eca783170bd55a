import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { analysisConfig } from '../../shared/analytics/config';
import { hourOf, minuteOf } from '../../shared/analytics/contributions';
import { EventProcessor, type StreamRecord } from '../../shared/analytics/processor';
import { AnalyticsStore } from '../../shared/analytics/store';
import type { ConfigReader } from '../../shared/config/repository';
import type { SwitchyardEvent } from '../../shared/events/schema';
import { NoSink } from '../../shared/events/sink';
import type { Experiment } from '../../shared/experiments/requests';
import type { Metric } from '../../shared/metrics/schema';
import { ResultsService } from '../../shared/results/service';
import { scaledMs } from '../../local/timing';
import { MemoryBoundStore } from '../unit/results/memory-bounds';
import { startTestDynamo, type TestDynamo } from '../support/dynamo';
import { requireEngines } from '../support/engines';
import { generateEventLog, LOG_EXPERIMENTS, LOG_METRICS, LOG_NOW, prng, shuffle } from '../support/event-log';

const engines = requireEngines(['java']);
const HOUR = 3600_000;
const SHARDS = 8;

const reader = <T extends Experiment | Metric>(items: readonly T[]) =>
  ({
    get: async (key: string) => items.find((i) => i.key === key) ?? null,
    list: async () => items,
  }) as unknown as ConfigReader<T>;

const records = (events: readonly SwitchyardEvent[]): StreamRecord[] =>
  events.map((e, i) => ({ id: String(i).padStart(20, '0'), data: Buffer.from(JSON.stringify(e)) }));

/**
 * Every number of two JSON values, side by side: how many there are, how many differ at all, and the largest
 * relative difference; anything else (strings, booleans, nulls, shapes) must be equal.
 */
function compareFigures(
  a: unknown,
  b: unknown,
  path = '$',
  out = { figures: 0, differing: 0, maxRelative: 0, problems: [] as string[] },
) {
  if (typeof a === 'number' && typeof b === 'number') {
    out.figures++;
    if (!Object.is(a, b)) {
      out.differing++;
      const relative = Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-300);
      out.maxRelative = Math.max(out.maxRelative, relative);
      if (Number.isInteger(a) && Number.isInteger(b) && Math.abs(a) < 1e15) {
        out.problems.push(`${path}: ${a} ≠ ${b} (whole numbers)`);
      }
    }
  } else if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((x, i) => compareFigures(x, b[i], `${path}[${i}]`, out));
  } else if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) {
      compareFigures(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
        `${path}.${key}`,
        out,
      );
    }
  } else if (a !== b) out.problems.push(`${path}: ${JSON.stringify(a)} ≠ ${JSON.stringify(b)}`);
  return out;
}

engines.describe('aggregate shards', () => {
  const dynamos: TestDynamo[] = [];
  afterAll(async () => {
    for (const dynamo of dynamos) await dynamo.stop();
  });

  it(
    'gives the same results with sharding off (N = 1), on (N = 8), and on after an unsharded start',
    async () => {
      // 600 units of the shared log (both experiments, every metric type, the flag's error/latency events),
      // shuffled and delivered in 1 000-event batches, the way a Kinesis shard delivers about a second of them.
      const log = shuffle(generateEventLog({ seed: 31, units: 600 }), prng(5));
      const batches: SwitchyardEvent[][] = [];
      for (let i = 0; i < log.length; i += 1000) batches.push(log.slice(i, i + 1000));
      const config = analysisConfig(LOG_EXPERIMENTS, LOG_METRICS);

      /** A table set, and the event log processed into it: batch i with `shardsOf(i)` shards. */
      const run = async (shardsOf: (batch: number) => number) => {
        const dynamo = await startTestDynamo();
        dynamos.push(dynamo);
        const store = new AnalyticsStore(dynamo.client, dynamo.tableNames.analytics, undefined, SHARDS);
        for (const [i, batch] of batches.entries()) {
          const processor = new EventProcessor({
            store,
            sink: new NoSink(),
            config: () => Promise.resolve(config),
            logger: { warn: () => undefined, error: () => undefined },
            now: () => LOG_NOW,
            aggregateShards: shardsOf(i),
          });
          const { failed } = await processor.process(records(batch));
          expect(failed.size).toBe(0);
        }
        const results = new ResultsService(
          reader(LOG_EXPERIMENTS),
          reader(LOG_METRICS),
          store,
          new MemoryBoundStore(),
          () => new Date(LOG_NOW),
        );
        const partitions = new Set<string>();
        let start: Record<string, unknown> | undefined;
        do {
          const page = await dynamo.doc.send(
            new ScanCommand({ TableName: dynamo.tableNames.analytics, ExclusiveStartKey: start }),
          );
          for (const item of page.Items ?? []) {
            if ((item.pk as string).startsWith('AGG#')) partitions.add(item.pk as string);
          }
          start = page.LastEvaluatedKey;
        } while (start !== undefined);
        return { store, results, partitions };
      };
      const half = Math.floor(batches.length / 2);
      const unsharded = await run(() => 1);
      const sharded = await run(() => SHARDS);
      // Half the log accepted before sharding (the unsharded items stay), the rest with shards.
      const upgraded = await run((i) => (i < half ? 1 : SHARDS));

      // The layouts are what they say: one partition per experiment and flag, or one per shard (and both).
      expect([...unsharded.partitions].sort()).toEqual([
        'AGG#EXP#checkout',
        'AGG#EXP#search',
        'AGG#FLAG#new-api',
      ]);
      expect([...sharded.partitions].filter((pk) => pk.startsWith('AGG#EXP#checkout#'))).toHaveLength(SHARDS);
      expect(sharded.partitions.has('AGG#EXP#checkout')).toBe(false);
      expect(upgraded.partitions.has('AGG#EXP#checkout')).toBe(true);
      // A flag's minutes and unit cells are never sharded (the safety monitor reads them every minute).
      for (const layout of [sharded, upgraded]) {
        expect([...layout.partitions].filter((pk) => pk.startsWith('AGG#FLAG#'))).toEqual([
          'AGG#FLAG#new-api',
        ]);
      }

      const totals = { figures: 0, differing: 0, maxRelative: 0 };
      const expectSame = (a: unknown, b: unknown) => {
        const outcome = compareFigures(a, b);
        expect(outcome.problems).toEqual([]);
        // Sums of non-whole values may differ in their last digits only: each transaction rounds its summed
        // deltas to 1e-12 of their magnitude (store.ts, `quantize`), and which units share a transaction is not
        // the same with shards; the results promise 1e-9.
        expect(outcome.maxRelative).toBeLessThan(1e-9);
        totals.figures += outcome.figures;
        totals.differing += outcome.differing;
        totals.maxRelative = Math.max(totals.maxRelative, outcome.maxRelative);
      };
      for (const other of [sharded, upgraded]) {
        for (const experiment of ['checkout', 'search']) {
          // The aggregates themselves: every field, whole counts (units, conversions, histogram buckets) exactly.
          expectSame(
            await other.store.readExperimentAggregates(experiment),
            await unsharded.store.readExperimentAggregates(experiment),
          );
          // Every figure of the results, with and without CUPED.
          for (const cuped of [false, true]) {
            expectSame(
              await other.results.results(experiment, { cuped }),
              await unsharded.results.results(experiment, { cuped }),
            );
          }
        }
        // The safety monitor's reads of the flag: minutes and unit cells over the last day.
        for (const variation of ['on', 'off']) {
          const from = LOG_NOW - 30 * HOUR;
          const to = LOG_NOW + HOUR;
          expectSame(
            await other.store.readFlagMinutes('new-api', variation, minuteOf(from), minuteOf(to)),
            await unsharded.store.readFlagMinutes('new-api', variation, minuteOf(from), minuteOf(to)),
          );
          expectSame(
            await other.store.readFlagUnitSums('new-api', variation, hourOf(from), hourOf(to)),
            await unsharded.store.readFlagUnitSums('new-api', variation, hourOf(from), hourOf(to)),
          );
        }
      }
      // A meaningful comparison: thousands of figures, most of them bit for bit.
      expect(totals.figures).toBeGreaterThan(1000);
      expect(totals.differing / totals.figures).toBeLessThan(0.2);
    },
    scaledMs(240_000),
  );
});
