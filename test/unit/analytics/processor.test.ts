import {
  analysisConfig,
  CachedAnalysisConfig,
  type ConfigLists,
  type ConfigRequest,
} from '../../../shared/analytics/config';
import { EventProcessor, type StreamRecord } from '../../../shared/analytics/processor';
import {
  decodeState,
  emptyUnitState,
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

/** The analytics table in memory: unit states with versions and TTLs, aggregates summed as numbers. */
class MemoryStore implements Pick<AnalyticsStore, 'readUnitStates' | 'commit'> {
  readonly states = new Map<string, UnitState>();
  readonly aggregates = new Map<string, Record<string, number>>();
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
    for (const [key, delta] of tx.experiments) {
      const fields = this.aggregates.get(key) ?? {};
      for (const [field, { delta: d }] of delta) fields[field] = (fields[field] ?? 0) + d;
      this.aggregates.set(key, fields);
    }
    return Promise.resolve({ ok: true, items: tx.units.length + tx.experiments.size + tx.safety.size });
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
        return Promise.resolve(request?.fresh === true ? current : stale);
      },
      logger: quiet(),
      now: () => T0,
    });

    const exposures = Array.from({ length: 50 }, (_, i) => exposure(`u${i}`, 'just-started'));
    const { stats, failed } = await processor.process(records([exposure('a'), ...exposures]));
    expect(failed.size).toBe(0);
    expect(stats.ignored).toBe(0);
    expect(store.aggregates.get('just-started/control/$units')).toEqual({ n: 50 });
    expect(requests).toEqual([undefined, { fresh: true }]);

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
    const events = ['a', 'b', 'poison', 'c'].map((unit) => exposure(unit));
    const { failed, stats } = await processor.process(records(events));
    expect([...failed]).toEqual([[events[2]!.eventId, 'aggregate transaction refused']]);
    expect(stats.refusedTransactions).toBe(1);
    expect(stats.unitStateWrites).toBe(3);
    expect(store.aggregates.get('checkout/control/$units')).toEqual({ n: 3 });
  });
});
