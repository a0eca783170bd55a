import { hourOf, minuteOf } from '../analytics/contributions';
import type { AnalyticsStore } from '../analytics/store';
import type { VariationFigures, WindowFigures } from './decision';

/** What the monitor and the rollout triggers read from the analytics table (shared/analytics/store.ts). */
export type FlagHealthStore = Pick<AnalyticsStore, 'readFlagMinutes' | 'readFlagUnitSums'>;

const MINUTE_MS = 60_000;

/**
 * One variation's figures for the decision rule: the last `windowMinutes` whole UTC minutes up to and including
 * the current one (error and latency events, p95), and the per-unit sums since `since` (a stage's start), read
 * from the unit-hour cells of the hour it falls in onwards: up to 59 minutes of the stage before count with it, in
 * both variations alike.
 */
export async function variationFigures(
  store: FlagHealthStore,
  flagKey: string,
  variation: string,
  options: { readonly windowMinutes: number; readonly since: string; readonly now: Date },
): Promise<VariationFigures> {
  const { windowMinutes, since, now } = options;
  const [window, sinceStage] = await Promise.all([
    windowFigures(store, flagKey, variation, now.getTime() - (windowMinutes - 1) * MINUTE_MS, now),
    store.readFlagUnitSums(
      flagKey,
      variation,
      hourOf(Math.min(Date.parse(since), now.getTime())),
      hourOf(now.getTime()),
    ),
  ]);
  return { variation, window, sinceStage };
}

/** Error and latency events of one variation from the minute of `from` to the minute of `now`, both included. */
export async function windowFigures(
  store: FlagHealthStore,
  flagKey: string,
  variation: string,
  from: number,
  now: Date,
): Promise<WindowFigures> {
  const totals = await store.readFlagMinutes(
    flagKey,
    variation,
    minuteOf(Math.min(from, now.getTime())),
    minuteOf(now.getTime()),
  );
  return { requests: totals.requests, errors: totals.errors, latencyP95Ms: totals.latencyP95 };
}
