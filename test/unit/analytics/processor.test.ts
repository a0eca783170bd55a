import {
  analysisConfig,
  CachedAnalysisConfig,
  type ConfigLists,
  type ConfigRequest,
} from '../../../shared/analytics/config';
import { hourOf, minuteOf } from '../../../shared/analytics/contributions';
import { bucketOf } from '../../../shared/analytics/histogram';
import { EventProcessor, type StreamRecord } from '../../../shared/analytics/processor';
import { shardOf } from '../../../shared/analytics/shards';
import {
  decodeState,
  emptyUnitState,
  encodeState,
  UNIT_STATE_REFRESH_DAYS,
  unitStateExpiresAt,
  type UnitState,
} from '../../../shared/analytics/state';
import {
  TransactionRefusedError,
  type AggregateTransaction,
  type AnalyticsStore,
  type CommitOutcome,
} from '../../../shared/analytics/store';
import type { SwitchyardEvent } from '../../../shared/events/schema';
import type { EventSink, SinkResult } from '../../../shared/events/sink';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const DAY = 86_400;
let seq = 0;
const uuid = () => `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`;

type ExperimentLike = Awaited<ReturnType<ConfigLists['listExperiments']>>[number];
type MetricLike = Awaited<ReturnType<ConfigLists['listMetrics']>>[number];

const experiment = (key: string): ExperimentLike => ({
  key,
  status: 'ACTIVE',
  variants: [
    { key: 'control', name: 'c', weight: 5000, isControl: true },
    { key: 'treatment', name: 't', weight: 5000, isControl: false },
  ],
  primaryMetric: 'converted',
  secondaryMetrics: [],
  guardrailMetrics: [],
});
const converted: MetricLike = { key: 'converted', type: 'conversion', eventName: 'signup' };

const exposure = (unitId: string, experimentKey = 'checkout', eventId = uuid()): SwitchyardEvent => ({
  eventId,
  type: 'exposure',
  name: '$exposure',
  unitId,
  timestamp: new Date(T0).toISOString(),
  experimentKey,
  variant: 'control',
});
const records = (events: SwitchyardEvent[]): StreamRecord[] =>
  events.map((e) => ({ id: e.eventId, data: Buffer.from(JSON.stringify(e)) }));

type Sums = Record<string, number>;

/** Adds field deltas (or plain numbers) into a map of sums. */
function addInto(into: Map<string, Sums>, key: string, fields: Iterable<[string, number]>): void {
  const sums = into.get(key) ?? {};
  for (const [field, value] of fields) sums[field] = (sums[field] ?? 0) + value;
  into.set(key, sums);
}

/** The analytics table in memory: unit states with versions and TTLs, aggregates summed as numbers. */
class MemoryStore implements Pick<AnalyticsStore, 'readUnitStates' | 'commit'> {
  readonly states = new Map<string, UnitState>();
  readonly aggregates = new Map<string, Sums>();
  /** Safety aggregates by safetyKey (flag/variation/minute) and unit cells by unitCellKey (flag/variation/hour). */
  readonly minutes = new Map<string, Sums>();
  readonly cells = new Map<string, Sums>();
  readonly commits: AggregateTransaction[] = [];
  /** Transactions containing one of these units are refused as invalid, as DynamoDB refuses a 39-digit sum. */
  readonly poisoned = new Set<string>();

  readUnitStates(unitIds: readonly string[]): ReturnType<AnalyticsStore['readUnitStates']> {
    const states = new Map(unitIds.map((id) => [id, this.states.get(id) ?? emptyUnitState(id)]));
    return Promise.resolve({ states, requests: 1 });
  }

  commit(tx: AggregateTransaction): Promise<CommitOutcome> {
    if (tx.units.some((u) => this.poisoned.has(u.unitId))) {
      return Promise.reject(new TransactionRefusedError('DynamoDB only supports precision up to 38 digits'));
    }
    const stale = tx.units.filter((u) => (this.states.get(u.unitId)?.version ?? 0) !== u.expectedVersion);
    if (stale.length > 0) {
      return Promise.resolve({ ok: false, staleUnits: stale.map((u) => u.unitId), conflict: false });
    }
    this.commits.push(tx);
    for (const unit of tx.units) {
      const state = decodeState(unit.unitId, unit.expectedVersion + 1, unit.body);
      this.states.set(unit.unitId, { ...state, expiresAt: unitStateExpiresAt(Date.now()) });
    }
    const deltas = (delta: AggregateTransaction['safety'] extends ReadonlyMap<string, infer D> ? D : never) =>
      [...delta].map(([field, { delta: d }]): [string, number] => [field, d]);
    for (const [key, delta] of tx.experiments) addInto(this.aggregates, key, deltas(delta));
    for (const [key, delta] of tx.safety) addInto(this.minutes, key, deltas(delta));
    for (const [key, delta] of tx.unitCells) addInto(this.cells, key, deltas(delta));
    return Promise.resolve({
      ok: true,
      items: tx.units.length + tx.experiments.size + tx.safety.size + tx.unitCells.size,
    });
  }
}

class FixedSink implements EventSink {
  constructor(private readonly result: SinkResult = { failedEventIds: [], failures: [] }) {}
  index(): Promise<SinkResult> {
    return Promise.resolve(this.result);
  }
}

const quiet = () => ({
  warn: jest.fn<void, [string, ...unknown[]]>(),
  error: jest.fn<void, [string, ...unknown[]]>(),
});
const checkoutConfig = () => {
  const config = analysisConfig([experiment('checkout')], [converted]);
  return () => Promise.resolve(config);
};

describe('event processor: commit order', () => {
  it('commits a batch with the arms of an experiment in proportion, so a read part-way sees no difference the processor made', async () => {
    const store = new MemoryStore();
    const processor = new EventProcessor({
      store,
      sink: new FixedSink(),
      config: checkoutConfig(),
      logger: quiet(),
      now: () => T0,
    });
    // 600 units in control, 300 in treatment, all exposed; then every one of them converts, in one batch.
    const arms = (i: number) => (i % 3 === 2 ? 'treatment' : 'control');
    const units = Array.from({ length: 900 }, (_, i) => ({ unitId: `u${i}`, variant: arms(i) }));
    await processor.process(records(units.map((u) => ({ ...exposure(u.unitId), variant: u.variant }))));
    store.commits.length = 0;
    const signups = units.map(({ unitId }): SwitchyardEvent => ({
      eventId: uuid(),
      type: 'track',
      name: 'signup',
      unitId,
      timestamp: new Date(T0 + 60_000).toISOString(),
    }));
    const { failed } = await processor.process(records(signups));
    expect(failed.size).toBe(0);
    expect(store.commits.length).toBeGreaterThan(5);
    // After each transaction, the share of each arm's conversions counted so far: equal, up to one transaction.
    const counted = { control: 0, treatment: 0 };
    for (const tx of store.commits) {
      for (const [key, delta] of tx.experiments) {
        const [, variant, metric] = key.split('/');
        if (metric === 'converted')
          counted[variant as 'control' | 'treatment'] += delta.get('sx')?.delta ?? 0;
      }
      const gap = Math.abs(counted.control / 600 - counted.treatment / 300);
      expect(gap).toBeLessThanOrEqual(100 / 300);
    }
    expect(counted).toEqual({ control: 600, treatment: 300 });
  });
});

describe('event processor: configuration', () => {
  it('asks for a fresh configuration when a batch has events the one it got does not know, and uses it', async () => {
    // The source as a cache sees it: the experiment exists (it was just created and started), but the copy
    // in hand predates it; only a fresh load has it.
    const stale = analysisConfig([experiment('checkout')], [converted]);
    const current = analysisConfig([experiment('checkout'), experiment('just-started')], [converted]);
    const requests: (ConfigRequest | undefined)[] = [];
    const store = new MemoryStore();
    const processor = new EventProcessor({
      store,
      sink: new FixedSink(),
      config: (request) => {
        requests.push(request);
        return Promise.resolve(request?.current === true ? current : stale);
      },
      logger: quiet(),
      now: () => T0,
    });

    const exposures = Array.from({ length: 50 }, (_, i) => exposure(`u${i}`, 'just-started'));
    const { stats, failed } = await processor.process(records([exposure('a'), ...exposures]));
    expect(failed.size).toBe(0);
    expect(stats.ignored).toBe(0);
    expect(store.aggregates.get('just-started/control/$units')).toEqual({ n: 50 });
    // Exposures to an unknown experiment: only a copy loaded after the batch arrived will do.
    expect(requests).toEqual([undefined, { current: true }]);

    // Nothing unknown: no fresh copy asked for. Error events without a flag: no configuration would use them.
    requests.length = 0;
    const error: SwitchyardEvent = {
      eventId: uuid(),
      type: 'error',
      name: 'boom',
      unitId: 'f',
      timestamp: new Date(T0).toISOString(),
    };
    await processor.process(records([exposure('b'), error]));
    expect(requests).toEqual([undefined]);
    // A track event no metric reads (yet) might be a metric's created since: asked for.
    requests.length = 0;
    const view: SwitchyardEvent = { ...error, eventId: uuid(), type: 'track', name: 'page_view' };
    expect((await processor.process(records([view]))).stats.ignored).toBe(1);
    expect(requests).toEqual([undefined, { fresh: true }]);
  });

  it('reloads a cached configuration when asked for a fresh one, at most once a second', async () => {
    const experiments = [experiment('checkout')];
    const source = {
      listExperiments: jest.fn(() => Promise.resolve([...experiments])),
      listMetrics: jest.fn(() => Promise.resolve([converted])),
    };
    let clock = 1_000_000;
    const config = new CachedAnalysisConfig(source, { now: () => clock });
    expect((await config.get()).experiments.has('just-started')).toBe(false);
    experiments.push(experiment('just-started'));
    clock += 500;
    expect((await config.get({ fresh: true })).experiments.has('just-started')).toBe(false);
    expect((await config.get()).experiments.has('just-started')).toBe(false);
    clock += 500;
    expect((await config.get({ fresh: true })).experiments.has('just-started')).toBe(true);
    expect(source.listExperiments).toHaveBeenCalledTimes(2);
    clock += 999;
    await config.get({ fresh: true });
    expect(source.listExperiments).toHaveBeenCalledTimes(2);
    // Not asked fresh: the copy lives 30 s.
    clock += 28_000;
    await config.get();
    expect(source.listExperiments).toHaveBeenCalledTimes(2);
    clock += 2_000;
    await config.get();
    expect(source.listExperiments).toHaveBeenCalledTimes(3);
  });

  it('gives exposures a copy loaded after they asked: joins such a load, waits for the next slot, never a stale copy', async () => {
    const experiments = [experiment('checkout')];
    let release: () => void = () => undefined;
    let gate: Promise<void> | undefined;
    const source = {
      listExperiments: jest.fn(async () => {
        const snapshot = [...experiments];
        if (gate !== undefined) await gate;
        return snapshot;
      }),
      listMetrics: jest.fn(() => Promise.resolve([converted])),
    };
    let clock = 1_000_000;
    const slept: number[] = [];
    const config = new CachedAnalysisConfig(source, {
      now: () => clock,
      sleep: async (ms) => {
        slept.push(ms);
        clock += ms;
      },
    });
    await config.get();
    // Shard 1 asks fresh (a page view): a load starts, and holds on the table.
    gate = new Promise((resolve) => (release = resolve));
    clock += 1_000;
    const shard1 = config.get({ fresh: true });
    // The experiment is started while that load is under way; shard 2's exposures to it arrive.
    experiments.push(experiment('just-started'));
    clock += 100;
    const shard2 = config.get({ current: true });
    const shard3 = config.get({ current: true });
    gate = undefined;
    release();
    expect((await shard1).experiments.has('just-started')).toBe(false);
    // The load under way began before they asked: they wait for the next slot, share one load, and see it.
    expect((await shard2).experiments.has('just-started')).toBe(true);
    expect((await shard3).experiments.has('just-started')).toBe(true);
    expect(source.listExperiments).toHaveBeenCalledTimes(3);
    expect(slept).toEqual([900]);
    // A copy loaded after the request is enough: no more loads.
    expect((await config.get()).experiments.has('just-started')).toBe(true);
    expect(source.listExperiments).toHaveBeenCalledTimes(3);
  });

  it('fails a batch rather than drop its exposures when the reload they need fails', async () => {
    let fail = false;
    const source = {
      listExperiments: jest.fn(() =>
        fail ? Promise.reject(new Error('throttled')) : Promise.resolve([experiment('checkout')]),
      ),
      listMetrics: () => Promise.resolve([converted]),
    };
    let clock = 0;
    const config = new CachedAnalysisConfig(source, {
      now: () => clock,
      sleep: async (ms) => void (clock += ms),
    });
    const first = await config.get();
    fail = true;
    clock += 5;
    await expect(config.get({ current: true })).rejects.toThrow('could not be reloaded');
    // Other batches keep the copy they had.
    expect(await config.get({ fresh: true })).toBe(first);
  });

  it('keeps the cached copy when a fresh reload fails, and does not hammer the source', async () => {
    let fail = false;
    const source = {
      listExperiments: jest.fn(() =>
        fail ? Promise.reject(new Error('throttled')) : Promise.resolve([experiment('checkout')]),
      ),
      listMetrics: () => Promise.resolve([converted]),
    };
    let clock = 0;
    const config = new CachedAnalysisConfig(source, { now: () => clock });
    const first = await config.get();
    fail = true;
    clock += 1_000;
    expect(await config.get({ fresh: true })).toBe(first);
    clock += 10;
    expect(await config.get({ fresh: true })).toBe(first);
    expect(source.listExperiments).toHaveBeenCalledTimes(2);
    // Without `fresh`, the copy lives its 30 s.
    fail = false;
    clock += 1_000;
    expect(await config.get()).toBe(first);
    expect(source.listExperiments).toHaveBeenCalledTimes(2);
  });
});

describe('event processor: search sink failures', () => {
  it('retries only the events the sink may still index; logs the others without their data and aggregates them', async () => {
    const [retryable, permanent, unexplained, fine] = ['r', 'p', 'u', 'f'].map((unit) => exposure(unit));
    const store = new MemoryStore();
    const logger = quiet();
    const processor = new EventProcessor({
      store,
      sink: new FixedSink({
        failedEventIds: [retryable!.eventId, permanent!.eventId, unexplained!.eventId],
        failures: [
          {
            eventId: retryable!.eventId,
            status: 429,
            type: 'es_rejected_execution_exception',
            reason: 'busy',
            retryable: true,
          },
          {
            eventId: permanent!.eventId,
            status: 400,
            type: 'mapper_parsing_exception',
            reason:
              "failed to parse field [properties.email] of type [long]. Preview of field's value: 'jane@example.com'",
            retryable: false,
          },
        ],
      }),
      config: checkoutConfig(),
      logger,
      now: () => T0,
    });
    const { failed, stats } = await processor.process(records([retryable!, permanent!, unexplained!, fine!]));
    expect([...failed.keys()].sort()).toEqual([retryable!.eventId, unexplained!.eventId].sort());
    expect(stats.sinkFailures).toBe(2);
    expect(stats.sinkRefused).toBe(1);
    // Aggregates are unaffected: all four units count.
    expect(store.aggregates.get('checkout/control/$units')).toEqual({ n: 4 });
    const logged = logger.error.mock.calls.find(([message]) => message.includes('for good'));
    expect(logged).toBeDefined();
    expect(logged![1]).toEqual({
      count: 1,
      events: [
        {
          eventId: permanent!.eventId,
          status: 400,
          type: 'mapper_parsing_exception',
          reason:
            "failed to parse field [properties.email] of type [long]. Preview of field's value: (omitted)",
        },
      ],
    });
    expect(JSON.stringify(logger.error.mock.calls)).not.toContain('jane@example.com');
  });
});

describe('event processor: unit state TTL', () => {
  it('writes an unchanged unit again with a fresh TTL once its last write is a month old, and only then', async () => {
    for (const lastWriteDaysAgo of [UNIT_STATE_REFRESH_DAYS + 1, UNIT_STATE_REFRESH_DAYS - 1]) {
      const store = new MemoryStore();
      const processor = new EventProcessor({
        store,
        sink: new FixedSink(),
        config: checkoutConfig(),
        logger: quiet(),
        now: () => T0,
      });
      const seen = exposure('daily');
      await processor.process(records([seen]));
      const written = store.states.get('daily')!;
      const expiresAt = unitStateExpiresAt(Date.now()) - lastWriteDaysAgo * DAY;
      store.states.set('daily', { ...written, expiresAt });

      // The same exposure again (the unit is exposed daily): nothing changes.
      const { stats, failed } = await processor.process(
        records([exposure('daily', 'checkout', seen.eventId)]),
      );
      expect(failed.size).toBe(0);
      if (lastWriteDaysAgo > UNIT_STATE_REFRESH_DAYS) {
        expect(stats).toMatchObject({ writes: 1, unitStateWrites: 1, aggregateWrites: 0, ttlRefreshes: 1 });
        const refreshed = store.states.get('daily')!;
        expect(refreshed.expiresAt).toBeGreaterThanOrEqual(unitStateExpiresAt(Date.now()) - 5);
        expect(refreshed).toEqual({
          ...written,
          version: written.version + 1,
          expiresAt: refreshed.expiresAt,
        });
        // Refreshed: the next touch writes nothing.
        expect((await processor.process(records([seen]))).stats.writes).toBe(0);
      } else {
        expect(stats).toMatchObject({ writes: 0, ttlRefreshes: 0 });
        expect(store.states.get('daily')!.version).toBe(written.version);
      }
    }
  });
});

describe('event processor: refused transactions', () => {
  it('tries the units of a transaction DynamoDB refused one by one, and fails only those refused alone', async () => {
    const store = new MemoryStore();
    store.poisoned.add('poison');
    const processor = new EventProcessor({
      store,
      sink: new FixedSink(),
      config: checkoutConfig(),
      logger: quiet(),
      now: () => T0,
    });
    // Units of one aggregate shard, so they share a transaction (units of different shards never do).
    const [a, b, c] = Array.from({ length: 1000 }, (_, i) => `u${i}`).filter(
      (id) => shardOf(id) === shardOf('poison'),
    );
    const events = [a!, b!, 'poison', c!].map((unit) => exposure(unit));
    const { failed, stats } = await processor.process(records(events));
    expect([...failed]).toEqual([[events[2]!.eventId, 'aggregate transaction refused']]);
    expect(stats.refusedTransactions).toBe(1);
    expect(stats.unitStateWrites).toBe(3);
    expect(store.aggregates.get('checkout/control/$units')).toEqual({ n: 3 });
  });
});

describe('event processor: unit cells', () => {
  const H = Date.parse('2026-03-01T10:00:00.000Z');
  const MINUTE = 60_000;
  const safety = (
    unitId: string,
    type: 'error' | 'latency',
    at: number,
    variation = 'on',
    value = 100,
  ): SwitchyardEvent =>
    type === 'error'
      ? {
          eventId: uuid(),
          type,
          name: 'api',
          unitId,
          timestamp: new Date(at).toISOString(),
          flagKey: 'api',
          variation,
        }
      : {
          eventId: uuid(),
          type,
          name: 'api',
          unitId,
          timestamp: new Date(at).toISOString(),
          flagKey: 'api',
          variation,
          value,
        };
  const processorOn = (store: MemoryStore, options: { stateByteBudget?: number } = {}) =>
    new EventProcessor({
      store,
      sink: new FixedSink(),
      config: checkoutConfig(),
      logger: quiet(),
      now: () => T0,
      ...options,
    });

  /** The cells and minute aggregates straight from the raw events: dedupe by id, group, sum. */
  const recompute = (events: readonly SwitchyardEvent[]) => {
    const unique = new Map(events.map((e) => [e.eventId, e]));
    const perUnit = new Map<string, { e: number; l: number; s: number }>();
    const minutes = new Map<string, Sums>();
    for (const event of unique.values()) {
      if ((event.type !== 'error' && event.type !== 'latency') || event.variation === undefined) continue;
      const at = Date.parse(event.timestamp);
      const unitKey = `${event.flagKey}/${event.variation}/${hourOf(at)}|${event.unitId}`;
      const unit = perUnit.get(unitKey) ?? { e: 0, l: 0, s: 0 };
      const minute = `${event.flagKey}/${event.variation}/${minuteOf(at)}`;
      if (event.type === 'error') {
        unit.e++;
        addInto(minutes, minute, [['err', 1]]);
      } else {
        unit.l++;
        unit.s += event.value;
        addInto(minutes, minute, [
          ['lat', 1],
          ['ls', event.value],
          ['lss', event.value ** 2],
          [`h${bucketOf(event.value)}`, 1],
        ]);
      }
      perUnit.set(unitKey, unit);
    }
    const cells = new Map<string, Sums>();
    for (const [unitKey, { e, l, s }] of perUnit) {
      const fields: [string, number][] = [
        ['u', 1],
        ['e', e],
        ['l', l],
        ['s', s],
        ['ee', e * e],
        ['ll', l * l],
        ['ss', s * s],
        ['el', e * l],
        ['sl', s * l],
      ];
      addInto(cells, unitKey.split('|')[0]!, fields);
    }
    return { cells, minutes };
  };

  const expectSums = (actual: Map<string, Sums>, expected: Map<string, Sums>) => {
    const problems: string[] = [];
    for (const key of new Set([...actual.keys(), ...expected.keys()])) {
      const [a, e] = [actual.get(key) ?? {}, expected.get(key) ?? {}];
      for (const field of new Set([...Object.keys(a), ...Object.keys(e)])) {
        const [got, want] = [a[field] ?? 0, e[field] ?? 0];
        if (Math.abs(got - want) > 1e-9 * Math.max(1, Math.abs(want))) {
          problems.push(`${key} ${field}: ${got} ≠ ${want}`);
        }
      }
    }
    expect(problems).toEqual([]);
  };

  it('sums each unit’s e, l, s and their squares and products per flag, variation and hour', async () => {
    const store = new MemoryStore();
    const events = [
      // a: 1 error and 2 requests (100 + 300 ms) in 10:00–11:00, 1 request at 11:05.
      safety('a', 'error', H + 5 * MINUTE),
      safety('a', 'latency', H + 6 * MINUTE, 'on', 100),
      safety('a', 'latency', H + 59 * MINUTE, 'on', 300),
      safety('a', 'latency', H + 65 * MINUTE, 'on', 40),
      // b: 3 requests of 10 ms in 10:00–11:00, and one of variation off.
      safety('b', 'latency', H + 1, 'on', 10),
      safety('b', 'latency', H + 2, 'on', 10),
      safety('b', 'latency', H + 3, 'on', 10),
      safety('b', 'latency', H + 4, 'off', 70),
    ];
    const { failed } = await processorOn(store).process(records(events));
    expect(failed.size).toBe(0);
    expect(store.cells).toEqual(
      new Map([
        // a (e 1, l 2, s 400) + b (e 0, l 3, s 30)
        ['api/on/2026-03-01T10Z', { u: 2, e: 1, l: 5, s: 430, ee: 1, ll: 13, ss: 160_900, el: 2, sl: 890 }],
        ['api/on/2026-03-01T11Z', { u: 1, l: 1, s: 40, ll: 1, ss: 1600, sl: 40 }],
        ['api/off/2026-03-01T10Z', { u: 1, l: 1, s: 70, ll: 1, ss: 4900, sl: 70 }],
      ]),
    );
  });

  it('counts each event once, whatever the duplicates, redeliveries, batches and their order', async () => {
    const random = (() => {
      let x = 12345;
      return () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
    })();
    const events: SwitchyardEvent[] = [];
    for (let unit = 0; unit < 12; unit++) {
      for (let i = 0; i < 20; i++) {
        const at = H + Math.floor(random() * 3 * 60) * MINUTE + Math.floor(random() * MINUTE);
        const variation = random() < 0.7 ? 'on' : 'off';
        const value = Math.round(random() * 50_000) / 100;
        events.push(safety(`u${unit}`, random() < 0.25 ? 'error' : 'latency', at, variation, value));
      }
    }
    const expected = recompute(events);
    // 2 variations × 3 hours, and in them more unit-hours than units.
    expect(expected.cells.size).toBe(6);
    expect([...expected.cells.values()].reduce((sum, c) => sum + c.u!, 0)).toBeGreaterThan(20);
    // Some unit-hours must hold several requests and errors, or squares prove nothing.
    expect([...expected.cells.values()].some((c) => c.ee! >= 4 && c.ll! >= 9)).toBe(true);

    const inOneBatch = new MemoryStore();
    await processorOn(inOneBatch).process(records(events));
    expectSums(inOneBatch.cells, expected.cells);
    expectSums(inOneBatch.minutes, expected.minutes);

    for (let run = 0; run < 5; run++) {
      // 20 % duplicated, shuffled, cut into batches of 1–40 records, then the first half delivered again.
      const stream = [...events, ...events.filter(() => random() < 0.2)];
      for (let i = stream.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [stream[i], stream[j]] = [stream[j]!, stream[i]!];
      }
      const store = new MemoryStore();
      const processor = processorOn(store);
      for (let i = 0; i < stream.length;) {
        const size = 1 + Math.floor(random() * 40);
        expect((await processor.process(records(stream.slice(i, i + size)))).failed.size).toBe(0);
        i += size;
      }
      const replay = await processor.process(records(stream.slice(0, stream.length / 2)));
      expect(replay.stats.writes).toBe(0);
      expectSums(store.cells, expected.cells);
      expectSums(store.minutes, expected.minutes);
      // Integer fields exactly, the rest within rounding of the in-memory sums.
      for (const [key, cell] of expected.cells) {
        const got = store.cells.get(key)!;
        expect([key, got.u, got.e ?? 0, got.l ?? 0, got.ee ?? 0, got.ll ?? 0, got.el ?? 0]).toEqual([
          key,
          cell.u,
          cell.e,
          cell.l,
          cell.ee,
          cell.ll,
          cell.el,
        ]);
      }
    }
  });

  it('does not count error/latency events the byte budget kept out of the state', async () => {
    const store = new MemoryStore();
    await processorOn(store).process(records([safety('a', 'latency', H + 1, 'on', 100)]));
    const body = encodeState(store.states.get('a')!).length;
    // A budget the state fits in as it is, but not with 20 more events.
    const tight = processorOn(store, { stateByteBudget: body + 8 });
    const dropped = Array.from({ length: 20 }, (_, i) => safety('a', 'latency', H + 10 + i, 'on', 5));
    const { stats } = await tight.process(records(dropped));
    expect(stats.safetyDropped).toBe(20);
    expect(store.states.get('a')!.safety).toHaveLength(1);
    // A later event of that hour: before = the one kept, after = it and the new one; the 20 are in neither.
    await processorOn(store).process(records([safety('a', 'error', H + 100)]));
    expect(store.cells.get('api/on/2026-03-01T10Z')).toEqual({
      u: 1,
      e: 1,
      l: 1,
      s: 100,
      ee: 1,
      ll: 1,
      ss: 10_000,
      el: 1,
      sl: 100,
    });
    expect(store.minutes.get('api/on/2026-03-01T10:00Z')).toMatchObject({ lat: 1, ls: 100, err: 1 });
  });
});
