import { systemChange } from '../audit/actor';
import { logger } from '../observability';
import { assessHealth, type HealthAssessment, type VariationFigures } from './decision';
import { variationFigures, type FlagHealthStore } from './health';
import type { FlagHealth, RollbackRecord } from './schema';
import type { MonitoredFlag, SafetyService } from './service';

/**
 * The safety monitor (SPEC §2.7; an EventBridge rule every minute, a timer on the local platform): judges every
 * monitored flag with the decision rule (decision.ts) and rolls back, as `system:safety`, the flags whose guarded
 * variation breaches. Which variations are guarded, against what:
 *
 * - a flag ramped by a rollout (ACTIVE or PAUSED): the rolled-out variation, against the variation it replaces
 *   since the current stage began — while the stage leaves the control any share; at 100 % absolute limits only;
 * - a flag monitored by its own config, without a rollout: every variation but the off variation (what a rollback
 *   serves), absolute limits only — there is no randomized control to compare with.
 *
 * Exactly once per breach, however often it runs: SafetyService.rollBack does nothing when there is nothing left to
 * roll back (the rollout already rolled back, the flag already off), so a breach seen again adds no record and no
 * notification.
 */

export interface GuardedHealth {
  readonly guarded: VariationFigures;
  readonly control: VariationFigures | null;
  readonly assessment: HealthAssessment;
}

export interface FlagAssessment {
  readonly flagKey: string;
  readonly healthy: boolean;
  /** The breached checks of every guarded variation, or null when healthy. */
  readonly reason: string | null;
  readonly variations: readonly GuardedHealth[];
}

export interface MonitorResult {
  readonly monitored: number;
  /** Flags found breaching (rolled back or not). */
  readonly breached: string[];
  /** Flags this run rolled back (a record and a notification each). */
  readonly rolledBack: string[];
  /** Flags that could not be judged or rolled back (logged); the others are not held up. */
  readonly failed: string[];
}

/** Flags judged at once: each reads a few items; bounded so a stage with many flags does not flood DynamoDB. */
const CONCURRENCY = 16;

/** The figures and verdict of one monitored flag at `now`. */
export async function assessFlag(
  store: FlagHealthStore,
  monitored: MonitoredFlag,
  now: Date,
): Promise<FlagAssessment> {
  const { flag, effective, rollout } = monitored;
  const thresholds = {
    maxErrorRate: effective.maxErrorRate,
    maxLatencyP95Ms: effective.maxLatencyP95Ms,
    maxRelativeRegression: effective.maxRelativeRegression,
    minSampleSize: effective.minSampleSize,
    alpha: effective.alpha,
  };
  const since = rollout?.stageStartedAt ?? now.toISOString();
  const figures = (variation: string) =>
    variationFigures(store, flag.key, variation, { windowMinutes: effective.windowMinutes, since, now });

  const pairs: { guarded: string; control: string | null }[] = [];
  if (rollout !== null) {
    const share = rollout.stages[rollout.currentStage]?.percentage ?? 0;
    const control =
      rollout.replacedVariation !== undefined && share < 10_000 ? rollout.replacedVariation : null;
    pairs.push({ guarded: rollout.variation, control });
  } else {
    for (const v of flag.variations) {
      if (v.key !== flag.offVariation) pairs.push({ guarded: v.key, control: null });
    }
  }
  const variations = await Promise.all(
    pairs.map(async ({ guarded, control }): Promise<GuardedHealth> => {
      const [g, c] = await Promise.all([figures(guarded), control === null ? null : figures(control)]);
      return {
        guarded: g,
        control: c,
        assessment: assessHealth({ thresholds, guarded: g, control: c ?? undefined }),
      };
    }),
  );
  const reasons = variations.flatMap((v) => (v.assessment.reason === null ? [] : [v.assessment.reason]));
  return {
    flagKey: flag.key,
    healthy: reasons.length === 0,
    reason: reasons.length === 0 ? null : reasons.join('; '),
    variations,
  };
}

/**
 * What a rollback record keeps of the figures: per guarded variation, its figures, its control's and the checks —
 * as the JSON document it is stored as (no undefined fields).
 */
export function snapshotOf(assessment: FlagAssessment, now: Date): MetricsSnapshot {
  const snapshot = {
    at: now.toISOString(),
    variations: assessment.variations.map((v) => ({
      guarded: v.guarded,
      control: v.control,
      checks: v.assessment.checks,
    })),
  };
  return JSON.parse(JSON.stringify(snapshot)) as MetricsSnapshot;
}

type MetricsSnapshot = NonNullable<RollbackRecord['metricsSnapshot']>;

/** The report's view of a flag's health (SafetyReport.flags[].health). */
export async function flagHealth(
  store: FlagHealthStore,
  monitored: MonitoredFlag,
  now: Date,
): Promise<FlagHealth> {
  const assessment = await assessFlag(store, monitored, now);
  return {
    healthy: assessment.healthy,
    reason: assessment.reason,
    variations: assessment.variations.map((v) => ({
      guarded: v.guarded,
      control: v.control,
      checks: [...v.assessment.checks],
    })),
  };
}

/** One run of the monitor at `now`. */
export async function monitorSafety(
  service: Pick<SafetyService, 'monitoredFlags' | 'rollBack'>,
  store: FlagHealthStore,
  requestId: string,
  now: Date = new Date(),
): Promise<MonitorResult> {
  const result: MonitorResult = { monitored: 0, breached: [], rolledBack: [], failed: [] };
  const monitored = await service.monitoredFlags();
  Object.assign(result, { monitored: monitored.length });
  const context = systemChange('safety', requestId);
  let next = 0;
  const worker = async () => {
    while (next < monitored.length) {
      const m = monitored[next++]!;
      try {
        const assessment = await assessFlag(store, m, now);
        if (assessment.healthy) continue;
        result.breached.push(m.flag.key);
        if (!m.effective.autoRollback) {
          logger.warn('safety breach, auto-rollback off', { flagKey: m.flag.key, reason: assessment.reason });
          continue;
        }
        const record = await service.rollBack(
          m.flag.key,
          { trigger: 'auto', reason: assessment.reason!, metricsSnapshot: snapshotOf(assessment, now) },
          { context },
          now,
        );
        if (record !== null) result.rolledBack.push(m.flag.key);
      } catch (error) {
        logger.error('safety monitor could not judge or roll back a flag', { flagKey: m.flag.key, error });
        result.failed.push(m.flag.key);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, monitored.length) }, worker));
  return result;
}
