import {
  BatchGetItemCommand,
  paginateQuery,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  type AttributeValue,
  type DynamoDBClient,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { keys } from '../db/keys';
import { backoffDelayMs, sleep as wait } from '../retry';
import type { CovariateSummary, SampleSummary } from '../stats/summary';
import {
  hourStart,
  parseAggregateKey,
  parseFineBlockKey,
  parseSafetyKey,
  parseUnitCellKey,
  UNITS,
  type AggregateDelta,
} from './contributions';
import { attributeBucket, fineAttributeBucket, histogramQuantile } from './histogram';
import { AGGREGATE_SHARDS, shardsToRead, sumDecimals } from './shards';

/** A flag's error/latency minutes and unit cells are not sharded (see `commit`). */
const FLAG_SHARDS = 1;
import { decodeState, emptyUnitState, unitStateExpiresAt, type UnitState } from './state';

/** DynamoDB limits: keys per BatchGetItem, items per TransactWriteItems, bytes per transaction (4 MB, with margin). */
export const BATCH_GET_KEYS = 100;
export const TRANSACTION_ITEMS = 100;
export const TRANSACTION_BYTES = 3_500_000;
/** Safety aggregates (per flag × variation × minute, and the unit cells per hour) expire this long after it. */
export const SAFETY_AGGREGATE_TTL_DAYS = 14;

/** One unit's new state, written only if the stored version is still `expectedVersion` (0: no item yet). */
export interface UnitWrite {
  readonly unitId: string;
  readonly expectedVersion: number;
  readonly body: Buffer;
}

/**
 * What one TransactWriteItems carries: unit states and the summed deltas of the aggregates they touch, all in
 * one aggregate shard (shards.ts: the units' shard; undefined: the unsharded partitions).
 */
export interface AggregateTransaction {
  readonly units: readonly UnitWrite[];
  readonly shard?: number;
  /** aggregateKey (experiment/variant/metric) → field deltas. */
  readonly experiments: ReadonlyMap<string, AggregateDelta>;
  /** safetyKey (flag/variation/minute) → field deltas. */
  readonly safety: ReadonlyMap<string, AggregateDelta>;
  /** unitCellKey (flag/variation/hour) → field deltas. */
  readonly unitCells: ReadonlyMap<string, AggregateDelta>;
}

export type CommitOutcome =
  | { readonly ok: true; readonly items: number }
  /** A unit's version moved (re-read and recompute those units), or another transaction held an item. */
  | { readonly ok: false; readonly staleUnits: readonly string[]; readonly conflict: boolean };

/**
 * DynamoDB refused the transaction's content (ValidationException, or a cancellation for a ValidationError: a
 * number past 1e125 or a sum past 38 significant digits…): the same items will be refused again, whatever the
 * retry. Which unit's delta caused it is not said, as deltas are summed per aggregate item.
 */
export class TransactionRefusedError extends Error {
  constructor(readonly reason: string) {
    super(`transaction refused: ${reason}`);
    this.name = 'TransactionRefusedError';
  }
}

/**
 * A delta as a DynamoDB number. DynamoDB adds decimals exactly but refuses a result of more than 38
 * significant digits, and doubles print up to 17: adding 1e-17-sized leftovers of `after − before` to a sum
 * in the millions would soon overflow. So a delta is rounded to a quantum of 1e-12 of the magnitude it came
 * from (`scale`: the larger of the old and new contributions, summed over the transaction's units), and never
 * finer than 1e-15. A sum then needs at most 12 + log10(sum / smallest scale) digits — under 38 while a sum
 * stays below 1e26 times its smallest contribution — and each write is off by at most 5e-13 of its scale,
 * far inside the 1e-9 the results promise. Whole numbers are sent as they are. null: nothing to add.
 */
export function quantize(delta: number, scale: number): string | null {
  if (delta === 0 || !Number.isFinite(delta)) return null;
  if (Number.isSafeInteger(delta)) return String(delta);
  const exponent = Math.max(Math.floor(Math.log10(Math.max(scale, Math.abs(delta)))) - 12, -15);
  const magnitude = Math.round(Math.abs(exponent < 0 ? delta * 10 ** -exponent : delta / 10 ** exponent));
  if (magnitude === 0) return null;
  return `${delta < 0 ? '-' : ''}${magnitude}e${exponent}`;
}

/** Per variant × metric, what the results API reads (shared/stats takes these shapes as they are). */
export interface MetricAggregate extends SampleSummary {
  readonly variant: string;
  readonly metricKey: string;
  /** Units with a value: for conversion, count, sum every exposed unit; for mean and duration_p95, those with ≥ 1 value. */
  readonly n: number;
  /** Σx, Σx² of the units' values (conversion: x ∈ {0, 1}, so `sum` is the number of converted units). */
  readonly sum: number;
  readonly sumSquares: number;
  /** Units that converted (conversion metrics; equals `sum`). */
  readonly conversions: number;
  /** CUPED: Σy, Σy², Σxy of the pre-exposure covariate (y = 0 when a unit has none). */
  readonly covariate: CovariateSummary;
  /** Mean metrics, as a ratio of sums over units (delta method): Σ per-unit value sums and counts. */
  readonly ratio: {
    readonly numerator: number;
    readonly denominator: number;
    readonly numeratorSquares: number;
    readonly denominatorSquares: number;
    readonly products: number;
  };
  /**
   * duration_p95: the values themselves (not per unit): how many, Σv, Σv², the histogram (bucket → count) and
   * the fine histogram (fine bucket → count; histogram.ts). Values counted before the fine histogram existed
   * are only in the coarse one: the fine one is complete when its counts sum to `count`.
   */
  readonly values: {
    readonly count: number;
    readonly sum: number;
    readonly sumSquares: number;
    readonly histogram: Readonly<Record<number, number>>;
    readonly fine?: Readonly<Record<number, number>>;
  };
}

export interface VariantAggregates {
  /** Exposed units (first exposure in this variant). */
  readonly units: number;
  readonly metrics: Readonly<Record<string, MetricAggregate>>;
}

export interface ExperimentAggregates {
  readonly experimentKey: string;
  readonly variants: Readonly<Record<string, VariantAggregates>>;
}

/** A UTC minute as the safety aggregates name it: `2026-01-01T12:34Z` (`minuteOf`). */
export type UtcMinute = string;
/** A UTC hour as the unit cells name it: `2026-01-01T12Z` (`hourOf`). */
export type UtcHour = string;

/**
 * One flag variation's error and latency events over a range of UTC minutes (`readFlagMinutes`), summed over
 * its minute aggregates. Error rate = errors ÷ requests (SPEC §2.7: one latency event per request).
 */
export interface FlagMinuteTotals {
  /** Error events. */
  readonly errors: number;
  /** Latency events. */
  readonly requests: number;
  /** Σ latency and Σ latency² (ms, ms²) over the latency events. */
  readonly latencySum: number;
  readonly latencySquares: number;
  /** Latency events per log bucket (histogram.ts: bucket → count). */
  readonly histogram: Readonly<Record<number, number>>;
  /** `histogramQuantile(histogram, 0.95)`: within 2.2 % of the exact p95; null without latency events. */
  readonly latencyP95: number | null;
}

/**
 * One flag variation's unit cells over a range of UTC hours (`readFlagUnitSums`), summed. A cluster is a
 * unit-hour: a unit with error/latency events in three hours is three clusters; within one, its requests are
 * clustered. For cluster i: e = error events, l = latency events (requests), s = Σ latency (ms).
 */
export interface FlagUnitSums {
  /** Clusters (unit-hours with at least one error or latency event). */
  readonly units: number;
  /** Σe, Σl, Σs. */
  readonly errors: number;
  readonly requests: number;
  readonly latencySum: number;
  /** Σe², Σl², Σs². */
  readonly errorSquares: number;
  readonly requestSquares: number;
  readonly latencySquares: number;
  /** Σe·l, Σs·l. */
  readonly errorRequestProducts: number;
  readonly latencyRequestProducts: number;
}

const UTC_MINUTE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/;
const UTC_HOUR = /^\d{4}-\d{2}-\d{2}T\d{2}Z$/;

/**
 * The analytics table as the event processor and the results read it: unit states (one item per unit) and
 * aggregates (experiments: one partition per experiment, one item per variant × metric; flags: one
 * partition per flag, one item per variation × minute and one unit cell per variation × hour), changed only by TransactWriteItems that carry the unit
 * states and the aggregate deltas together, so a unit's events are counted exactly once.
 */
export class AnalyticsStore {
  /**
   * The low-level client, on purpose: sums can exceed 2^53 (Σx² of latencies) and are read as strings, and a
   * DynamoDBDocumentClient's translate options live on the client's shared config (a second document client
   * with other options would change the first's).
   */
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly sleep: (ms: number) => Promise<void> = wait,
    /** The aggregate shards to read (shards.ts): the processor's AGGREGATE_SHARDS, or more. */
    private readonly shards: number = AGGREGATE_SHARDS,
  ) {}

  /** The states of these units (strongly consistent), empty for units never seen. `requests` counts BatchGetItem calls. */
  async readUnitStates(
    unitIds: readonly string[],
  ): Promise<{ states: Map<string, UnitState>; requests: number }> {
    const states = new Map<string, UnitState>();
    let requests = 0;
    const ids = [...new Set(unitIds)];
    for (let i = 0; i < ids.length; i += BATCH_GET_KEYS) {
      let pending: Record<string, AttributeValue>[] = ids
        .slice(i, i + BATCH_GET_KEYS)
        .map((id) => keyOf(keys.analytics.unitState(id)));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) {
          if (attempt > 8) throw new Error(`BatchGetItem left ${pending.length} keys unprocessed`);
          await this.sleep(backoffDelayMs(attempt + 1, { baseMs: 25 }));
        }
        requests++;
        const out = await this.client.send(
          new BatchGetItemCommand({
            RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        for (const item of out.Responses?.[this.tableName] ?? []) {
          const unitId = item.unitId!.S!;
          const state = decodeState(unitId, Number(item.version!.N), item.z!.B!);
          states.set(
            unitId,
            item.expiresAt?.N === undefined ? state : { ...state, expiresAt: Number(item.expiresAt.N) },
          );
        }
        pending = out.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    for (const id of ids) if (!states.has(id)) states.set(id, emptyUnitState(id));
    return { states, requests };
  }

  /**
   * Writes the transaction. Throws TransactionRefusedError when DynamoDB refuses its content, and the error as
   * it came for anything else that is not a version that moved or a conflict (throttling, network…).
   */
  async commit(tx: AggregateTransaction, now: number = Date.now()): Promise<CommitOutcome> {
    const expiresAt = unitStateExpiresAt(now);
    const items: TransactWriteItem[] = [];
    for (const unit of tx.units) {
      items.push({
        Put: {
          TableName: this.tableName,
          Item: {
            ...keyOf(keys.analytics.unitState(unit.unitId)),
            unitId: { S: unit.unitId },
            version: { N: String(unit.expectedVersion + 1) },
            expiresAt: { N: String(expiresAt) },
            z: { B: unit.body },
          },
          ...(unit.expectedVersion === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'version = :v',
                ExpressionAttributeValues: { ':v': { N: String(unit.expectedVersion) } },
              }),
        },
      });
    }
    for (const [key, delta] of tx.experiments) {
      const { experimentKey, variant, metricKey } = parseAggregateKey(key);
      const update = addExpression(delta);
      if (update === null) continue;
      const sk =
        metricKey === UNITS
          ? keys.analytics.experimentUnits(variant)
          : keys.analytics.experimentMetric(variant, metricKey);
      items.push({
        Update: {
          TableName: this.tableName,
          Key: keyOf({ pk: keys.analytics.experiment(experimentKey, tx.shard), sk }),
          ...update,
        },
      });
    }
    const flagUpdate = (flagKey: string, sk: string, startsAt: number, delta: AggregateDelta) => {
      const update = addExpression(delta);
      if (update === null) return;
      const ttl = Math.floor(startsAt / 1000) + SAFETY_AGGREGATE_TTL_DAYS * 86_400;
      items.push({
        Update: {
          TableName: this.tableName,
          // Unsharded: the safety monitor reads every monitored flag each minute (and the report on each GET);
          // AGGREGATE_SHARDS + 1 Queries per variation there made a report of a few flags take over a minute on
          // DynamoDB Local. A flag's minutes and cells stay one partition per flag (docs/architecture.md).
          Key: keyOf({ pk: keys.analytics.flagSafety(flagKey, undefined), sk }),
          UpdateExpression: `${update.UpdateExpression} SET expiresAt = :ttl`,
          ExpressionAttributeNames: update.ExpressionAttributeNames,
          ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':ttl': { N: String(ttl) } },
        },
      });
    };
    for (const [key, delta] of tx.safety) {
      const { flagKey, variation, minute } = parseSafetyKey(key);
      flagUpdate(flagKey, keys.analytics.flagSafetyMinute(variation, minute), Date.parse(minute), delta);
    }
    for (const [key, delta] of tx.unitCells) {
      const { flagKey, variation, hour } = parseUnitCellKey(key);
      flagUpdate(flagKey, keys.analytics.flagUnitCell(variation, hour), hourStart(hour), delta);
    }
    if (items.length === 0) return { ok: true, items: 0 };
    if (items.length > TRANSACTION_ITEMS) throw new Error(`transaction of ${items.length} items`);
    try {
      await this.client.send(new TransactWriteItemsCommand({ TransactItems: items }));
      return { ok: true, items: items.length };
    } catch (error) {
      if (error instanceof Error && error.name === 'ValidationException') {
        throw new TransactionRefusedError(error.message);
      }
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      const invalid = reasons.find((r) => r.Code === 'ValidationError');
      if (invalid !== undefined) throw new TransactionRefusedError(invalid.Message ?? 'ValidationError');
      // Unit Puts come first, so reason i is unit i's.
      const staleUnits = tx.units
        .filter((_, i) => reasons[i]?.Code === 'ConditionalCheckFailed')
        .map((u) => u.unitId);
      const conflict = reasons.some((r) => r.Code === 'TransactionConflict');
      if (staleUnits.length === 0 && !conflict) throw error;
      return { ok: false, staleUnits, conflict };
    }
  }

  /**
   * Every aggregate of one experiment: one Query per shard and one of the unsharded partition, in parallel
   * (O(variants × metrics) items each, plus one per doubling a duration metric's values span), merged.
   */
  async readExperimentAggregates(experimentKey: string): Promise<ExperimentAggregates> {
    const variants: Record<string, { units: number; metrics: Record<string, MetricAggregate> }> = {};
    const variantOf = (variant: string) => (variants[variant] ??= { units: 0, metrics: {} });
    const fine = new Map<string, Record<number, number>>();
    for (const item of await this.queryShards((shard) => keys.analytics.experiment(experimentKey, shard))) {
      const { head: variant, tail: metricKey } = splitSortKey(item.sk!.S!);
      const f = numbers(item);
      if (metricKey === UNITS) {
        variantOf(variant).units = f.n ?? 0;
        continue;
      }
      const block = parseFineBlockKey(metricKey);
      if (block !== null) {
        const counts = fine.get(`${variant}#${block.metric}`) ?? {};
        fine.set(`${variant}#${block.metric}`, counts);
        for (const [name, count] of Object.entries(f)) {
          const bucket = fineAttributeBucket(name);
          if (bucket !== null && count !== 0) counts[bucket] = count;
        }
        continue;
      }
      variantOf(variant).metrics[metricKey] = metricAggregate(variant, metricKey, f);
    }
    for (const [key, counts] of fine) {
      const { head: variant, tail: metricKey } = splitSortKey(key);
      const metrics = variantOf(variant).metrics;
      const aggregate = metrics[metricKey] ?? metricAggregate(variant, metricKey, {});
      metrics[metricKey] = { ...aggregate, values: { ...aggregate.values, fine: counts } };
    }
    return { experimentKey, variants };
  }

  /**
   * One flag variation's minute aggregates for the UTC minutes from `fromMinute` to `toMinute`, both included
   * (`2026-01-01T12:34Z`, `minuteOf`), summed: one Query on that range per shard (strongly consistent). Minutes without
   * events have no item and add nothing. Throws a RangeError for a malformed minute or variation, or a range
   * that ends before it starts.
   */
  async readFlagMinutes(
    flagKey: string,
    variation: string,
    fromMinute: UtcMinute,
    toMinute: UtcMinute,
  ): Promise<FlagMinuteTotals> {
    checkRange(variation, fromMinute, toMinute, UTC_MINUTE);
    const items = await this.queryShards(
      (shard) => keys.analytics.flagSafety(flagKey, shard),
      {
        from: keys.analytics.flagSafetyMinute(variation, fromMinute),
        to: keys.analytics.flagSafetyMinute(variation, toMinute),
      },
      FLAG_SHARDS,
    );
    const totals = { errors: 0, requests: 0, latencySum: 0, latencySquares: 0 };
    const histogram: Record<number, number> = {};
    for (const item of items) {
      const f = numbers(item);
      totals.errors += f.err ?? 0;
      totals.requests += f.lat ?? 0;
      totals.latencySum += f.ls ?? 0;
      totals.latencySquares += f.lss ?? 0;
      for (const [bucket, count] of Object.entries(histogramOf(f))) {
        histogram[Number(bucket)] = (histogram[Number(bucket)] ?? 0) + count;
      }
    }
    return { ...totals, histogram, latencyP95: histogramQuantile(histogram, 0.95) };
  }

  /**
   * One flag variation's unit cells for the UTC hours from `fromHour` to `toHour`, both included
   * (`2026-01-01T12Z`, `hourOf`), summed: one Query on that range per shard (strongly consistent). Throws a RangeError
   * for a malformed hour or variation, or a range that ends before it starts.
   */
  async readFlagUnitSums(
    flagKey: string,
    variation: string,
    fromHour: UtcHour,
    toHour: UtcHour,
  ): Promise<FlagUnitSums> {
    checkRange(variation, fromHour, toHour, UTC_HOUR);
    const items = await this.queryShards(
      (shard) => keys.analytics.flagSafety(flagKey, shard),
      {
        from: keys.analytics.flagUnitCell(variation, fromHour),
        to: keys.analytics.flagUnitCell(variation, toHour),
      },
      FLAG_SHARDS,
    );
    const sums = {
      units: 0,
      errors: 0,
      requests: 0,
      latencySum: 0,
      errorSquares: 0,
      requestSquares: 0,
      latencySquares: 0,
      errorRequestProducts: 0,
      latencyRequestProducts: 0,
    };
    for (const item of items) {
      const f = numbers(item);
      sums.units += f.u ?? 0;
      sums.errors += f.e ?? 0;
      sums.requests += f.l ?? 0;
      sums.latencySum += f.s ?? 0;
      sums.errorSquares += f.ee ?? 0;
      sums.requestSquares += f.ll ?? 0;
      sums.latencySquares += f.ss ?? 0;
      sums.errorRequestProducts += f.el ?? 0;
      sums.latencyRequestProducts += f.sl ?? 0;
    }
    return sums;
  }

  /**
   * The items of every shard of an aggregate partition (and of its unsharded partition), read in parallel and
   * merged by sort key: each number the exact sum of the shards' (`sumDecimals`), so the merged items are those
   * one unsharded partition would hold, in sort key order. `expiresAt` (set, not added) is the latest.
   */
  private async queryShards(
    pkOf: (shard: number | undefined) => string,
    range?: { from: string; to: string },
    shards: number = this.shards,
  ): Promise<Record<string, AttributeValue>[]> {
    const parts = await Promise.all(shardsToRead(shards).map((shard) => this.queryAll(pkOf(shard), range)));
    const nonEmpty = parts.filter((items) => items.length > 0);
    if (nonEmpty.length <= 1) return nonEmpty[0] ?? [];
    const bySortKey = new Map<string, Map<string, string[]>>();
    for (const item of nonEmpty.flat()) {
      const sk = item.sk!.S!;
      let fields = bySortKey.get(sk);
      if (fields === undefined) bySortKey.set(sk, (fields = new Map<string, string[]>()));
      for (const [name, value] of Object.entries(item)) {
        if (value.N === undefined) continue;
        const values = fields.get(name);
        if (values === undefined) fields.set(name, [value.N]);
        else values.push(value.N);
      }
    }
    return [...bySortKey.keys()].sort(compareSortKeys).map((sk) => {
      const item: Record<string, AttributeValue> = { pk: { S: pkOf(undefined) }, sk: { S: sk } };
      for (const [name, values] of bySortKey.get(sk)!) {
        item[name] = {
          N: name === 'expiresAt' ? String(Math.max(...values.map(Number))) : sumDecimals(values),
        };
      }
      return item;
    });
  }

  /** Every item of a partition, or those whose sort key is in [range.from, range.to]. */
  private async queryAll(
    pk: string,
    range?: { from: string; to: string },
  ): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: range === undefined ? 'pk = :pk' : 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': { S: pk },
          ...(range === undefined ? {} : { ':from': { S: range.from }, ':to': { S: range.to } }),
        },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) items.push(...(page.Items ?? []));
    return items;
  }
}

/** DynamoDB's order of string sort keys: by UTF-8 bytes. */
function compareSortKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function keyOf(key: { pk: string; sk: string }): Record<string, AttributeValue> {
  return { pk: { S: key.pk }, sk: { S: key.sk } };
}

/**
 * A variation and a range of minutes or hours fit to build sort keys from: a `#` would let a range reach
 * another variation's items, and a bound of another shape would compare wrongly (`12:00:00Z` sorts before
 * `12:00Z`). DynamoDB refuses a BETWEEN whose bounds are reversed; this says why.
 */
function checkRange(variation: string, from: string, to: string, shape: RegExp): void {
  if (variation.length === 0 || variation.includes('#')) {
    throw new RangeError(`variation must be non-empty without '#', got ${JSON.stringify(variation)}`);
  }
  for (const bound of [from, to]) {
    if (!shape.test(bound)) throw new RangeError(`${JSON.stringify(bound)} does not match ${shape.source}`);
  }
  if (from > to) throw new RangeError(`range ends (${to}) before it starts (${from})`);
}

/** `<variant>#<rest>`: variants and variations never contain `#`. */
function splitSortKey(sk: string): { head: string; tail: string } {
  const separator = sk.indexOf('#');
  return { head: sk.slice(0, separator), tail: sk.slice(separator + 1) };
}

function addExpression(delta: AggregateDelta): {
  UpdateExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, AttributeValue>;
} | null {
  const names: Record<string, string> = {};
  const values: Record<string, AttributeValue> = {};
  const parts: string[] = [];
  for (const [field, { delta: d, scale }] of delta) {
    const value = quantize(d, scale);
    if (value === null) continue;
    const i = parts.length;
    names[`#f${i}`] = field;
    values[`:f${i}`] = { N: value };
    parts.push(`#f${i} :f${i}`);
  }
  if (parts.length === 0) return null;
  return {
    UpdateExpression: `ADD ${parts.join(', ')}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** The numeric attributes of an item, as doubles (DynamoDB keeps them as exact decimals). */
function numbers(item: Record<string, AttributeValue>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(item)) if (value.N !== undefined) out[name] = Number(value.N);
  return out;
}

function metricAggregate(variant: string, metricKey: string, f: Record<string, number>): MetricAggregate {
  return {
    variant,
    metricKey,
    n: f.n ?? 0,
    sum: f.sx ?? 0,
    sumSquares: f.sxx ?? 0,
    conversions: f.sx ?? 0,
    covariate: { sum: f.sy ?? 0, sumSquares: f.syy ?? 0, sumProducts: f.sxy ?? 0 },
    ratio: {
      numerator: f.rn ?? 0,
      denominator: f.rd ?? 0,
      numeratorSquares: f.rnn ?? 0,
      denominatorSquares: f.rdd ?? 0,
      products: f.rnd ?? 0,
    },
    values: { count: f.ev ?? 0, sum: f.sv ?? 0, sumSquares: f.svv ?? 0, histogram: histogramOf(f) },
  };
}

function histogramOf(fields: Record<string, number>): Record<number, number> {
  const histogram: Record<number, number> = {};
  for (const [name, count] of Object.entries(fields)) {
    const bucket = attributeBucket(name);
    if (bucket !== null && count !== 0) histogram[bucket] = count;
  }
  return histogram;
}
