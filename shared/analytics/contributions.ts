import { isLive, type AnalysisConfig, type AnalysisMetric } from './config';
import { bucketAttribute, bucketOf, fineBlockOf, fineBucketAttribute, fineBucketOf } from './histogram';
import { usableValue, type Fields, type StoredEvent, type StoredSafetyEvent, type UnitState } from './state';

/**
 * A unit's contribution to every aggregate, as a pure function of its state and the configuration.
 *
 * For each experiment the unit was exposed to (first exposure; the experiment still configured and not
 * archived; the variant one of its variants): `<variant>/$units` gets n = 1, and each of the experiment's
 * metrics gets the unit's value x, computed from the events named `metric.eventName` with
 * exposure ≤ timestamp < exposure + window (no window: no upper bound):
 *
 * | type         | x                                   | fields                                              |
 * | ------------ | ----------------------------------- | --------------------------------------------------- |
 * | conversion   | 1 if any such event, else 0          | n = 1, sx, sxx, and the covariate sums sy, syy, sxy  |
 * | count        | number of events                     | same                                                |
 * | sum          | sum of values (no value counts as 0) | same                                                |
 * | mean         | mean of the events' values           | same, only when ≥ 1 valued event; plus the ratio     |
 * |              |                                      | sums rn = Σvalues, rd = #values, rnn, rdd, rnd       |
 * | duration_p95 | (the values themselves)              | n = 1 when ≥ 1 valued event; ev = #values, sv, svv   |
 * |              |                                      | and a log-bucket histogram h<i> (histogram.ts); the  |
 * |              |                                      | fine histogram q<f> in `<metric>#q<doubling>` items   |
 *
 * A value is `properties[metric.valueProperty]` when the metric names one (a number, else no value), else the
 * event's `value`; beyond ±1e12 it is no value (`usableValue`). The CUPED covariate y is the same metric computed over the events before exposure — within
 * the window's length before it when the metric has a window, else all of them — with y = 0 for a mean metric
 * without earlier values (CUPED only needs y to be unaffected by the assignment, which anything before
 * exposure is). duration_p95 has no covariate. Events before a unit's exposure never count in x.
 */

/** The sort key suffix of an experiment's exposure counts. */
export const UNITS = '$units';

/** `experimentKey/variant/metricKey` — none of the three may contain a `/`. */
export function aggregateKey(experimentKey: string, variant: string, metricKey: string): string {
  return `${experimentKey}/${variant}/${metricKey}`;
}

/**
 * `experimentKey/variant/metricKey`, where metricKey may name a block of a metric's fine histogram
 * (`latency#q10`, `fineBlockKey`): `metric` is then the metric itself.
 */
export function parseAggregateKey(key: string): {
  experimentKey: string;
  variant: string;
  metricKey: string;
  metric: string;
} {
  const [experimentKey = '', variant = '', metricKey = ''] = key.split('/');
  return { experimentKey, variant, metricKey, metric: metricKey.split('#')[0]! };
}

/** The aggregate (metric key part) of one block of a metric's fine histogram: metric keys never hold `#`. */
export function fineBlockKey(metricKey: string, block: number): string {
  return `${metricKey}#q${block}`;
}

/** The metric and block of a `fineBlockKey`, or null for a metric key. */
export function parseFineBlockKey(metricKey: string): { metric: string; block: number } | null {
  const match = /^([^#]+)#q(\d+)$/.exec(metricKey);
  return match === null ? null : { metric: match[1]!, block: Number(match[2]) };
}

export function contributions(
  state: Pick<UnitState, 'exposures' | 'events'>,
  config: AnalysisConfig,
): Map<string, Fields> {
  const out = new Map<string, Fields>();
  let byName: Map<string, StoredEvent[]> | undefined;
  for (const [experimentKey, exposure] of Object.entries(state.exposures)) {
    const experiment = config.experiments.get(experimentKey);
    if (!isLive(experiment) || !experiment.variants.includes(exposure.variant)) continue;
    out.set(aggregateKey(experimentKey, exposure.variant, UNITS), { n: 1 });
    for (const metricKey of experiment.metrics) {
      const metric = config.metrics.get(metricKey);
      if (metric === undefined) continue;
      byName ??= groupByName(state.events);
      const events = byName.get(metric.eventName) ?? [];
      const fields = metricFields(metric, events, exposure.at);
      if (fields !== null) out.set(aggregateKey(experimentKey, exposure.variant, metricKey), fields);
      if (metric.type !== 'duration_p95' || fields === null) continue;
      for (const [block, counts] of fineHistogram(metric, events, exposure.at)) {
        out.set(aggregateKey(experimentKey, exposure.variant, fineBlockKey(metricKey, block)), counts);
      }
    }
  }
  return out;
}

function groupByName(events: readonly StoredEvent[]): Map<string, StoredEvent[]> {
  const byName = new Map<string, StoredEvent[]>();
  for (const event of events) {
    const list = byName.get(event.name);
    if (list === undefined) byName.set(event.name, [event]);
    else list.push(event);
  }
  return byName;
}

function valueOf(event: StoredEvent, metric: AnalysisMetric): number | undefined {
  // States merged before values were bounded may still hold larger ones.
  return usableValue(metric.valueProperty === undefined ? event.value : event.props?.[metric.valueProperty]);
}

/** The unit's value from `events` for one metric type; null when the unit has none (mean, duration_p95). */
function unitValue(metric: AnalysisMetric, events: readonly StoredEvent[]): number | null {
  switch (metric.type) {
    case 'conversion':
      return events.length > 0 ? 1 : 0;
    case 'count':
      return events.length;
    case 'sum':
      return events.reduce((sum, e) => sum + (valueOf(e, metric) ?? 0), 0);
    case 'mean':
    case 'duration_p95': {
      const values = valued(events, metric);
      return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
    }
  }
}

function valued(events: readonly StoredEvent[], metric: AnalysisMetric): number[] {
  const values: number[] = [];
  for (const e of events) {
    const v = valueOf(e, metric);
    if (v !== undefined) values.push(v);
  }
  return values;
}

function windowOf(metric: AnalysisMetric): number {
  return metric.window === undefined ? Infinity : metric.window.hours * 3600_000;
}

/** The events that count in a unit's value: exposure ≤ timestamp < exposure + window. */
function afterExposure(metric: AnalysisMetric, events: readonly StoredEvent[], exposedAt: number) {
  const windowMs = windowOf(metric);
  return events.filter((e) => e.at >= exposedAt && e.at < exposedAt + windowMs);
}

/** A duration metric's values in the fine histogram: per block (doubling), the counts q<f>. */
function fineHistogram(
  metric: AnalysisMetric,
  events: readonly StoredEvent[],
  exposedAt: number,
): Map<number, Fields> {
  const blocks = new Map<number, Record<string, number>>();
  for (const v of valued(afterExposure(metric, events, exposedAt), metric)) {
    const bucket = fineBucketOf(v);
    const block = blocks.get(fineBlockOf(bucket)) ?? {};
    blocks.set(fineBlockOf(bucket), block);
    const name = fineBucketAttribute(bucket);
    block[name] = (block[name] ?? 0) + 1;
  }
  return blocks;
}

function metricFields(
  metric: AnalysisMetric,
  events: readonly StoredEvent[],
  exposedAt: number,
): Fields | null {
  const windowMs = windowOf(metric);
  const post = afterExposure(metric, events, exposedAt);
  if (metric.type === 'duration_p95') {
    const values = valued(post, metric);
    if (values.length === 0) return null;
    const fields: Record<string, number> = { n: 1, ev: values.length, sv: 0, svv: 0 };
    for (const v of values) {
      fields.sv! += v;
      fields.svv! += v * v;
      const bucket = bucketAttribute(bucketOf(v));
      fields[bucket] = (fields[bucket] ?? 0) + 1;
    }
    return nonZero(fields);
  }
  const x = unitValue(metric, post);
  if (x === null) return null;
  const pre = events.filter((e) => e.at < exposedAt && e.at >= exposedAt - windowMs);
  const y = unitValue(metric, pre) ?? 0;
  const fields: Record<string, number> = { n: 1, sx: x, sxx: x * x, sy: y, syy: y * y, sxy: x * y };
  if (metric.type === 'mean') {
    const values = valued(post, metric);
    const rn = values.reduce((a, b) => a + b, 0);
    const rd = values.length;
    Object.assign(fields, { rn, rd, rnn: rn * rn, rdd: rd * rd, rnd: rn * rd });
  }
  return nonZero(fields);
}

function nonZero(fields: Record<string, number>): Fields {
  for (const key of Object.keys(fields)) if (fields[key] === 0) delete fields[key];
  return fields;
}

/** The safety aggregate an error/latency event adds to: its flag, variation and UTC minute. */
export function safetyKey(event: Pick<StoredSafetyEvent, 'flagKey' | 'variation' | 'at'>): string {
  return `${event.flagKey}/${event.variation}/${minuteOf(event.at)}`;
}

export function parseSafetyKey(key: string): { flagKey: string; variation: string; minute: string } {
  const [flagKey = '', variation = '', minute = ''] = key.split('/');
  return { flagKey, variation, minute };
}

/** `2026-01-01T12:34Z`. */
export function minuteOf(at: number): string {
  return `${new Date(at).toISOString().slice(0, 16)}Z`;
}

/**
 * One error/latency event's contribution (not tied to exposure): err = 1 for an error; for a latency,
 * lat = 1, ls = value, lss = value², and its histogram bucket.
 */
export function safetyFields(event: StoredSafetyEvent): Fields {
  if (event.type === 'error') return { err: 1 };
  const v = event.value ?? 0;
  return nonZero({ lat: 1, ls: v, lss: v * v, [bucketAttribute(bucketOf(v))]: 1 });
}

/** `2026-01-01T12Z`: the UTC hour of a unit cell, as `minuteOf` gives the minute. */
export function hourOf(at: number): string {
  return `${new Date(at).toISOString().slice(0, 13)}Z`;
}

/** The epoch milliseconds at which an `hourOf` hour starts. */
export function hourStart(hour: string): number {
  return Date.parse(`${hour.slice(0, 13)}:00Z`);
}

/** The unit cell an error/latency event belongs to: its flag, variation and UTC hour. */
export function unitCellKey(event: Pick<StoredSafetyEvent, 'flagKey' | 'variation' | 'at'>): string {
  return `${event.flagKey}/${event.variation}/${hourOf(event.at)}`;
}

export function parseUnitCellKey(key: string): { flagKey: string; variation: string; hour: string } {
  const [flagKey = '', variation = '', hour = ''] = key.split('/');
  return { flagKey, variation, hour };
}

/**
 * One unit's share of a unit cell, from its error/latency events of one flag, variation and hour: with
 * e = its error events, l = its latency events (requests) and s = the sum of its latencies, u = 1 (none when
 * it has no event there), e, l, s, and the squares and products the delta method needs (ee = e², ll = l²,
 * ss = s², el = e·l, sl = s·l). Summed over units, a cell lets the safety monitor treat the unit-hour as
 * the unit of analysis: the ratios errors ÷ requests and latency ÷ requests with cluster-robust variances.
 */
export function unitCellFields(events: readonly StoredSafetyEvent[]): Fields {
  if (events.length === 0) return {};
  let e = 0;
  let l = 0;
  let s = 0;
  for (const event of events) {
    if (event.type === 'error') e++;
    else {
      l++;
      s += event.value ?? 0;
    }
  }
  return nonZero({ u: 1, e, l, s, ee: e * e, ll: l * l, ss: s * s, el: e * l, sl: s * l });
}

/**
 * What a unit's new error/latency events add to the unit cells: for each cell they touch, the unit's fields
 * with them less its fields without them (`kept`: the events already counted, i.e. in its state and not
 * `outsideCells`). So u grows by 1 only with the unit's first event in the cell, and squares by
 * after² − before²: the cell always holds the sums over units of their current figures, exactly once (a
 * duplicate is no new event) and whatever the order the events came in. `kept` is complete for every hour a
 * new event can fall in: see SAFETY_KEEP_MS in state.ts.
 */
export function unitCellDeltas(
  kept: readonly StoredSafetyEvent[],
  fresh: readonly StoredSafetyEvent[],
): Map<string, AggregateDelta> {
  const freshByCell = new Map<string, StoredSafetyEvent[]>();
  for (const event of fresh) {
    const key = unitCellKey(event);
    freshByCell.set(key, [...(freshByCell.get(key) ?? []), event]);
  }
  const out = new Map<string, AggregateDelta>();
  for (const [key, added] of freshByCell) {
    const { flagKey, variation } = added[0]!;
    const before = kept.filter(
      (event) =>
        event.flagKey === flagKey &&
        event.variation === variation &&
        event.outsideCells !== true &&
        unitCellKey(event) === key,
    );
    const delta = fieldDeltas(unitCellFields(before), unitCellFields([...before, ...added]));
    if (delta.size > 0) out.set(key, delta);
  }
  return out;
}

/** One field's change, and the magnitude it came from (what the write rounds against: store.ts). */
export interface FieldDelta {
  delta: number;
  scale: number;
}

export type AggregateDelta = Map<string, FieldDelta>;

/**
 * What must be added to the aggregates so they hold the unit's new contributions, and the contributions to
 * remember. An aggregate the unit contributed to but no longer does (an earlier exposure moved it to another
 * variant, the cap dropped its events) gets the old contribution taken off — when its experiment is live and
 * still has the metric. Otherwise (archived or removed experiment, metric taken off) it is frozen: nothing
 * changes and the unit keeps remembering what it added.
 */
export function unitDelta(
  applied: Readonly<Record<string, Fields>>,
  target: ReadonlyMap<string, Fields>,
  config: AnalysisConfig,
): { deltas: Map<string, AggregateDelta>; applied: Record<string, Fields> } {
  const deltas = new Map<string, AggregateDelta>();
  const next: Record<string, Fields> = {};
  for (const [key, fields] of target) {
    next[key] = fields;
    const delta = fieldDeltas(applied[key] ?? {}, fields);
    if (delta.size > 0) deltas.set(key, delta);
  }
  for (const [key, old] of Object.entries(applied)) {
    if (target.has(key)) continue;
    if (isFrozen(key, config)) {
      next[key] = old;
      continue;
    }
    const delta = fieldDeltas(old, {});
    if (delta.size > 0) deltas.set(key, delta);
  }
  return { deltas, applied: next };
}

function isFrozen(key: string, config: AnalysisConfig): boolean {
  const { experimentKey, metric } = parseAggregateKey(key);
  const experiment = config.experiments.get(experimentKey);
  if (!isLive(experiment)) return true;
  return metric !== UNITS && !(experiment.metrics.includes(metric) && config.metrics.has(metric));
}

function fieldDeltas(from: Fields, to: Fields): AggregateDelta {
  const out: AggregateDelta = new Map();
  for (const name of new Set([...Object.keys(from), ...Object.keys(to)])) {
    const a = from[name] ?? 0;
    const b = to[name] ?? 0;
    if (a !== b) out.set(name, { delta: b - a, scale: Math.max(Math.abs(a), Math.abs(b)) });
  }
  return out;
}
