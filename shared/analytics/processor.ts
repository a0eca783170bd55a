import type { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import type { EventSink } from '../events/sink';
import { backoffDelayMs, sleep } from '../retry';
import {
  errorEventSchema,
  exposureEventSchema,
  latencyEventSchema,
  trackEventSchema,
  type SwitchyardEvent,
} from '../events/schema';
import type { AnalysisConfig, ConfigRequest } from './config';
import {
  contributions,
  safetyFields,
  safetyKey,
  unitCellDeltas,
  unitDelta,
  type AggregateDelta,
  type FieldDelta,
} from './contributions';
import {
  encodeState,
  fitBudget,
  isRelevant,
  mayBecomeRelevant,
  mergeEvents,
  needsTtlRefresh,
  STATE_BYTE_BUDGET,
  unitStateExpiresAt,
  type MergeNotes,
  type StoredSafetyEvent,
  type UnitState,
} from './state';
import { AGGREGATE_SHARDS, shardOf } from './shards';
import type { AnalyticsStore } from './store';
import {
  TRANSACTION_BYTES,
  TRANSACTION_ITEMS,
  TransactionRefusedError,
  type AggregateTransaction,
  type UnitWrite,
} from './store';

/**
 * The event processor's work on one Kinesis batch, in one pass: decode and validate every record, send the
 * valid events to the search sink, then fold them into unit states and aggregates (shared/analytics/state.ts,
 * contributions.ts) with as few writes as the batch allows. Everything a retry can repeat is idempotent, so
 * the records reported as failed can simply be delivered again.
 */

/** One stream record: its id (the Kinesis sequence number) and its payload (one event as JSON, or an array). */
export interface StreamRecord {
  readonly id: string;
  readonly data: string | Uint8Array;
}

/** The Powertools logger's warn/error (shared/observability.ts), or anything shaped like them. */
export type ProcessorLogger = Pick<Logger, 'warn' | 'error'>;

export interface ProcessorOptions {
  readonly store: Pick<AnalyticsStore, 'readUnitStates' | 'commit'>;
  readonly sink: EventSink;
  /**
   * The analysis configuration, typically cached (`CachedAnalysisConfig.get`). Asked once per batch, and once
   * more when the batch has events only a newer configuration could use, which would otherwise be dropped for
   * good: `{ current: true }` for an exposure to an unknown experiment (a copy loaded after the batch arrived),
   * `{ fresh: true }` for a track event no metric reads (the source decides how often it really reloads).
   */
  readonly config: (request?: ConfigRequest) => Promise<AnalysisConfig>;
  readonly logger: ProcessorLogger;
  /**
   * Decides which error/latency events are too old to aggregate (tests replay logs at a fixed time). TTLs always
   * come from the wall clock: an item that expires is deleted, whatever clock processed it, so a unit state's
   * TTL refresh (`needsTtlRefresh`) is decided on the wall clock too.
   */
  readonly now?: () => number;
  /** Attempts per unit when its version moved or a transaction conflicted. */
  readonly maxAttempts?: number;
  /**
   * Aggregate shards (shards.ts): AGGREGATE_SHARDS unless a test compares layouts; 1 writes the unsharded
   * layout. The store's readers must read at least as many.
   */
  readonly aggregateShards?: number;
  /** The compressed unit state's budget (`fitBudget`); STATE_BYTE_BUDGET unless a test needs a small one. */
  readonly stateByteBudget?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface BatchOutcome {
  /** Records to report as batch item failures, with why. */
  readonly failed: ReadonlyMap<string, string>;
  readonly stats: BatchStats;
}

export interface BatchStats {
  records: number;
  events: number;
  /** Records that are not JSON or events that fail the schema: logged and skipped, never retried. */
  invalid: number;
  /** Events the sink could not index for a reason that may pass (their records are retried). */
  sinkFailures: number;
  /** Events the sink refused for good (a mapping error…): logged, never indexed, aggregated all the same. */
  sinkRefused: number;
  /** Distinct units with events some aggregate can use. */
  units: number;
  /** Events no aggregate uses (see MergeNotes), events over a unit's cap, error/latency events too old or over the cap. */
  ignored: number;
  capped: number;
  staleSafety: number;
  safetyDropped: number;
  /** BatchGetItem calls. */
  readRequests: number;
  /** TransactWriteItems calls that committed, and the items they wrote (DynamoDB write operations). */
  transactions: number;
  writes: number;
  unitStateWrites: number;
  aggregateWrites: number;
  /** Unit state writes (in unitStateWrites) of units the batch did not change, for their TTL's sake only. */
  ttlRefreshes: number;
  /** Compressed unit state bytes written (what the unit writes cost: 1 WCU per KB, twice in a transaction). */
  unitStateBytes: number;
  /** Transactions refused because a unit's version moved or an item was in another transaction. */
  retries: number;
  /** Transactions DynamoDB refused as invalid; their units were tried again one per transaction. */
  refusedTransactions: number;
}

const emptyStats = (): BatchStats => ({
  records: 0,
  events: 0,
  invalid: 0,
  sinkFailures: 0,
  sinkRefused: 0,
  units: 0,
  ignored: 0,
  capped: 0,
  staleSafety: 0,
  safetyDropped: 0,
  readRequests: 0,
  transactions: 0,
  writes: 0,
  unitStateWrites: 0,
  aggregateWrites: 0,
  ttlRefreshes: 0,
  unitStateBytes: 0,
  retries: 0,
  refusedTransactions: 0,
});

/**
 * The events schema as the processor reads the stream, except for the bound on values: the stream still carries
 * events accepted before the API bounded them, and such a value only counts as no value (`usableValue`) — the
 * event itself (an exposure, a conversion) is still indexed and aggregated.
 */
const streamEventSchema = z.discriminatedUnion('type', [
  exposureEventSchema.extend({ value: z.number().optional() }),
  trackEventSchema.extend({ value: z.number().optional() }),
  errorEventSchema.extend({ value: z.number().optional() }),
  latencyEventSchema.extend({ value: z.number().min(0) }),
]);

/** Record payload → events; anything unreadable is reported, not thrown (a bad record never gets better). */
export function decodeRecord(record: StreamRecord): { events: SwitchyardEvent[]; problems: string[] } {
  const text =
    typeof record.data === 'string'
      ? Buffer.from(record.data, 'base64').toString('utf8')
      : Buffer.from(record.data).toString('utf8');
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return { events: [], problems: ['not JSON'] };
  }
  const events: SwitchyardEvent[] = [];
  const problems: string[] = [];
  for (const candidate of Array.isArray(payload) ? payload : [payload]) {
    const parsed = streamEventSchema.safeParse(candidate);
    if (parsed.success) events.push(parsed.data satisfies SwitchyardEvent);
    else
      problems.push(
        parsed.error.issues
          .slice(0, 3)
          .map((i) => `${i.path.join('.')}: ${i.message}`)
          .join('; '),
      );
  }
  return { events, problems };
}

/** A unit's events of this batch, and the records they came in. */
interface UnitWork {
  readonly unitId: string;
  /** The aggregate shard of its contributions (shardOf), undefined when unsharded. */
  readonly shard: number | undefined;
  readonly events: SwitchyardEvent[];
  readonly records: Set<string>;
  state: UnitState;
  attempts: number;
  /** A transaction holding it was refused as invalid: it is written in transactions of its own from now on. */
  alone: boolean;
}

/** One unit's next write: its new state and the deltas it adds. */
interface UnitPlan {
  readonly work: UnitWork;
  readonly write: UnitWrite;
  readonly next: UnitState;
  readonly experiments: Map<string, AggregateDelta>;
  /** Minute aggregates (safetyKey) and unit cells (unitCellKey) of the flags its error/latency events name. */
  readonly safety: Map<string, AggregateDelta>;
  readonly unitCells: Map<string, AggregateDelta>;
  /** Whether it merges all the unit's events of this batch (else the next round writes the rest). */
  readonly complete: boolean;
  readonly notes: MergeNotes & { trimmed: number };
  /** Nothing changed: the state is written again only for a fresh TTL. */
  readonly refresh: boolean;
}

/** DynamoDB's item limit, less room for the key and the other attributes. */
const MAX_BODY_BYTES = 390 * 1024;
/** Permanent sink failures listed in the log line of one batch (all are counted). */
const MAX_LOGGED_FAILURES = 50;

/**
 * A sink's failure reason fit for the logs: OpenSearch's mapping errors quote the offending value ("Preview of
 * field's value: …"), which is the client's data, not ours to log.
 */
function withoutValues(reason: string): string {
  return reason.replace(/(preview of field's value:).*$/is, '$1 (omitted)').slice(0, 300);
}

export class EventProcessor {
  private readonly now: () => number;
  private readonly maxAttempts: number;
  private readonly stateByteBudget: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly shards: number;

  constructor(private readonly options: ProcessorOptions) {
    this.now = options.now ?? Date.now;
    this.shards = options.aggregateShards ?? AGGREGATE_SHARDS;
    this.maxAttempts = options.maxAttempts ?? 6;
    this.stateByteBudget = options.stateByteBudget ?? STATE_BYTE_BUDGET;
    this.sleep = options.sleep ?? sleep;
  }

  async process(records: readonly StreamRecord[]): Promise<BatchOutcome> {
    const stats = emptyStats();
    const failed = new Map<string, string>();
    stats.records = records.length;
    const valid: { record: string; event: SwitchyardEvent }[] = [];
    for (const record of records) {
      const { events, problems } = decodeRecord(record);
      if (problems.length > 0) {
        stats.invalid += problems.length;
        this.options.logger.error('invalid event record skipped', { record: record.id, problems });
      }
      for (const event of events) valid.push({ record: record.id, event });
    }
    stats.events = valid.length;
    if (valid.length === 0) return { failed, stats };

    await this.index(valid, stats, failed);

    let config = await this.options.config();
    const unknown = valid.filter(({ event }) => mayBecomeRelevant(event) && !isRelevant(event, config));
    if (unknown.some(({ event }) => event.type === 'exposure')) {
      // An experiment created since the copy was loaded: dropping its exposures would be for good (and skew its
      // sample ratio), so only a copy loaded after the batch arrived will do.
      config = await this.options.config({ current: true });
    } else if (unknown.length > 0) {
      // Possibly a metric created since the copy was loaded.
      config = await this.options.config({ fresh: true });
    }
    const byUnit = new Map<string, UnitWork>();
    for (const { record, event } of valid) {
      if (!isRelevant(event, config)) {
        stats.ignored++;
        continue;
      }
      let work = byUnit.get(event.unitId);
      if (work === undefined) {
        work = {
          unitId: event.unitId,
          shard: shardOf(event.unitId, this.shards),
          events: [],
          records: new Set(),
          state: undefined!,
          attempts: 0,
          alone: false,
        };
        byUnit.set(event.unitId, work);
      }
      work.events.push(event);
      work.records.add(record);
    }
    stats.units = byUnit.size;
    await this.aggregate([...byUnit.values()], config, stats, failed);
    return { failed, stats };
  }

  /**
   * The sink first. Events it could not index for a reason that may pass (429, 5xx, no answer) are retried —
   * aggregating them again changes nothing. Events it refused for good (a mapping error…) would be refused on
   * every retry and block the shard: they are logged (id and reason, never the event) and left out of the search
   * index only; the aggregates count them like any other.
   */
  private async index(
    valid: readonly { record: string; event: SwitchyardEvent }[],
    stats: BatchStats,
    failed: Map<string, string>,
  ): Promise<void> {
    let result;
    try {
      result = await this.options.sink.index(valid.map((v) => v.event));
    } catch (error) {
      stats.sinkFailures = valid.length;
      this.options.logger.error('event sink failed', { error: String(error) });
      for (const { record } of valid) failed.set(record, 'not indexed');
      return;
    }
    const refused = new Map(result.failures.filter((f) => !f.retryable).map((f) => [f.eventId, f]));
    // A failed id without a failure saying it is permanent is retried.
    const retried = new Set(
      [...result.failedEventIds, ...result.failures.map((f) => f.eventId)].filter((id) => !refused.has(id)),
    );
    stats.sinkFailures = retried.size;
    stats.sinkRefused = refused.size;
    if (refused.size > 0) {
      this.options.logger.error(
        'events refused by the search index for good: not indexed, still aggregated',
        {
          count: refused.size,
          events: [...refused.values()].slice(0, MAX_LOGGED_FAILURES).map((f) => ({
            eventId: f.eventId,
            ...(f.status === undefined ? {} : { status: f.status }),
            ...(f.type === undefined ? {} : { type: f.type }),
            reason: withoutValues(f.reason),
          })),
        },
      );
    }
    for (const { record, event } of valid) if (retried.has(event.eventId)) failed.set(record, 'not indexed');
  }

  /**
   * Rounds until every unit is written or given up: read the states, plan each unit's next write, pack the
   * plans into transactions and commit them one after another (they share aggregate items, and DynamoDB
   * refuses concurrent transactions on one item). A unit whose version moved is read again and planned
   * again; a unit whose events touch more aggregates than one transaction holds is written in steps, each
   * atomic, the next round merging the rest.
   */
  private async aggregate(
    units: UnitWork[],
    config: AnalysisConfig,
    stats: BatchStats,
    failed: Map<string, string>,
  ): Promise<void> {
    const fail = (work: UnitWork, reason: string) => {
      for (const record of work.records) failed.set(record, reason);
    };
    let toRead = units;
    let pending: UnitWork[] = [];
    while (toRead.length > 0 || pending.length > 0) {
      if (toRead.length > 0) {
        try {
          const { states, requests } = await this.options.store.readUnitStates(toRead.map((u) => u.unitId));
          stats.readRequests += requests;
          for (const work of toRead) work.state = states.get(work.unitId)!;
          pending.push(...toRead);
        } catch (error) {
          this.options.logger.error('reading unit states failed', { error: String(error) });
          for (const work of toRead) fail(work, 'unit state read failed');
        }
        toRead = [];
      }
      const plans: UnitPlan[] = [];
      for (const work of pending) {
        try {
          const plan = this.plan(work, config, stats);
          if (plan !== null) plans.push(plan);
        } catch (error) {
          this.options.logger.error('unit cannot be aggregated', {
            unitId: work.unitId,
            error: String(error),
          });
          fail(work, 'unit cannot be aggregated');
        }
      }
      pending = [];
      for (const tx of pack(plans)) {
        let outcome;
        try {
          outcome = await this.options.store.commit(toTransaction(tx));
        } catch (error) {
          if (error instanceof TransactionRefusedError && tx.length > 1) {
            // Some unit's delta is unacceptable (which one, DynamoDB does not say): the others must not fail with
            // it on every retry. Each is tried in a transaction of its own; only those refused alone fail.
            stats.refusedTransactions++;
            this.options.logger.error('aggregate transaction refused: its units are tried one by one', {
              units: tx.length,
              error: error.reason,
            });
            for (const plan of tx) {
              plan.work.alone = true;
              pending.push(plan.work);
            }
            continue;
          }
          const refused = error instanceof TransactionRefusedError;
          this.options.logger.error(refused ? 'unit refused by DynamoDB' : 'aggregate transaction failed', {
            units: tx.length,
            ...(refused ? { unitId: tx[0]!.work.unitId, error: error.reason } : { error: String(error) }),
          });
          const reason = refused ? 'aggregate transaction refused' : 'aggregate transaction failed';
          for (const plan of tx) fail(plan.work, reason);
          continue;
        }
        if (outcome.ok) {
          stats.transactions++;
          stats.writes += outcome.items;
          stats.unitStateWrites += tx.length;
          stats.aggregateWrites += outcome.items - tx.length;
          stats.unitStateBytes += tx.reduce((sum, plan) => sum + plan.write.body.length, 0);
          const expiresAt = unitStateExpiresAt(Date.now());
          for (const plan of tx) {
            plan.work.state = { ...plan.next, version: plan.write.expectedVersion + 1, expiresAt };
            if (plan.refresh) stats.ttlRefreshes++;
            if (plan.complete) countNotes(stats, plan.notes);
            else pending.push(plan.work);
          }
          continue;
        }
        stats.retries++;
        const stale = new Set(outcome.staleUnits);
        let attempts = 0;
        for (const { work } of tx) {
          attempts = Math.max(attempts, ++work.attempts);
          if (work.attempts >= this.maxAttempts) {
            this.options.logger.warn('unit given up after repeated conflicts', { unitId: work.unitId });
            fail(work, 'aggregate transaction conflicted');
          } else if (stale.has(work.unitId)) toRead.push(work);
          else pending.push(work);
        }
        await this.sleep(backoffDelayMs(attempts + 1, { baseMs: 10 }));
      }
    }
  }

  /**
   * The unit's next write, or null when its events change nothing. When the write would touch more aggregate
   * items than a transaction holds, only the first half of the events is merged (recursively): the next round
   * merges the rest from the new state. A single event that touches more is refused (its record fails).
   */
  private plan(work: UnitWork, config: AnalysisConfig, stats: BatchStats): UnitPlan | null {
    let remaining: readonly SwitchyardEvent[] = work.events;
    let take = remaining.length;
    for (;;) {
      const complete = take === remaining.length;
      const plan = this.planWith(work, remaining.slice(0, take), config, complete, stats);
      if (plan === null) {
        if (complete) return null;
        // That part is in the state already (an earlier step wrote it): go on with the rest.
        remaining = remaining.slice(take);
        take = remaining.length;
        continue;
      }
      const items = 1 + plan.experiments.size + plan.safety.size + plan.unitCells.size;
      if (items <= TRANSACTION_ITEMS) return plan;
      if (take === 1) {
        throw new Error(`one event changes ${items - 1} aggregates, more than a transaction holds`);
      }
      take = Math.ceil(take / 2);
    }
  }

  private planWith(
    work: UnitWork,
    events: readonly SwitchyardEvent[],
    config: AnalysisConfig,
    complete: boolean,
    stats: BatchStats,
  ): UnitPlan | null {
    const merged = mergeEvents(work.state, events, config, this.now());
    if (!merged.changed) {
      const notes = { ...merged.notes, trimmed: 0 };
      if (complete && needsTtlRefresh(work.state, Date.now())) {
        // Unchanged, but touched: the unit is active, so its state must not expire (it would count again as a
        // new unit). The same state, written again with a fresh TTL; its notes count once it is written.
        return {
          work,
          write: { unitId: work.unitId, expectedVersion: work.state.version, body: encodeState(work.state) },
          next: work.state,
          experiments: new Map(),
          safety: new Map(),
          unitCells: new Map(),
          complete,
          notes,
          refresh: true,
        };
      }
      // Nothing to write for this unit: its notes (ignored, stale…) are final now.
      if (complete) countNotes(stats, notes);
      return null;
    }
    let state = merged.state;
    let newSafety: readonly StoredSafetyEvent[] = merged.newSafety;
    let { deltas, applied } = unitDelta(work.state.applied, contributions(state, config), config);
    let body = encodeState({ ...state, applied });
    let trimmed = 0;
    let safetyDropped = 0;
    if (body.length > this.stateByteBudget) {
      const fitted = fitBudget(merged.state, merged.newSafety, config, this.stateByteBudget);
      ({ state, newSafety, trimmed, safetyDropped } = fitted);
      ({ deltas, applied } = unitDelta(work.state.applied, contributions(state, config), config));
      body = encodeState({ ...state, applied });
      if (body.length > MAX_BODY_BYTES) throw new Error(`state of ${body.length} bytes after trimming`);
      this.options.logger.error('unit state over its byte budget: events dropped', {
        unitId: work.unitId,
        metricEventsDropped: trimmed,
        safetyEventsNotAggregated: safetyDropped,
      });
    }
    if (merged.notes.capped > 0) {
      this.options.logger.warn('unit over its event cap: events not counted', {
        unitId: work.unitId,
        capped: merged.notes.capped,
      });
    }
    const safety = new Map<string, AggregateDelta>();
    for (const event of newSafety) {
      const key = safetyKey(event);
      const delta: AggregateDelta = safety.get(key) ?? new Map<string, FieldDelta>();
      for (const [field, value] of Object.entries(safetyFields(event))) {
        const current = delta.get(field) ?? { delta: 0, scale: 0 };
        delta.set(field, { delta: current.delta + value, scale: current.scale + Math.abs(value) });
      }
      safety.set(key, delta);
    }
    // Before-counts from the events already counted (the state as read), after-counts with those kept now:
    // the ones fitBudget dropped are in neither.
    const unitCells = unitCellDeltas(work.state.safety, newSafety);
    return {
      work,
      write: { unitId: work.unitId, expectedVersion: work.state.version, body },
      next: { ...state, applied },
      experiments: deltas,
      safety,
      unitCells,
      complete,
      notes: { ...merged.notes, safetyFull: merged.notes.safetyFull + safetyDropped, trimmed },
      refresh: false,
    };
  }
}

function countNotes(stats: BatchStats, notes: MergeNotes & { trimmed: number }): void {
  stats.ignored += notes.ignored;
  stats.capped += notes.capped + notes.trimmed;
  stats.staleSafety += notes.staleSafety;
  stats.safetyDropped += notes.safetyFull;
}

/** Aggregate items a plan touches, as they appear in a transaction. */
function itemKeys(plan: UnitPlan): string[] {
  return [
    ...[...plan.experiments.keys()].map((k) => `e:${k}`),
    ...[...plan.safety.keys()].map((k) => `s:${k}`),
    ...[...plan.unitCells.keys()].map((k) => `c:${k}`),
  ];
}

/**
 * An item key with its arm left out: aggregate, minute and unit-cell keys are all `<experiment or flag>/<variant or
 * variation>/<metric, minute or hour>` behind their kind prefix (`e:`, `s:`, `c:`).
 */
function withoutArm(itemKey: string): string {
  const parts = itemKey.split('/');
  return parts.length === 3 ? `${parts[0]}/*/${parts[2]}` : itemKey;
}

/** An aggregate Update's share of a transaction's bytes (keys, expression, a few numbers), generously. */
const UPDATE_BYTES = 1024;

/**
 * Greedy packing into transactions of at most 100 items (unit states + distinct aggregate items) and 3.5 MB,
 * each of one aggregate shard (its units' shard: `AggregateTransaction.shard`). Shard by shard, units are taken
 * in the order of the experiments (and flags) they touch, so units of one experiment share
 * their aggregate items in as few transactions as possible: writes grow with units and distinct aggregates, not
 * with events. Units once in a refused transaction go alone.
 *
 * Within one experiment the arms are **interleaved in proportion**: the transactions commit one after another,
 * and a results read (or the safety monitor) between two of them sees the batch part-way. Had the batch's
 * control units all come first, that read would see control's conversions without treatment's — a difference
 * made by the processor, which an always-valid test would take for an effect and its running bound keep for
 * good. Taking each arm's i-th unit at position i / (its units) makes every prefix of the batch hold the arms in
 * the batch's own proportions; a transaction then touches every arm's items, a few more per transaction. With
 * shards, this holds within each shard's part of the batch, and the shards before it are complete: a shard's
 * units are a sample of the batch's drawn from their ids (shards.ts), whatever their arm.
 */
export function pack(plans: readonly UnitPlan[]): UnitPlan[][] {
  const alone = plans.filter((p) => p.work.alone).map((p) => [p]);
  const shared = plans.filter((p) => !p.work.alone);
  // The shard leads the signature, so units of different shards never share a group (nor a transaction).
  const signature = new Map(
    shared.map((p) => [p, `${p.work.shard ?? ''}>${[...new Set(itemKeys(p))].sort().join('|')}`]),
  );
  const groups = new Map<string, UnitPlan[]>();
  for (const plan of shared) {
    const group = groups.get(signature.get(plan)!) ?? [];
    group.push(plan);
    groups.set(signature.get(plan)!, group);
  }
  const order = new Map<UnitPlan, { armless: string; position: number; signature: string }>();
  for (const [key, group] of groups) {
    const [shard, items] = key.split(/>(.*)/s) as [string, string];
    const armless = `${shard}>${[...new Set(items.split('|').map(withoutArm))].sort().join('|')}`;
    group.forEach((plan, i) =>
      order.set(plan, { armless, position: (i + 0.5) / group.length, signature: key }),
    );
  }
  const ordered = [...shared].sort((a, b) => {
    const x = order.get(a)!;
    const y = order.get(b)!;
    if (a.work.shard !== b.work.shard) return (a.work.shard ?? -1) - (b.work.shard ?? -1);
    if (x.armless !== y.armless) return x.armless < y.armless ? -1 : 1;
    if (x.position !== y.position) return x.position - y.position;
    return x.signature < y.signature ? -1 : x.signature > y.signature ? 1 : 0;
  });
  const out: UnitPlan[][] = [];
  let current: UnitPlan[] = [];
  let keys = new Set<string>();
  let bytes = 0;
  for (const plan of ordered) {
    const planKeys = new Set(itemKeys(plan));
    let added = [...planKeys].filter((k) => !keys.has(k));
    const cost = (updates: number) => plan.write.body.length + 512 + updates * UPDATE_BYTES;
    const full =
      current.length + 1 + keys.size + added.length > TRANSACTION_ITEMS ||
      bytes + cost(added.length) > TRANSACTION_BYTES ||
      (current.length > 0 && current[0]!.work.shard !== plan.work.shard);
    if (full && current.length > 0) {
      out.push(current);
      current = [];
      keys = new Set();
      bytes = 0;
      added = [...planKeys];
    }
    current.push(plan);
    for (const k of added) keys.add(k);
    bytes += cost(added.length);
  }
  if (current.length > 0) out.push(current);
  return [...out, ...alone];
}

/** The transaction of a group of plans: their unit states, and the sum of their deltas per aggregate item. */
function toTransaction(plans: readonly UnitPlan[]): AggregateTransaction {
  const sum = (target: Map<string, AggregateDelta>, source: ReadonlyMap<string, AggregateDelta>) => {
    for (const [key, delta] of source) {
      let into = target.get(key);
      if (into === undefined) {
        into = new Map();
        target.set(key, into);
      }
      for (const [field, { delta: d, scale }] of delta) {
        const current = into.get(field);
        into.set(
          field,
          current === undefined
            ? { delta: d, scale }
            : { delta: current.delta + d, scale: current.scale + scale },
        );
      }
    }
  };
  const experiments = new Map<string, AggregateDelta>();
  const safety = new Map<string, AggregateDelta>();
  const unitCells = new Map<string, AggregateDelta>();
  for (const plan of plans) {
    sum(experiments, plan.experiments);
    sum(safety, plan.safety);
    sum(unitCells, plan.unitCells);
  }
  const shard = plans[0]?.work.shard;
  return {
    units: plans.map((p) => p.write),
    ...(shard === undefined ? {} : { shard }),
    experiments,
    safety,
    unitCells,
  };
}
