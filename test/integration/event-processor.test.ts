import { GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { analysisConfig, type AnalysisConfig, CachedAnalysisConfig } from '../../shared/analytics/config';
import { bucketOf, fineBlockOf, fineBucketOf, histogramQuantile } from '../../shared/analytics/histogram';
import {
  EventProcessor,
  type BatchStats,
  type ProcessorOptions,
  type StreamRecord,
} from '../../shared/analytics/processor';
import {
  SAFETY_DEDUP_HOURS,
  UNIT_STATE_REFRESH_DAYS,
  unitStateExpiresAt,
} from '../../shared/analytics/state';
import {
  AnalyticsStore,
  SAFETY_AGGREGATE_TTL_DAYS,
  type AggregateTransaction,
  type CommitOutcome,
} from '../../shared/analytics/store';
import { hourOf, hourStart, minuteOf } from '../../shared/analytics/contributions';
import { AGGREGATE_SHARDS, shardOf, shardsToRead } from '../../shared/analytics/shards';
import { ConfigReader } from '../../shared/config/repository';
import { keys, type ConfigKind } from '../../shared/db/keys';
import type { SwitchyardEvent } from '../../shared/events/schema';
import type { EventSink, SinkFailure, SinkResult } from '../../shared/events/sink';
import type { Experiment } from '../../shared/experiments/requests';
import type { Metric } from '../../shared/metrics/schema';
import { putConfigItem } from '../support/config-items';
import { startTestDynamo, type TestDynamo } from '../support/dynamo';
import { scaledMs } from '../../local/timing';
import { requireEngines } from '../support/engines';
import { generateEventLog, LOG_EXPERIMENTS, LOG_METRICS, LOG_NOW, prng, shuffle } from '../support/event-log';

const engines = requireEngines(['java']);
const HOUR = 3600_000;

const silent = { warn: () => undefined, error: () => undefined };

/* ---------- The reference: a straightforward recomputation from the raw log ---------- */

interface Sums {
  [field: string]: number;
}

/**
 * Every aggregate from the raw log, computed directly: dedupe by eventId, first exposure per unit and
 * experiment by (timestamp, eventId), each metric's value per unit from its events, error/latency events by
 * flag, variation and minute, and per unit by flag, variation and hour (the unit cells: u = 1, e, l, s and
 * their squares and products). Keys: `experiment/variant/metric` (or `$units`), `flag/variation/minute` and
 * `flag/variation/hour`.
 */
function recompute(log: readonly SwitchyardEvent[], config: AnalysisConfig, now: number): Map<string, Sums> {
  const unique = new Map<string, SwitchyardEvent>();
  for (const e of log) if (!unique.has(e.eventId)) unique.set(e.eventId, e);
  const byUnit = new Map<string, SwitchyardEvent[]>();
  for (const e of unique.values()) byUnit.set(e.unitId, [...(byUnit.get(e.unitId) ?? []), e]);
  const out = new Map<string, Sums>();
  const add = (key: string, fields: Sums) => {
    const into = out.get(key) ?? {};
    for (const [f, v] of Object.entries(fields)) into[f] = (into[f] ?? 0) + v;
    out.set(key, into);
  };
  for (const events of byUnit.values()) {
    const first = new Map<string, { variant: string; at: number; id: string }>();
    for (const e of events) {
      if (e.type !== 'exposure') continue;
      const at = Date.parse(e.timestamp);
      const current = first.get(e.experimentKey);
      if (current === undefined || at < current.at || (at === current.at && e.eventId < current.id)) {
        first.set(e.experimentKey, { variant: e.variant, at, id: e.eventId });
      }
    }
    for (const [experimentKey, { variant, at }] of first) {
      const experiment = config.experiments.get(experimentKey);
      if (experiment === undefined || experiment.status === 'ARCHIVED') continue;
      add(`${experimentKey}/${variant}/$units`, { n: 1 });
      for (const metricKey of experiment.metrics) {
        const metric = config.metrics.get(metricKey)!;
        const window = metric.window ? metric.window.hours * HOUR : Infinity;
        const named = events.filter((e) => e.type === 'track' && e.name === metric.eventName);
        const time = (e: SwitchyardEvent) => Date.parse(e.timestamp);
        const post = named.filter((e) => time(e) >= at && time(e) < at + window);
        const pre = named.filter((e) => time(e) < at && time(e) >= at - window);
        // Values beyond ±1e12 count as no value.
        const valueOf = (e: SwitchyardEvent) => {
          const v = metric.valueProperty ? e.properties?.[metric.valueProperty] : e.value;
          return typeof v === 'number' && Math.abs(v) <= 1e12 ? v : undefined;
        };
        const values = (list: SwitchyardEvent[]) => list.map(valueOf).filter((v) => v !== undefined);
        const sum = (list: number[]) => list.reduce((a, b) => a + b, 0);
        const key = `${experimentKey}/${variant}/${metricKey}`;
        if (metric.type === 'duration_p95') {
          const vs = values(post);
          if (vs.length === 0) continue;
          const fields: Sums = { n: 1, ev: vs.length, sv: sum(vs), svv: sum(vs.map((v) => v * v)) };
          for (const v of vs) fields[`h${bucketOf(v)}`] = (fields[`h${bucketOf(v)}`] ?? 0) + 1;
          add(key, fields);
          // The fine histogram, one item per doubling.
          for (const v of vs) add(`${key}#q${fineBlockOf(fineBucketOf(v))}`, { [`q${fineBucketOf(v)}`]: 1 });
          continue;
        }
        const value = (list: SwitchyardEvent[]): number | null => {
          switch (metric.type) {
            case 'conversion':
              return list.length > 0 ? 1 : 0;
            case 'count':
              return list.length;
            case 'sum':
              return sum(list.map((e) => valueOf(e) ?? 0));
            default: {
              const vs = values(list);
              return vs.length === 0 ? null : sum(vs) / vs.length;
            }
          }
        };
        const x = value(post);
        if (x === null) continue;
        const y = value(pre) ?? 0;
        add(key, { n: 1, sx: x, sxx: x * x, sy: y, syy: y * y, sxy: x * y });
        if (metric.type === 'mean') {
          const vs = values(post);
          const rn = sum(vs);
          add(key, { rn, rd: vs.length, rnn: rn * rn, rdd: vs.length ** 2, rnd: rn * vs.length });
        }
      }
    }
    const cells = new Map<string, { e: number; l: number; s: number }>();
    for (const e of events) {
      if (e.type !== 'error' && e.type !== 'latency') continue;
      if (e.flagKey === undefined || e.variation === undefined) continue;
      if (e.type === 'latency' && e.value > 1e12) continue;
      const at = Date.parse(e.timestamp);
      if (at < now - SAFETY_DEDUP_HOURS * HOUR) continue;
      const key = `${e.flagKey}/${e.variation}/${minuteOf(at)}`;
      const cellKey = `${e.flagKey}/${e.variation}/${hourOf(at)}`;
      const cell = cells.get(cellKey) ?? { e: 0, l: 0, s: 0 };
      cells.set(cellKey, cell);
      if (e.type === 'error') {
        add(key, { err: 1 });
        cell.e++;
      } else {
        add(key, { lat: 1, ls: e.value, lss: e.value * e.value, [`h${bucketOf(e.value)}`]: 1 });
        cell.l++;
        cell.s += e.value;
      }
    }
    for (const [key, { e, l, s }] of cells) {
      add(key, { u: 1, e, l, s, ee: e * e, ll: l * l, ss: s * s, el: e * l, sl: s * l });
    }
  }
  return out;
}

/** What the analytics table holds, in the reference's keys (aggregate items only). */
async function storedAggregates(dynamo: TestDynamo): Promise<Map<string, Sums>> {
  const out = new Map<string, Sums>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamo.doc.send(
      new ScanCommand({ TableName: dynamo.tableNames.analytics, ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) {
      const pk = item.pk as string;
      if (!pk.startsWith('AGG#')) continue;
      const [, kind, owner] = pk.split('#');
      // Unit cells (`$units#<variation>#<hour>`) keyed as the minutes are: `flag/variation/hour`.
      const sk = (item.sk as string).replace(/^\$units#/, '');
      const [variant, rest] = sk.split(/#(.*)/s);
      const key = `${owner}/${variant}/${rest}`;
      const fields: Sums = {};
      for (const [name, value] of Object.entries(item)) {
        if (typeof value === 'number' && name !== 'expiresAt') fields[name] = value;
      }
      // Shards (`AGG#EXP#<key>#<shard>`) and the unsharded partition add up, as the readers merge them.
      if (kind === 'EXP' || kind === 'FLAG') {
        const into = out.get(key) ?? {};
        for (const [name, value] of Object.entries(fields)) into[name] = (into[name] ?? 0) + value;
        out.set(key, into);
      }
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return out;
}

const COUNT_FIELDS = /^(n|ev|rd|rdd|err|lat|h\d+|q\d+|u|e|l|ee|ll|el)$/;

function expectEqualAggregates(actual: Map<string, Sums>, expected: Map<string, Sums>): void {
  const problems: string[] = [];
  for (const key of new Set([...actual.keys(), ...expected.keys()])) {
    const a = actual.get(key) ?? {};
    const e = expected.get(key) ?? {};
    for (const field of new Set([...Object.keys(a), ...Object.keys(e)])) {
      const got = a[field] ?? 0;
      const want = e[field] ?? 0;
      const exact =
        COUNT_FIELDS.test(field) || (field === 'sx' && Number.isInteger(want) && key.includes('/converted'));
      const ok = exact ? got === want : Math.abs(got - want) <= 1e-9 * Math.max(Math.abs(want), 1);
      if (!ok) problems.push(`${key} ${field}: stored ${got}, recomputed ${want}`);
    }
  }
  expect(problems).toEqual([]);
}

/* ---------- Delivery, as Lambda's Kinesis event source mapping does it ---------- */

/** The records of one shard: partition key = unit id, sequence numbers increasing. */
function toShards(events: readonly SwitchyardEvent[], shards: number): StreamRecord[][] {
  const out: StreamRecord[][] = Array.from({ length: shards }, () => []);
  const hash = (s: string) => [...s].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0, 7);
  for (const event of events) {
    const shard = out[hash(event.unitId) % shards]!;
    shard.push({
      id: String(shard.length + 1).padStart(20, '0'),
      data: Buffer.from(JSON.stringify(event)).toString('base64'),
    });
  }
  return out;
}

function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * One batch until it succeeds: after a partial failure Lambda delivers again from the first failed record
 * (so records after it that succeeded come again too); after a crash or a timeout, the whole batch.
 */
async function deliver(
  process: (records: StreamRecord[]) => Promise<ReadonlyMap<string, string>>,
  batch: StreamRecord[],
  log: { deliveries: number; partial: number; crashes: number },
): Promise<void> {
  let pending = batch;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 6) throw new Error('batch keeps failing');
    log.deliveries++;
    let failed: ReadonlyMap<string, string>;
    try {
      failed = await process(pending);
    } catch {
      log.crashes++;
      continue;
    }
    if (failed.size === 0) return;
    log.partial++;
    pending = pending.slice(pending.findIndex((r) => failed.has(r.id)));
  }
}

/** A store whose commits can be made to fail: before writing, after writing (the answer lost), or hang. */
class FlakyStore extends AnalyticsStore {
  commits = 0;
  failures: { at: number; mode: 'before' | 'after' | 'hang' }[] = [];
  private onHang: (() => void) | undefined;

  /** Rejects when a commit of the invocation that asked hangs: the harness gives up on it, as Lambda's timeout would. */
  hangs(): Promise<never> {
    return new Promise((_, reject) => {
      this.onHang = () => reject(new Error('timed out'));
    });
  }

  override async commit(tx: AggregateTransaction, now?: number): Promise<CommitOutcome> {
    const n = ++this.commits;
    const failure = this.failures.find((f) => f.at === n);
    if (failure?.mode === 'before') throw new Error(`injected failure before commit ${n}`);
    if (failure?.mode === 'hang') {
      this.onHang?.();
      return new Promise(() => undefined);
    }
    const outcome = await super.commit(tx, now);
    if (failure?.mode === 'after') throw new Error(`injected failure after commit ${n}`);
    return outcome;
  }
}

/** A sink that refuses some events the first time it sees them (for a while), and some for good. */
class FlakySink implements EventSink {
  private readonly seen = new Set<string>();
  indexed = 0;
  constructor(
    private readonly refuseShare: number,
    private readonly random: () => number,
    private readonly rejectShare = 0,
  ) {}

  index(events: SwitchyardEvent[]): Promise<SinkResult> {
    const failures: SinkFailure[] = [];
    for (const e of events) {
      const firstSight = !this.seen.has(e.eventId);
      this.seen.add(e.eventId);
      const draw = firstSight ? this.random() : 1;
      if (draw < this.rejectShare) {
        failures.push({ eventId: e.eventId, status: 400, reason: 'mapping', retryable: false });
      } else if (draw < this.rejectShare + this.refuseShare) {
        failures.push({ eventId: e.eventId, status: 429, reason: 'busy', retryable: true });
      } else this.indexed++;
    }
    return Promise.resolve({ failedEventIds: failures.map((f) => f.eventId), failures });
  }
}

const sumStats = (all: BatchStats[], field: keyof BatchStats) => all.reduce((a, s) => a + s[field], 0);

const SAFETY_FLAG = 'checkout-api';

/**
 * Error/latency events of one flag in bursts, so unit-hours hold many requests and errors: each unit active in
 * 1–3 hours of the last 47 (its variation chosen per hour among on, off and on-x, whose sort keys start like
 * on's), 1–12 events per active hour, a fifth of them errors; a few units also send events 49–50 h old (too
 * old to aggregate).
 */
function generateSafetyLog(seed: number, units = 150): SwitchyardEvent[] {
  const random = prng(seed);
  const events: SwitchyardEvent[] = [];
  const id = () => {
    const hex = (n: number) =>
      Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
    return `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  };
  for (let u = 0; u < units; u++) {
    const unitId = `burst-${u}`;
    const hours = [
      1 + Math.floor(random() * 46),
      1 + Math.floor(random() * 46),
      1 + Math.floor(random() * 46),
    ];
    const active = hours.slice(0, 1 + Math.floor(random() * 3));
    if (random() < 0.05) active.push(49);
    for (const hoursAgo of active) {
      const variation = ['on', 'off', 'on-x'][Math.floor(random() * 3)]!;
      const count = 1 + Math.floor(random() * 12);
      for (let i = 0; i < count; i++) {
        const at = LOG_NOW - hoursAgo * HOUR + Math.floor(random() * HOUR);
        const common = {
          eventId: id(),
          unitId,
          timestamp: new Date(at).toISOString(),
          flagKey: SAFETY_FLAG,
          variation,
        };
        events.push(
          random() < 0.2
            ? { ...common, type: 'error', name: 'api-error' }
            : {
                ...common,
                type: 'latency',
                name: 'api-latency',
                value: Math.round(Math.exp(3 + random() * 3) * 100) / 100,
              },
        );
      }
    }
  }
  return events;
}

engines.describe('event processor against DynamoDB Local', () => {
  let dynamo: TestDynamo;
  let config: CachedAnalysisConfig;

  /** A processor on DynamoDB Local's analytics table, with a sink that never fails and the log's clock. */
  const processorWith = (options: Pick<ProcessorOptions, 'config'> & Partial<ProcessorOptions>) =>
    new EventProcessor({
      store: new AnalyticsStore(dynamo.client, dynamo.tableNames.analytics),
      sink: new FlakySink(0, Math.random),
      logger: silent,
      now: () => LOG_NOW,
      ...options,
    });

  const putConfig = (kind: ConfigKind, item: Experiment | Metric) =>
    putConfigItem(dynamo.doc, dynamo.tableNames.config, kind, item);

  beforeAll(async () => {
    dynamo = await startTestDynamo();
    for (const e of LOG_EXPERIMENTS) await putConfig('experiment', e);
    for (const m of LOG_METRICS) await putConfig('metric', m);
    const experiments = new ConfigReader<Experiment>(dynamo.doc, dynamo.tableNames.config, 'experiment');
    const metrics = new ConfigReader<Metric>(dynamo.doc, dynamo.tableNames.config, 'metric');
    config = new CachedAnalysisConfig({
      listExperiments: () => experiments.list(),
      listMetrics: () => metrics.list(),
    });
  }, scaledMs(60_000));
  afterAll(async () => {
    await dynamo?.stop();
  });

  it(
    'replays a 10 000+ event log with duplicates, retries, a crash and reordering: aggregates equal a recomputation',
    async () => {
      const random = prng(7);
      const log = generateEventLog({ seed: 11 });
      expect(log.length).toBeGreaterThanOrEqual(10_000);
      // Duplicates (the SDK or the API retried): 5 %, most on the same shard, a few elsewhere (same unit!).
      const duplicates = log.filter(() => random() < 0.05);
      const stream = shuffle([...log, ...duplicates], random);
      const shards = toShards(stream, 4);
      // A few duplicates land on another shard too, so two invocations race on one unit (version conflicts).
      for (const event of duplicates.slice(0, 40)) {
        const other = shards[Math.floor(random() * 4)]!;
        other.splice(Math.floor(random() * other.length), 0, {
          id: `${other.length}`.padStart(20, '0') + 'x',
          data: Buffer.from(JSON.stringify(event)).toString('base64'),
        });
      }
      // Invalid records: skipped, never retried.
      shards[0]!.splice(10, 0, { id: 'bad-json', data: Buffer.from('{nope').toString('base64') });
      shards[1]!.splice(20, 0, {
        id: 'bad-event',
        data: Buffer.from(JSON.stringify({ type: 'track', name: 'x' })).toString('base64'),
      });

      const stats: BatchStats[] = [];
      const log2 = { deliveries: 0, partial: 0, crashes: 0 };
      const stores = shards.map(() => new FlakyStore(dynamo.client, dynamo.tableNames.analytics));
      stores[0]!.failures = [{ at: 3, mode: 'before' }]; // a batch fails half-way, then is retried
      stores[1]!.failures = [{ at: 5, mode: 'after' }]; // committed, but the answer was lost
      stores[2]!.failures = [{ at: 4, mode: 'hang' }]; // the invocation times out half-way
      // Shard 3's sink refuses 3 % of events for a while (retried), shard 2's 1 % for good (dropped from search only).
      const sinks = shards.map(
        (_, i) => new FlakySink(i === 3 ? 0.03 : 0, prng(100 + i), i === 2 ? 0.01 : 0),
      );
      const processors = shards.map(
        (_, i) =>
          new EventProcessor({
            store: stores[i]!,
            sink: sinks[i]!,
            config: () => config.get(),
            logger: silent,
            now: () => LOG_NOW,
            sleep: () => Promise.resolve(),
          }),
      );
      const run = async (i: number, records: StreamRecord[]) => {
        // The hanging commit stands for a Lambda timeout: the invocation is given up half-way, never resumed.
        const outcome = await Promise.race([processors[i]!.process(records), stores[i]!.hangs()]);
        stats.push(outcome.stats);
        return outcome.failed;
      };
      // One loop per shard, concurrently, as Lambda runs one invocation per shard: they share aggregate items.
      await Promise.all(
        shards.map(async (records, i) => {
          for (const batch of batches(records, 1000)) await deliver((r) => run(i, r), batch, log2);
        }),
      );

      expect(log2.partial).toBeGreaterThanOrEqual(3);
      expect(log2.crashes).toBe(1);
      // Two invalid records, counted again when a retry re-delivers them, never reported as failures.
      expect(sumStats(stats, 'invalid')).toBeGreaterThanOrEqual(2);
      expect(sumStats(stats, 'sinkFailures')).toBeGreaterThan(0);
      expect(sumStats(stats, 'sinkRefused')).toBeGreaterThan(0);
      const expected = recompute(stream, await config.get(), LOG_NOW);
      const stored = await storedAggregates(dynamo);
      expect(stored.size).toBeGreaterThan(50);
      // Unit cells among them (`new-api/on/<hour>`), holding more than one unit-hour each.
      const cells = [...stored].filter(([key]) => /T\d\dZ$/.test(key));
      expect(cells.length).toBeGreaterThan(20);
      expect(cells.some(([, fields]) => fields.u! > 1)).toBe(true);
      expectEqualAggregates(stored, expected);

      // Everything again, in one process without failures: nothing changes.
      const store = new AnalyticsStore(dynamo.client, dynamo.tableNames.analytics);
      const again = new EventProcessor({
        store,
        sink: new FlakySink(0, random),
        config: () => config.get(),
        logger: silent,
        now: () => LOG_NOW,
      });
      for (const records of shards) {
        for (const batch of batches(records, 1000)) {
          const { failed, stats: s } = await again.process(batch);
          expect(failed.size).toBe(0);
          expect(s.writes).toBe(0);
        }
      }
      expect(await storedAggregates(dynamo)).toEqual(stored);

      // The results reader sees the same numbers.
      const checkout = await store.readExperimentAggregates('checkout');
      const control = checkout.variants.control!;
      expect(control.units).toBe(expected.get('checkout/control/$units')!.n);
      const converted = control.metrics.converted!;
      expect(converted.conversions).toBe(expected.get('checkout/control/converted')!.sx);
      expect(converted.covariate.sumProducts).toBeCloseTo(
        expected.get('checkout/control/converted')!.sxy ?? 0,
        9,
      );
      const load = control.metrics['page-load']!;
      expect(Object.values(load.values.histogram).reduce((a, b) => a + b, 0)).toBe(load.values.count);
      expect(Object.values(load.values.fine!).reduce((a, b) => a + b, 0)).toBe(load.values.count);
      expect((await store.readExperimentAggregates('retired')).variants).toEqual({});
    },
    scaledMs(240_000),
  );

  it(
    'keeps per-unit-hour cells and minute aggregates equal to the raw log whatever the delivery, and reads ranges of them',
    async () => {
      const random = prng(23);
      const log = generateSafetyLog(29);
      // 10 % duplicated, shuffled over 2 shards; a few duplicates on the other shard too (races on one unit).
      const duplicates = log.filter(() => random() < 0.1);
      const shards = toShards(shuffle([...log, ...duplicates], random), 2);
      for (const event of duplicates.slice(0, 20)) {
        const other = shards[Math.floor(random() * 2)]!;
        other.splice(Math.floor(random() * other.length), 0, {
          id: `${other.length}`.padStart(20, '0') + 'x',
          data: Buffer.from(JSON.stringify(event)).toString('base64'),
        });
      }
      const stores = shards.map(() => new FlakyStore(dynamo.client, dynamo.tableNames.analytics));
      stores[0]!.failures = [{ at: 2, mode: 'after' }]; // committed, the answer lost: the batch comes again
      stores[1]!.failures = [{ at: 3, mode: 'before' }];
      const delivery = { deliveries: 0, partial: 0, crashes: 0 };
      await Promise.all(
        shards.map(async (records, i) => {
          const processor = processorWith({
            store: stores[i]!,
            config: () => config.get(),
            sleep: () => Promise.resolve(),
          });
          for (const batch of batches(records, 200)) {
            await deliver(async (r) => (await processor.process(r)).failed, batch, delivery);
          }
        }),
      );
      expect(delivery.partial).toBeGreaterThanOrEqual(2);

      const ofFlag = (all: Map<string, Sums>) =>
        new Map([...all].filter(([key]) => key.startsWith(`${SAFETY_FLAG}/`)));
      const expected = ofFlag(recompute(log, await config.get(), LOG_NOW));
      const cellKeys = [...expected.keys()].filter((key) => /T\d\dZ$/.test(key));
      // Bursts: many unit-hours per cell, several requests and errors per unit-hour.
      expect(cellKeys.length).toBeGreaterThan(60);
      expect(cellKeys.some((key) => expected.get(key)!.u! >= 3 && expected.get(key)!.ee! >= 4)).toBe(true);
      expectEqualAggregates(ofFlag(await storedAggregates(dynamo)), expected);

      // The read API: one variation's cells over a range of hours, summed (on-x and off left out).
      const store = new AnalyticsStore(dynamo.client, dynamo.tableNames.analytics);
      const total = (prefix: RegExp, from: string, to: string, field: string) =>
        [...expected]
          .filter(([key]) => prefix.test(key) && key.split('/')[2]! >= from && key.split('/')[2]! <= to)
          .reduce((sum, [, fields]) => sum + (fields[field] ?? 0), 0);
      const [fromHour, toHour] = [hourOf(LOG_NOW - 30 * HOUR), hourOf(LOG_NOW - 10 * HOUR)];
      const cellsOf = new RegExp(`^${SAFETY_FLAG}/on/[^/]*T\\d\\dZ$`);
      const sums = await store.readFlagUnitSums(SAFETY_FLAG, 'on', fromHour, toHour);
      const cell = (field: string) => total(cellsOf, fromHour, toHour, field);
      expect(sums.units).toBeGreaterThan(20);
      expect([sums.units, sums.errors, sums.requests, sums.errorSquares, sums.requestSquares]).toEqual([
        cell('u'),
        cell('e'),
        cell('l'),
        cell('ee'),
        cell('ll'),
      ]);
      expect(sums.errorRequestProducts).toBe(cell('el'));
      expect(sums.latencySum).toBeCloseTo(cell('s'), 6);
      expect(sums.latencySquares / cell('ss')).toBeCloseTo(1, 9);
      expect(sums.latencyRequestProducts / cell('sl')).toBeCloseTo(1, 9);
      // The whole 48 h of variation on: every unit-hour once.
      const all = await store.readFlagUnitSums(
        SAFETY_FLAG,
        'on',
        hourOf(LOG_NOW - 48 * HOUR),
        hourOf(LOG_NOW),
      );
      const hours = cellKeys.filter((key) => cellsOf.test(key)).map((key) => key.split('/')[2]!);
      expect(all.units).toBe(total(cellsOf, hours.sort()[0]!, hours.at(-1)!, 'u'));

      // Minutes: a 6-hour window, summed, with the histogram and its p95.
      const [fromMinute, toMinute] = [minuteOf(LOG_NOW - 20 * HOUR), minuteOf(LOG_NOW - 14 * HOUR - 60_000)];
      const minutesOf = new RegExp(`^${SAFETY_FLAG}/on/.*:\\d\\dZ$`);
      const minutes = await store.readFlagMinutes(SAFETY_FLAG, 'on', fromMinute, toMinute);
      const minute = (field: string) => total(minutesOf, fromMinute, toMinute, field);
      const histogram: Record<number, number> = {};
      for (const [key, fields] of expected) {
        const at = key.split('/')[2]!;
        if (!minutesOf.test(key) || at < fromMinute || at > toMinute) continue;
        for (const [field, count] of Object.entries(fields)) {
          if (/^h\d+$/.test(field))
            histogram[Number(field.slice(1))] = (histogram[Number(field.slice(1))] ?? 0) + count;
        }
      }
      expect(minutes.requests).toBeGreaterThan(20);
      expect([minutes.errors, minutes.requests, minutes.histogram]).toEqual([
        minute('err'),
        minute('lat'),
        histogram,
      ]);
      expect(minutes.latencySum).toBeCloseTo(minute('ls'), 6);
      expect(minutes.latencySquares / minute('lss')).toBeCloseTo(1, 9);
      expect(minutes.latencyP95).toBe(histogramQuantile(histogram, 0.95));
      // An hour with nothing in it, and arguments that would read the wrong items.
      const quiet = hourOf(LOG_NOW + 5 * HOUR);
      expect(await store.readFlagUnitSums(SAFETY_FLAG, 'on', quiet, quiet)).toMatchObject({
        units: 0,
        requests: 0,
      });
      expect(
        await store.readFlagMinutes(SAFETY_FLAG, 'on', minuteOf(LOG_NOW + HOUR), minuteOf(LOG_NOW + HOUR)),
      ).toEqual({
        errors: 0,
        requests: 0,
        latencySum: 0,
        latencySquares: 0,
        histogram: {},
        latencyP95: null,
      });
      await expect(store.readFlagUnitSums(SAFETY_FLAG, 'on', toHour, fromHour)).rejects.toThrow(RangeError);
      await expect(
        store.readFlagMinutes(SAFETY_FLAG, 'on', `${fromMinute.slice(0, 16)}:00Z`, toMinute),
      ).rejects.toThrow(RangeError);
      await expect(store.readFlagUnitSums(SAFETY_FLAG, 'on#', fromHour, toHour)).rejects.toThrow(RangeError);

      // A cell expires 14 days after its hour, in every shard that has it.
      const someHour = hours[0]!;
      const cellItems = await Promise.all(
        shardsToRead().map((shard) =>
          dynamo.doc.send(
            new GetCommand({
              TableName: dynamo.tableNames.analytics,
              Key: {
                pk: keys.analytics.flagSafety(SAFETY_FLAG, shard),
                sk: keys.analytics.flagUnitCell('on', someHour),
              },
            }),
          ),
        ),
      );
      const expiries = cellItems.flatMap((cell): unknown[] =>
        cell.Item === undefined ? [] : [cell.Item.expiresAt],
      );
      expect(expiries.length).toBeGreaterThan(0);
      for (const expiresAt of expiries) {
        expect(expiresAt).toBe(hourStart(someHour) / 1000 + SAFETY_AGGREGATE_TTL_DAYS * 86_400);
      }
    },
    scaledMs(120_000),
  );

  it('reads a unit again when another invocation changed it between read and write', async () => {
    const store = new FlakyStore(dynamo.client, dynamo.tableNames.analytics);
    const other = processorWith({ config: () => config.get() });
    const event = (name: string, eventId: string): StreamRecord => ({
      id: eventId,
      data: Buffer.from(
        JSON.stringify({
          eventId,
          type: 'track',
          name,
          unitId: 'raced',
          timestamp: new Date(LOG_NOW - HOUR).toISOString(),
        }),
      ),
    });
    const exposure: StreamRecord = {
      id: 'x',
      data: Buffer.from(
        JSON.stringify({
          eventId: '00000000-0000-4000-8000-0000000000e0',
          type: 'exposure',
          name: '$exposure',
          unitId: 'raced',
          timestamp: new Date(LOG_NOW - 2 * HOUR).toISOString(),
          experimentKey: 'checkout',
          variant: 'control',
        }),
      ),
    };
    await other.process([exposure]);
    // Just before this processor's first commit, another one adds a click to the same unit.
    let raced = false;
    const commit = store.commit.bind(store);
    store.commit = async (tx, now) => {
      if (!raced) {
        raced = true;
        await other.process([event('click', '00000000-0000-4000-8000-0000000000e1')]);
      }
      return commit(tx, now);
    };
    const processor = processorWith({ store, config: () => config.get(), sleep: () => Promise.resolve() });
    const { failed, stats } = await processor.process([
      event('click', '00000000-0000-4000-8000-0000000000e2'),
    ]);
    expect(failed.size).toBe(0);
    expect(stats.retries).toBe(1);
    const aggregates = await store.readExperimentAggregates('checkout');
    // Both clicks count for the unit (x = 2 in the 48 h window), whatever the race.
    const { states } = await store.readUnitStates(['raced']);
    expect(
      states
        .get('raced')!
        .events.map((e) => e.id)
        .sort(),
    ).toEqual(['00000000-0000-4000-8000-0000000000e1', '00000000-0000-4000-8000-0000000000e2']);
    expect(states.get('raced')!.applied['checkout/control/clicks']).toMatchObject({ n: 1, sx: 2 });
    expect(aggregates.variants.control!.metrics.clicks!.n).toBeGreaterThan(0);
  });

  it('writes a unit whose events touch more aggregates than a transaction holds in atomic steps', async () => {
    // 40 experiments × ($units + 3 metrics) = 160 aggregate items for one unit: more than 99.
    const experiments = Array.from({ length: 40 }, (_, i) => ({
      ...LOG_EXPERIMENTS[0]!,
      key: `wide-${i}`,
      primaryMetric: 'converted',
      secondaryMetrics: ['clicks-all', 'revenue'],
      guardrailMetrics: [],
    }));
    const processor = processorWith({ config: async () => analysisConfig(experiments, LOG_METRICS) });
    const at = (minutes: number) => new Date(LOG_NOW - 10 * HOUR + minutes * 60_000).toISOString();
    const events: SwitchyardEvent[] = [
      ...experiments.map((e, i) => ({
        eventId: randomUUID(),
        type: 'exposure' as const,
        name: '$exposure',
        unitId: 'wide',
        timestamp: at(i),
        experimentKey: e.key,
        variant: 'treatment',
      })),
      { eventId: randomUUID(), type: 'track', name: 'signup', unitId: 'wide', timestamp: at(100) },
      { eventId: randomUUID(), type: 'track', name: 'click', unitId: 'wide', timestamp: at(101) },
    ];
    const records = events.map((e, i) => ({ id: String(i), data: Buffer.from(JSON.stringify(e)) }));
    const first = await processor.process(records);
    expect(first.failed.size).toBe(0);
    expect(first.stats.transactions).toBeGreaterThanOrEqual(2);
    const store = new AnalyticsStore(dynamo.client, dynamo.tableNames.analytics);
    for (const e of experiments) {
      const { variants } = await store.readExperimentAggregates(e.key);
      expect(variants.treatment!.units).toBe(1);
      expect(variants.treatment!.metrics.converted).toMatchObject({ n: 1, sum: 1, conversions: 1 });
      expect(variants.treatment!.metrics['clicks-all']).toMatchObject({ n: 1, sum: 1 });
      expect(variants.treatment!.metrics.revenue).toMatchObject({ n: 1, sum: 0 });
    }
    expect((await processor.process(records)).stats.writes).toBe(0);
  });

  it(
    'writes grow with units and aggregates, not with events',
    async () => {
      // 200 units with 25 events each, all in one batch: one state write per unit, aggregates shared.
      const log = generateEventLog({ seed: 3, units: 200, eventsPerUnit: 12 });
      const batchOf = (prefix: string) =>
        log.map((e, i) => ({
          id: String(i),
          data: Buffer.from(JSON.stringify({ ...e, unitId: `${prefix}-${e.unitId}` })),
        }));
      // Unsharded (shards.ts; as before sharding): the units of a transaction share every aggregate item.
      const unsharded = processorWith({
        config: async () => analysisConfig(LOG_EXPERIMENTS, LOG_METRICS),
        aggregateShards: 1,
      });
      const { stats } = await unsharded.process(batchOf('w'));
      expect(stats.unitStateWrites).toBeLessThanOrEqual(200);
      expect(stats.writes).toBeLessThan(log.length / 3);
      // ~20 units per transaction before the fine histogram; its items (one per two doublings a duration
      // metric's values span, per variant) take a few of the 100 places.
      expect(stats.transactions).toBeLessThan(stats.unitStateWrites / 15);
      // Sharded, each shard's units write their own copy of the items: at most one more copy per shard, the
      // price of the shards (docs/architecture.md, "Hot experiments"), still not growing with events.
      const sharded = await processorWith({
        config: async () => analysisConfig(LOG_EXPERIMENTS, LOG_METRICS),
      }).process(batchOf('ws'));
      expect(sharded.stats.unitStateWrites).toBe(stats.unitStateWrites);
      const perCopy = stats.aggregateWrites / stats.transactions;
      expect(sharded.stats.aggregateWrites).toBeLessThanOrEqual(
        stats.aggregateWrites + AGGREGATE_SHARDS * perCopy,
      );
      expect(sharded.stats.transactions).toBeLessThanOrEqual(stats.transactions + AGGREGATE_SHARDS);
    },
    scaledMs(60_000),
  );

  const recordsOf = (events: SwitchyardEvent[]): StreamRecord[] =>
    events.map((e) => ({ id: e.eventId, data: Buffer.from(JSON.stringify(e)) }));
  const exposureOf = (unitId: string, experimentKey: string, variant = 'control'): SwitchyardEvent => ({
    eventId: randomUUID(),
    type: 'exposure',
    name: '$exposure',
    unitId,
    timestamp: new Date(LOG_NOW - 3 * HOUR).toISOString(),
    experimentKey,
    variant,
  });
  const purchaseOf = (unitId: string, extra: Partial<SwitchyardEvent>): SwitchyardEvent =>
    ({
      eventId: randomUUID(),
      type: 'track',
      name: 'purchase',
      unitId,
      timestamp: new Date(LOG_NOW - 2 * HOUR).toISOString(),
      ...extra,
    }) as SwitchyardEvent;

  it('counts a value past 1e12 as no value, and fails only the unit of a transaction DynamoDB refuses', async () => {
    // `huge` sums amounts: one unit's 1e12 puts 1e24 in Σx², after which a contribution of 1e-14 would need 39
    // significant digits — DynamoDB refuses it (ValidationException), whatever the retry.
    const huge = { ...LOG_EXPERIMENTS[0]!, key: 'huge', primaryMetric: 'revenue', secondaryMetrics: [] };
    const processor = processorWith({
      config: async () => analysisConfig([...LOG_EXPERIMENTS, huge], LOG_METRICS),
      sleep: () => Promise.resolve(),
    });
    const whale = await processor.process(
      recordsOf([exposureOf('whale', 'huge'), purchaseOf('whale', { properties: { amount: 1e12 } })]),
    );
    expect(whale.failed.size).toBe(0);

    // Every unit in the whale's aggregate shard: the dust must add to the item holding the whale's 1e24, and
    // share a transaction with the others (units of different shards never do).
    const inWhaleShard = (prefix: string) =>
      Array.from({ length: 5000 }, (_, i) => `${prefix}-${i}`).filter(
        (id) => shardOf(id) === shardOf('whale'),
      );
    const calm = inWhaleShard('calm').slice(0, 20);
    const [giant, dustUnit] = [inWhaleShard('giant')[0]!, inWhaleShard('dust')[0]!];
    const dust = [exposureOf(dustUnit, 'huge'), purchaseOf(dustUnit, { properties: { amount: 1e-7 } })];
    const events = [
      ...calm.flatMap((unitId, i) => [
        exposureOf(unitId, 'checkout', i % 2 === 0 ? 'control' : 'treatment'),
        purchaseOf(unitId, { value: 3, properties: { amount: 12.5 } }),
      ]),
      // 1e70 (value and amount): Σx² = 1e140, past what DynamoDB can hold; it used to refuse the whole batch.
      exposureOf(giant, 'checkout'),
      purchaseOf(giant, { value: 1e70, properties: { amount: 1e70 } }),
      ...dust,
    ];
    const store = new AnalyticsStore(dynamo.client, dynamo.tableNames.analytics);
    const before = (await store.readExperimentAggregates('checkout')).variants;
    const { failed, stats } = await processor.process(recordsOf(events));
    expect([...failed.keys()].sort()).toEqual(dust.map((e) => e.eventId).sort());
    expect(stats.refusedTransactions).toBe(1);
    expect(stats.unitStateWrites).toBe(21);

    // What the 10 calm control units and the giant added: the giant counts, its values do not.
    const after = (await store.readExperimentAggregates('checkout')).variants;
    const added = (variant: string, metric: string) => {
      const [a, b] = [after[variant]!.metrics[metric]!, before[variant]?.metrics[metric]];
      return { n: a.n - (b?.n ?? 0), sum: a.sum - (b?.sum ?? 0) };
    };
    expect(after.control!.units - (before.control?.units ?? 0)).toBe(11);
    expect(after.treatment!.units - (before.treatment?.units ?? 0)).toBe(10);
    expect(added('control', 'revenue').n).toBe(11);
    expect(added('control', 'revenue').sum).toBeCloseTo(125, 9);
    expect(added('control', 'order-value').n).toBe(10);
    const { states } = await store.readUnitStates([giant, dustUnit]);
    expect(states.get(dustUnit)!.version).toBe(0);
    expect(states.get(giant)!.events.map((e) => [e.value, e.props])).toEqual([[undefined, undefined]]);
    // The refused unit's records fail again on redelivery, alone; the rest is done.
    const again = await processor.process(recordsOf(dust));
    expect([...again.failed.keys()].sort()).toEqual(dust.map((e) => e.eventId).sort());
    expect((await store.readExperimentAggregates('huge')).variants.control!.units).toBe(1);
  });

  it('writes a unit the batch does not change again when its last write is a month old (its TTL follows activity)', async () => {
    const processor = processorWith({ config: async () => analysisConfig(LOG_EXPERIMENTS, LOG_METRICS) });
    const seen = exposureOf('daily', 'checkout');
    expect((await processor.process(recordsOf([seen]))).stats.unitStateWrites).toBe(1);
    const key = keys.analytics.unitState('daily');
    const expiresAt = async () =>
      (await dynamo.doc.send(new GetCommand({ TableName: dynamo.tableNames.analytics, Key: key }))).Item!
        .expiresAt as number;
    const fresh = await expiresAt();
    expect(fresh).toBeGreaterThanOrEqual(unitStateExpiresAt(Date.now()) - 60);

    // A repeat exposure a fortnight later: nothing to write.
    await dynamo.doc.send(
      new UpdateCommand({
        TableName: dynamo.tableNames.analytics,
        Key: key,
        UpdateExpression: 'SET expiresAt = :t',
        ExpressionAttributeValues: { ':t': fresh - 14 * 86_400 },
      }),
    );
    // A later exposure (a tie on the timestamp would be broken by eventId, and could become the first one).
    const later = new Date(Date.parse(seen.timestamp) + 1000).toISOString();
    const exposed = recordsOf([{ ...seen, eventId: randomUUID(), timestamp: later }]);
    expect((await processor.process(exposed)).stats.writes).toBe(0);
    // A month and a day after its last write: written again with a fresh TTL, aggregates untouched.
    await dynamo.doc.send(
      new UpdateCommand({
        TableName: dynamo.tableNames.analytics,
        Key: key,
        UpdateExpression: 'SET expiresAt = :t',
        ExpressionAttributeValues: { ':t': fresh - (UNIT_STATE_REFRESH_DAYS + 1) * 86_400 },
      }),
    );
    const store = new AnalyticsStore(dynamo.client, dynamo.tableNames.analytics);
    const before = await store.readExperimentAggregates('checkout');
    const { stats } = await processor.process(exposed);
    expect(stats).toMatchObject({ writes: 1, unitStateWrites: 1, aggregateWrites: 0, ttlRefreshes: 1 });
    expect(await expiresAt()).toBeGreaterThanOrEqual(fresh);
    expect(await store.readExperimentAggregates('checkout')).toEqual(before);
    expect((await processor.process(exposed)).stats.writes).toBe(0);
  });

  it(
    'counts the exposures of an experiment created after the processor loaded its configuration',
    async () => {
      const lists = {
        experiments: new ConfigReader<Experiment>(dynamo.doc, dynamo.tableNames.config, 'experiment'),
        metrics: new ConfigReader<Metric>(dynamo.doc, dynamo.tableNames.config, 'metric'),
      };
      const cached = new CachedAnalysisConfig({
        listExperiments: () => lists.experiments.list(),
        listMetrics: () => lists.metrics.list(),
      });
      const processor = processorWith({ config: (request) => cached.get(request) });
      expect((await processor.process(recordsOf([exposureOf('early', 'checkout')]))).failed.size).toBe(0);
      // Created and started just after that load (a fresh load waits a second after the last one).
      await putConfig('experiment', { ...LOG_EXPERIMENTS[0]!, key: 'launched' });
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const units = Array.from({ length: 2_000 }, (_, i) => `launched-${i}`);
      for (const batch of batches(units, 500)) {
        const { failed, stats } = await processor.process(
          recordsOf(batch.map((u) => exposureOf(u, 'launched'))),
        );
        expect(failed.size).toBe(0);
        expect(stats.ignored).toBe(0);
      }
      const { variants } = await new AnalyticsStore(
        dynamo.client,
        dynamo.tableNames.analytics,
      ).readExperimentAggregates('launched');
      expect(variants.control!.units).toBe(2_000);
    },
    scaledMs(60_000),
  );
});
