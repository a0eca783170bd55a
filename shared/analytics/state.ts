import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { MAX_EVENT_VALUE, type SwitchyardEvent } from '../events/schema';
import { isLive, type AnalysisConfig } from './config';

/**
 * What the event processor remembers of one unit (one item per unit in the analytics table): its first
 * exposure to each experiment, the events some aggregate can use, deduplicated by eventId, and the
 * contribution it last added to each aggregate. Aggregates are derived from this state alone, so processing
 * is idempotent (an event already in the state changes nothing) and independent of arrival order.
 */

/**
 * Metric events kept per unit (see `keptWindow`): those that count for x first (at or after the unit's earliest
 * live exposure, earliest first), then the pre-exposure ones closest to the exposure (CUPED only).
 */
export const MAX_UNIT_EVENTS = 2000;
/** Error/latency events kept per unit for deduplication (within SAFETY_DEDUP_HOURS). */
export const MAX_UNIT_SAFETY_EVENTS = 1000;
/**
 * Safety aggregates feed a monitor that looks at the last minutes and hours: an error or latency event older
 * than this when processed is not aggregated, and kept events are dropped two hours after it.
 */
export const SAFETY_DEDUP_HOURS = 48;
const SAFETY_ACCEPT_MS = SAFETY_DEDUP_HOURS * 3600_000;
/**
 * Invariant: SAFETY_KEEP_MS ≥ SAFETY_ACCEPT_MS + 1 h, with room to spare. Two things rest on it.
 * - Deduplication: a late duplicate of a dropped id is itself too old to be accepted.
 * - The per-unit cells (`unitCellDeltas`): an accepted event's UTC hour starts less than ACCEPT + 1 h ago, so
 *   every event the unit kept in that hour is still in its state, and the cell's "before" counts are complete.
 * The second hour is a margin for clocks: an invocation whose clock runs behind the one that last wrote the
 * state must still find that hour's events.
 */
const SAFETY_KEEP_MS = SAFETY_ACCEPT_MS + 2 * 3600_000;
/** The compressed state stays below this, well under DynamoDB's 400 KB item limit (see `fitBudget`). */
export const STATE_BYTE_BUDGET = 350 * 1024;
/** A unit state expires this long after its last write. */
export const UNIT_STATE_TTL_DAYS = 120;
/**
 * A batch that touches a unit without changing its state still writes it (a fresh TTL) when its last write is
 * older than this: at most one extra write per unit per month, and a unit with a relevant event at least every
 * UNIT_STATE_TTL_DAYS − UNIT_STATE_REFRESH_DAYS (90) days never expires.
 */
export const UNIT_STATE_REFRESH_DAYS = 30;

/** The `expiresAt` (epoch seconds) of a unit state written at `now` (epoch milliseconds, the wall clock). */
export function unitStateExpiresAt(now: number): number {
  return Math.floor(now / 1000) + UNIT_STATE_TTL_DAYS * 86_400;
}

/** Whether a stored state, touched at `now` (wall clock), must be written again for its TTL's sake. */
export function needsTtlRefresh(state: UnitState, now: number): boolean {
  if (state.version === 0) return false;
  return (state.expiresAt ?? 0) < unitStateExpiresAt(now) - UNIT_STATE_REFRESH_DAYS * 86_400;
}

/**
 * Client values beyond ±MAX_EVENT_VALUE (1e12) count as no value (`value` or a `valueProperty`): aggregates
 * add squares, and DynamoDB refuses numbers past 1e125 or 38 significant digits, which would refuse the whole
 * transaction. The events API refuses such values too; this covers properties and events already on the stream.
 */
export function usableValue(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= MAX_EVENT_VALUE
    ? value
    : undefined;
}

/** Numeric fields of one aggregate (n, sx, sxx, h161…); a missing field is 0. */
export type Fields = Readonly<Record<string, number>>;

export interface StoredExposure {
  readonly variant: string;
  /** Epoch milliseconds. */
  readonly at: number;
  readonly id: string;
}

export interface StoredEvent {
  readonly id: string;
  readonly name: string;
  readonly at: number;
  readonly value?: number;
  /** The numeric properties some metric reads (`valueProperty`), and only those. */
  readonly props?: Readonly<Record<string, number>>;
}

export interface StoredSafetyEvent {
  readonly id: string;
  readonly type: 'error' | 'latency';
  readonly flagKey: string;
  readonly variation: string;
  readonly at: number;
  readonly value?: number;
  /**
   * Kept by a processor that predates the per-unit cells: counted in the minute aggregates (and still used for
   * deduplication), never in a unit cell, so the cells' before/after counts leave it out. Gone within
   * SAFETY_KEEP_MS of the upgrade.
   */
  readonly outsideCells?: true;
}

export interface UnitState {
  readonly unitId: string;
  /** The stored version; 0 when the unit has no item yet. */
  readonly version: number;
  /** The stored item's TTL (epoch seconds), when read from the table. */
  readonly expiresAt?: number;
  /** Experiment key → the first exposure (smallest (at, id)). */
  readonly exposures: Readonly<Record<string, StoredExposure>>;
  /** Sorted by (at, id), at most MAX_UNIT_EVENTS (see `keptWindow`). */
  readonly events: readonly StoredEvent[];
  readonly safety: readonly StoredSafetyEvent[];
  /** Aggregate key → the fields this unit has added to it so far. */
  readonly applied: Readonly<Record<string, Fields>>;
}

export function emptyUnitState(unitId: string): UnitState {
  return { unitId, version: 0, exposures: {}, events: [], safety: [], applied: {} };
}

export interface MergeNotes {
  /**
   * Events of no interest: track events no metric reads, exposures to unknown experiments, error/latency without
   * flag, latency events without a usable value.
   */
  ignored: number;
  /** Metric events beyond MAX_UNIT_EVENTS (those `keptWindow` leaves out), not counted. */
  capped: number;
  /** Error/latency events older than SAFETY_DEDUP_HOURS, not aggregated. */
  staleSafety: number;
  /** Error/latency events beyond MAX_UNIT_SAFETY_EVENTS or the byte budget, not aggregated. */
  safetyFull: number;
}

export interface MergeResult {
  readonly state: UnitState;
  /** Whether anything an aggregate depends on changed (the state must be written). */
  readonly changed: boolean;
  /** Error/latency events that were not in the state: each adds its own contribution to the safety aggregates. */
  readonly newSafety: readonly StoredSafetyEvent[];
  readonly notes: MergeNotes;
}

const before = (a: { at: number; id: string }, b: { at: number; id: string }) =>
  a.at < b.at || (a.at === b.at && a.id < b.id);
const compare = (a: { at: number; id: string }, b: { at: number; id: string }) =>
  before(a, b) ? -1 : before(b, a) ? 1 : 0;

/**
 * Whether an aggregate could use the event: an exposure to a configured experiment, a track event some metric
 * reads, an error/latency event naming a flag and variation. The processor drops the rest before reading any
 * unit state.
 */
export function isRelevant(event: SwitchyardEvent, config: AnalysisConfig): boolean {
  switch (event.type) {
    case 'exposure':
      return config.experiments.has(event.experimentKey);
    case 'track':
      return config.eventNames.has(event.name);
    case 'error':
    case 'latency':
      return event.flagKey !== undefined && event.variation !== undefined;
  }
}

/**
 * Whether an irrelevant event is so only for want of configuration (an experiment or a metric it would need):
 * one created since the configuration was loaded would make it relevant. Error/latency events without a flag
 * never are.
 */
export function mayBecomeRelevant(event: SwitchyardEvent): boolean {
  return event.type === 'exposure' || event.type === 'track';
}

/**
 * The time from which a unit's events count for x: its earliest exposure to a live experiment in one of the
 * experiment's variants (what `contributions` counts); Infinity when it has none yet.
 */
export function countingFrom(
  exposures: Readonly<Record<string, StoredExposure>>,
  config: AnalysisConfig,
): number {
  let from = Infinity;
  for (const [key, exposure] of Object.entries(exposures)) {
    const experiment = config.experiments.get(key);
    if (isLive(experiment) && experiment.variants.includes(exposure.variant))
      from = Math.min(from, exposure.at);
  }
  return from;
}

/**
 * The events a unit keeps when it has more than `max` (`events` sorted by (at, id)): first those at or after
 * `from` (they count for x), earliest first — windows start at the exposure — then those before it, latest
 * first (the CUPED covariate looks back from the exposure). That is the contiguous run of `max` events starting
 * at `from`, or the last `max` events when fewer than `max` are after it. A total order on (at, eventId), so for
 * a given exposure the kept set does not depend on arrival order, and a late duplicate of a dropped event is
 * dropped again.
 */
export function keptWindow(
  events: readonly StoredEvent[],
  from: number,
  max: number,
): readonly StoredEvent[] {
  if (events.length <= max) return events;
  let first = events.findIndex((e) => e.at >= from);
  if (first === -1) first = events.length;
  const start = Math.min(first, events.length - max);
  return events.slice(start, start + max);
}

/**
 * Adds a batch's events to a unit's state (a pure function of the state, the events, the configuration and
 * `now`, which only decides which error/latency events are too old). Duplicates change nothing.
 */
export function mergeEvents(
  state: UnitState,
  incoming: readonly SwitchyardEvent[],
  config: AnalysisConfig,
  now: number,
): MergeResult {
  const notes: MergeNotes = { ignored: 0, capped: 0, staleSafety: 0, safetyFull: 0 };
  const exposures: Record<string, StoredExposure> = { ...state.exposures };
  let exposuresChanged = false;
  const eventIds = new Set(state.events.map((e) => e.id));
  const added: StoredEvent[] = [];
  const safety = state.safety.filter((e) => e.at >= now - SAFETY_KEEP_MS);
  const safetyIds = new Set(state.safety.map((e) => e.id));
  const newSafety: StoredSafetyEvent[] = [];

  for (const event of incoming) {
    const at = Date.parse(event.timestamp);
    switch (event.type) {
      case 'exposure': {
        if (!config.experiments.has(event.experimentKey)) {
          notes.ignored++;
          break;
        }
        const candidate = { variant: event.variant, at, id: event.eventId };
        const current = exposures[event.experimentKey];
        if (current === undefined || before(candidate, current)) {
          exposures[event.experimentKey] = candidate;
          exposuresChanged = true;
        }
        break;
      }
      case 'track': {
        const properties = config.eventNames.get(event.name);
        if (properties === undefined) {
          notes.ignored++;
          break;
        }
        if (eventIds.has(event.eventId)) break;
        eventIds.add(event.eventId);
        const props: Record<string, number> = {};
        for (const name of properties) {
          const value = usableValue(event.properties?.[name]);
          if (value !== undefined) props[name] = value;
        }
        const value = usableValue(event.value);
        added.push({
          id: event.eventId,
          name: event.name,
          at,
          ...(value === undefined ? {} : { value }),
          ...(Object.keys(props).length > 0 ? { props } : {}),
        });
        break;
      }
      case 'error':
      case 'latency': {
        const value = usableValue(event.value);
        if (
          event.flagKey === undefined ||
          event.variation === undefined ||
          (event.type === 'latency' && value === undefined)
        ) {
          notes.ignored++;
          break;
        }
        if (safetyIds.has(event.eventId)) break;
        if (at < now - SAFETY_ACCEPT_MS) {
          notes.staleSafety++;
          break;
        }
        if (safety.length >= MAX_UNIT_SAFETY_EVENTS) {
          notes.safetyFull++;
          break;
        }
        safetyIds.add(event.eventId);
        const stored: StoredSafetyEvent = {
          id: event.eventId,
          type: event.type,
          flagKey: event.flagKey,
          variation: event.variation,
          at,
          ...(value === undefined ? {} : { value }),
        };
        safety.push(stored);
        newSafety.push(stored);
        break;
      }
    }
  }

  let events = state.events;
  if (added.length > 0) {
    const all = [...state.events, ...added].sort(compare);
    const kept = keptWindow(all, countingFrom(exposures, config), MAX_UNIT_EVENTS);
    notes.capped += all.length - kept.length;
    const same = kept.length === state.events.length && kept.every((e, i) => e.id === state.events[i]!.id);
    if (!same) events = kept;
  }
  const changed = exposuresChanged || events !== state.events || newSafety.length > 0;
  return {
    state: { ...state, exposures, events, safety: changed ? safety : state.safety },
    changed,
    newSafety,
    notes,
  };
}

/* ---------- Storage: one compressed JSON body per unit ---------- */

interface StoredBody {
  /** experimentKey → [variant, at, id] */
  x: Record<string, [string, number, string]>;
  /** event name → property names and the events as [id, at, value | null, …property values | null] */
  e: Record<string, { p: string[]; l: (string | number | null)[][] }>;
  /**
   * flag variations, the safety events as [id, 'e' | 'l', variation index, at, value | null], and the ids of
   * those outside the unit cells (`o`; absent in bodies written before the cells existed: all of them).
   */
  s: { f: [string, string][]; l: [string, string, number, number, number | null][]; o?: string[] };
  a: Record<string, Fields>;
}

export function encodeState(state: UnitState): Buffer {
  const x: StoredBody['x'] = {};
  for (const [key, e] of Object.entries(state.exposures)) x[key] = [e.variant, e.at, e.id];
  const e: StoredBody['e'] = {};
  for (const event of state.events) {
    let group = e[event.name];
    if (group === undefined) {
      group = { p: [], l: [] };
      e[event.name] = group;
    }
    for (const name of Object.keys(event.props ?? {})) if (!group.p.includes(name)) group.p.push(name);
  }
  for (const event of state.events) {
    const group = e[event.name]!;
    group.l.push([event.id, event.at, event.value ?? null, ...group.p.map((p) => event.props?.[p] ?? null)]);
  }
  const flags: [string, string][] = [];
  const flagIndex = new Map<string, number>();
  const l = state.safety.map((event): [string, string, number, number, number | null] => {
    const key = `${event.flagKey}\u0000${event.variation}`;
    let index = flagIndex.get(key);
    if (index === undefined) {
      index = flags.push([event.flagKey, event.variation]) - 1;
      flagIndex.set(key, index);
    }
    return [event.id, event.type === 'error' ? 'e' : 'l', index, event.at, event.value ?? null];
  });
  const o = state.safety.filter((event) => event.outsideCells === true).map((event) => event.id);
  const body: StoredBody = { x, e, s: { f: flags, l, o }, a: state.applied };
  return deflateRawSync(JSON.stringify(body));
}

export function decodeState(unitId: string, version: number, data: Uint8Array): UnitState {
  const body = JSON.parse(inflateRawSync(data).toString('utf8')) as StoredBody;
  const exposures: Record<string, StoredExposure> = {};
  for (const [key, [variant, at, id]] of Object.entries(body.x)) exposures[key] = { variant, at, id };
  const events: StoredEvent[] = [];
  for (const [name, group] of Object.entries(body.e)) {
    for (const [id, at, value, ...values] of group.l) {
      const props: Record<string, number> = {};
      group.p.forEach((p, i) => {
        const v = values[i];
        if (typeof v === 'number') props[p] = v;
      });
      events.push({
        id: id as string,
        name,
        at: at as number,
        ...(typeof value === 'number' ? { value } : {}),
        ...(Object.keys(props).length > 0 ? { props } : {}),
      });
    }
  }
  events.sort(compare);
  const outside = body.s.o === undefined ? undefined : new Set(body.s.o);
  const safety = body.s.l.map(([id, type, index, at, value]): StoredSafetyEvent => {
    const [flagKey, variation] = body.s.f[index]!;
    return {
      id,
      type: type === 'e' ? 'error' : 'latency',
      flagKey,
      variation,
      at,
      ...(value === null ? {} : { value }),
      ...(outside === undefined || outside.has(id) ? { outsideCells: true } : {}),
    };
  });
  return { unitId, version, exposures, events, safety, applied: body.a };
}

export interface FittedState {
  readonly state: UnitState;
  readonly body: Buffer;
  /** The new error/latency events still in the state (those dropped to fit are not aggregated). */
  readonly newSafety: readonly StoredSafetyEvent[];
  /** Metric events dropped to fit (those `keptWindow` leaves out). */
  readonly trimmed: number;
  readonly safetyDropped: number;
}

/**
 * Encodes a merged state within STATE_BYTE_BUDGET. The caps keep real units far below it (2000 events
 * compress to ~60 KB); a unit with huge names or properties is brought under it by, first, not keeping (nor
 * aggregating) this batch's new error/latency events, then keeping fewer metric events (10 % fewer per step,
 * chosen as the cap chooses them: `keptWindow`). Either is logged by the caller; `contributions` is computed
 * from what is kept, so aggregates always match the stored state.
 */
export function fitBudget(
  merged: UnitState,
  newSafety: readonly StoredSafetyEvent[],
  config: AnalysisConfig,
  budget = STATE_BYTE_BUDGET,
): FittedState {
  let state = merged;
  let fresh = newSafety;
  let body = encodeState(state);
  let safetyDropped = 0;
  if (body.length > budget && fresh.length > 0) {
    const ids = new Set(fresh.map((e) => e.id));
    state = { ...state, safety: state.safety.filter((e) => !ids.has(e.id)) };
    safetyDropped = fresh.length;
    fresh = [];
    body = encodeState(state);
  }
  let trimmed = 0;
  const from = countingFrom(state.exposures, config);
  while (body.length > budget && state.events.length > 0) {
    const keep = Math.floor(state.events.length * 0.9);
    trimmed += state.events.length - keep;
    state = { ...state, events: keptWindow(state.events, from, keep) };
    body = encodeState(state);
  }
  if (body.length > budget) {
    throw new Error(
      `unit ${state.unitId}: state of ${body.length} bytes exceeds ${budget} without metric events`,
    );
  }
  return { state, body, newSafety: fresh, trimmed, safetyDropped };
}
