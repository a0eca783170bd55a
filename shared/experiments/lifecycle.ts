import { ConflictError } from '../errors';
import { analysisOf, type AnalysisSettings } from './analysis';

/** SPEC §2.4: DRAFT → ACTIVE → PAUSED ↔ ACTIVE → COMPLETED → ARCHIVED, nothing else. */
export const EXPERIMENT_STATUSES = ['DRAFT', 'ACTIVE', 'PAUSED', 'COMPLETED', 'ARCHIVED'] as const;
export type ExperimentStatus = (typeof EXPERIMENT_STATUSES)[number];

export const EXPERIMENT_ACTIONS = ['start', 'pause', 'resume', 'complete', 'archive'] as const;
export type ExperimentAction = (typeof EXPERIMENT_ACTIONS)[number];

const TRANSITIONS: Record<ExperimentAction, { from: readonly ExperimentStatus[]; to: ExperimentStatus }> = {
  start: { from: ['DRAFT'], to: 'ACTIVE' },
  pause: { from: ['ACTIVE'], to: 'PAUSED' },
  resume: { from: ['PAUSED'], to: 'ACTIVE' },
  complete: { from: ['ACTIVE', 'PAUSED'], to: 'COMPLETED' },
  archive: { from: ['COMPLETED'], to: 'ARCHIVED' },
};

/** Statuses in which the experiment runs (or may run again): its assignment-defining fields are locked. */
export const LOCKED_STATUSES: readonly ExperimentStatus[] = ['ACTIVE', 'PAUSED'];

/** Statuses whose layer range no longer counts: another experiment may take it. */
export const FINISHED_STATUSES: readonly ExperimentStatus[] = ['COMPLETED', 'ARCHIVED'];

export function allowedActions(status: ExperimentStatus): ExperimentAction[] {
  return EXPERIMENT_ACTIONS.filter((a) => TRANSITIONS[a].from.includes(status));
}

export function canTransition(status: ExperimentStatus, action: ExperimentAction): boolean {
  return TRANSITIONS[action].from.includes(status);
}

export interface Lifecycle {
  readonly key: string;
  readonly status: ExperimentStatus;
  readonly startedAt?: string;
  readonly endedAt?: string;
}

/**
 * The experiment after `action` at `now`: the new status, `startedAt` on the first start, `endedAt` on
 * completion. Pure: the caller (a person's request or the scheduler) stores and audits it. An illegal
 * action throws a ConflictError naming the actions allowed from the current status; callers that must be
 * idempotent (the scheduler) check canTransition first.
 */
export function transition<T extends Lifecycle>(experiment: T, action: ExperimentAction, now: Date): T {
  const { from, to } = TRANSITIONS[action];
  if (!from.includes(experiment.status)) {
    const allowed = allowedActions(experiment.status);
    throw new ConflictError(
      `experiment ${experiment.key} is ${experiment.status}: cannot ${action}; ` +
        (allowed.length === 0 ? 'no action is allowed' : `allowed: ${allowed.join(', ')}`),
      { status: experiment.status, action, allowed },
    );
  }
  const at = now.toISOString();
  return {
    ...experiment,
    status: to,
    ...(action === 'start' ? { startedAt: experiment.startedAt ?? at } : {}),
    ...(action === 'complete' ? { endedAt: at } : {}),
  };
}

/** The unfinished experiments (DRAFT, ACTIVE, PAUSED) that serve a flag's variations: one at most, by design. */
export function servingFlag<
  E extends { readonly flagKey?: string | undefined; readonly status: ExperimentStatus },
>(experiments: readonly E[], flagKey: string): E[] {
  return experiments.filter((e) => e.flagKey === flagKey && !FINISHED_STATUSES.includes(e.status));
}

/** What locking compares: the fields that decide who gets which variant, and what is measured. */
export interface LockedFields {
  readonly status: ExperimentStatus;
  readonly variants: readonly { key: string; weight: number; isControl: boolean }[];
  readonly unitAttribute: string;
  readonly salt?: string | undefined;
  readonly flagKey?: string | undefined;
  readonly primaryMetric?: string | undefined;
  readonly secondaryMetrics: readonly string[];
  readonly guardrailMetrics: readonly string[];
  readonly layer?: string | undefined;
  readonly layerRange?: readonly [number, number] | undefined;
  readonly trafficAllocation: number;
  readonly analysis?: AnalysisSettings | undefined;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A flat settings object with its keys in one order (undefined values drop out of JSON either way). */
const sortedKeys = (value: object) =>
  Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)));

/**
 * While ACTIVE or PAUSED (SPEC §2.4): variants (keys, weights, control), unitAttribute, salt, flagKey, layer and
 * layerRange are locked, and trafficAllocation may only grow. The metrics are locked too: results are
 * aggregated as events arrive, so a metric added mid-run would miss every unit seen before it. The analysis
 * settings are locked in every status after DRAFT. Throws a ConflictError naming the field.
 */
export function checkLockedFields(before: LockedFields, after: Omit<LockedFields, 'status'>): void {
  // The analysis settings are locked from the start for good: results are judged by them ever after, and the
  // running bounds kept for them (shared/results/bounds.ts) hold for those settings only.
  // Compared by content: DynamoDB does not keep the order of a map's keys, so their JSON text may differ.
  if (before.status !== 'DRAFT' && !same(sortedKeys(analysisOf(before)), sortedKeys(analysisOf(after)))) {
    throw new ConflictError(
      `analysis is locked once the experiment has started (it is ${before.status}): results are judged by ` +
        'the settings chosen before the first look',
      { field: 'analysis' },
    );
  }
  if (!LOCKED_STATUSES.includes(before.status)) return;
  const locked = (field: string) =>
    new ConflictError(`${field} is locked while the experiment is ${before.status}`, { field });
  const shape = (v: LockedFields['variants']) =>
    v.map(({ key, weight, isControl }) => ({ key, weight, isControl }));
  if (!same(shape(before.variants), shape(after.variants))) throw locked('variants');
  if (before.unitAttribute !== after.unitAttribute) throw locked('unitAttribute');
  if (before.salt !== after.salt) throw locked('salt');
  if (before.flagKey !== after.flagKey) throw locked('flagKey');
  if (before.primaryMetric !== after.primaryMetric) throw locked('primaryMetric');
  if (!same(before.secondaryMetrics, after.secondaryMetrics)) throw locked('secondaryMetrics');
  if (!same(before.guardrailMetrics, after.guardrailMetrics)) throw locked('guardrailMetrics');
  if (before.layer !== after.layer) throw locked('layer');
  if (!same(before.layerRange, after.layerRange)) throw locked('layerRange');
  if (after.trafficAllocation < before.trafficAllocation) {
    throw new ConflictError(
      `trafficAllocation may only grow while the experiment is ${before.status} ` +
        `(${before.trafficAllocation} → ${after.trafficAllocation} refused)`,
      { field: 'trafficAllocation' },
    );
  }
}

/** Two [start, end) ranges share at least one bucket. */
export function rangesOverlap(a: readonly [number, number], b: readonly [number, number]): boolean {
  return a[0] < b[1] && b[0] < a[1];
}
