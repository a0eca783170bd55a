import { windowFigures, type FlagHealthStore } from '../safety/health';
import type { TriggerMetric } from './triggers';

/** Measures `metric` triggers (see TRIGGER_METRICS in triggers.ts) and decides whether one is met. */

export interface MetricTrigger {
  readonly metric: string;
  readonly maxValue?: number | undefined;
  readonly minValue?: number | undefined;
  readonly minSampleSize: number;
}

export interface StageMeasure {
  /** null before any request (error_rate) or latency value (latency_p95). */
  readonly value: number | null;
  readonly sampleSize: number;
}

/** Reads the figures of a metric trigger; the rollouts service is given one when it can evaluate them. */
export interface StageMetrics {
  measure(
    schedule: { readonly flagKey: string; readonly variation: string; readonly stageStartedAt: string },
    metric: TriggerMetric,
    now: Date,
  ): Promise<StageMeasure>;
}

export class AnalyticsStageMetrics implements StageMetrics {
  constructor(private readonly store: FlagHealthStore) {}

  async measure(
    schedule: { readonly flagKey: string; readonly variation: string; readonly stageStartedAt: string },
    metric: TriggerMetric,
    now: Date,
  ): Promise<StageMeasure> {
    const figures = await windowFigures(
      this.store,
      schedule.flagKey,
      schedule.variation,
      Date.parse(schedule.stageStartedAt),
      now,
    );
    const value =
      metric === 'error_rate'
        ? figures.requests > 0
          ? figures.errors / figures.requests
          : null
        : figures.latencyP95Ms;
    return { value, sampleSize: figures.requests };
  }
}

/** Met once the sample is large enough and the value is within both bounds (inclusive). */
export function isMetricTriggerMet(trigger: MetricTrigger, measure: StageMeasure): boolean {
  if (measure.sampleSize < trigger.minSampleSize || measure.value === null) return false;
  if (trigger.maxValue !== undefined && measure.value > trigger.maxValue) return false;
  return trigger.minValue === undefined || measure.value >= trigger.minValue;
}

/** Why the ramp waits, for logs and the schedule's answer. */
export function metricTriggerStatus(trigger: MetricTrigger, measure: StageMeasure): string {
  if (measure.sampleSize < trigger.minSampleSize) {
    return `${trigger.metric}: ${measure.sampleSize} of ${trigger.minSampleSize} requests measured`;
  }
  const bound = [
    trigger.minValue === undefined ? null : `≥ ${trigger.minValue}`,
    trigger.maxValue === undefined ? null : `≤ ${trigger.maxValue}`,
  ]
    .filter((b) => b !== null)
    .join(' and ');
  return `${trigger.metric} = ${measure.value ?? 'no value'} (needs ${bound})`;
}
