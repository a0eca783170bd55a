import * as z from 'zod';
import { itemKeySchema, resourceKeySchema } from '../rules/schema';
import { isTriggerMetric, parseDuration, TRIGGER_METRICS } from './triggers';

/** Basis points: 1/100 of a percent; 10 000 is everyone. */
export const BASIS_POINTS = 10_000;
export const MAX_STAGES = 20;

const timeTriggerSchema = z.strictObject({
  type: z.literal('time'),
  after: z
    .string()
    .refine((text) => parseDuration(text) !== null, {
      message: 'must be an ISO-8601 duration in weeks, days, hours, minutes or seconds (PT0S, PT30M, P1D)',
    })
    .describe('ISO-8601 duration after the previous stage began (PT0S: at once); no years or months'),
});

const atTriggerSchema = z.strictObject({
  type: z.literal('at'),
  timestamp: z.iso.datetime({ offset: true }).describe('Enter the stage at this instant (not in the past)'),
});

const manualTriggerSchema = z.strictObject({ type: z.literal('manual') });

/**
 * Enters the stage once the rolled-out variation, measured since the current stage began, has `minSampleSize`
 * requests and its figure is within the bound(s): SPEC §2.7's built-in `error_rate` (0–1) or `latency_p95` (ms),
 * from the error/latency events that name the flag and variation (shared/rollouts/metric-trigger.ts).
 */
const metricTriggerSchema = z
  .strictObject({
    type: z.literal('metric'),
    metric: z.string().describe(`One of ${TRIGGER_METRICS.join(', ')}`),
    maxValue: z.number().min(0).optional().describe('Enter once the figure is at most this'),
    minValue: z.number().min(0).optional().describe('Enter once the figure is at least this'),
    minSampleSize: z.int().min(1).max(10_000_000).describe('Requests measured since the stage began'),
  })
  .superRefine((trigger, ctx) => {
    if (!isTriggerMetric(trigger.metric)) {
      ctx.addIssue({
        code: 'custom',
        path: ['metric'],
        message:
          `unknown metric ${JSON.stringify(trigger.metric)}: a metric trigger measures ${TRIGGER_METRICS.join(' or ')} ` +
          '(metric definitions need per-flag exposures, which are not recorded)',
      });
    }
    if (trigger.maxValue === undefined && trigger.minValue === undefined) {
      ctx.addIssue({ code: 'custom', path: ['maxValue'], message: 'give maxValue, minValue or both' });
    }
    if (trigger.metric === 'error_rate') {
      for (const bound of ['maxValue', 'minValue'] as const) {
        const value = trigger[bound];
        if (value !== undefined && value > 1) {
          ctx.addIssue({ code: 'custom', path: [bound], message: 'an error rate is between 0 and 1' });
        }
      }
    }
    if (
      trigger.maxValue !== undefined &&
      trigger.minValue !== undefined &&
      trigger.minValue > trigger.maxValue
    ) {
      ctx.addIssue({ code: 'custom', path: ['minValue'], message: 'must not be above maxValue' });
    }
  });

export const triggerSchema = z
  .discriminatedUnion('type', [timeTriggerSchema, atTriggerSchema, manualTriggerSchema, metricTriggerSchema])
  .meta({ id: 'RolloutTrigger' });

export const stageSchema = z
  .strictObject({
    percentage: z
      .number()
      .int()
      .min(0)
      .max(BASIS_POINTS)
      .describe('Basis points of the fallthrough served the rolled-out variation; non-decreasing'),
    trigger: triggerSchema,
  })
  .meta({ id: 'RolloutStage' });
export type Stage = z.infer<typeof stageSchema>;

/** Every field a client sets (SPEC §2.6); `key` is the schedule's id, generated when left out. */
export const rolloutFieldsSchema = z.strictObject({
  key: resourceKeySchema.optional().describe('The id; default `ro-<uuid>`'),
  flagKey: resourceKeySchema.describe('The flag whose fallthrough the schedule ramps'),
  variation: itemKeySchema.describe('The variation being rolled out: one of the flag’s variation keys'),
  stages: z.array(stageSchema).min(1).max(MAX_STAGES),
  startAt: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('When the job starts the schedule; without it, `advance` does'),
});
export type RolloutInput = z.infer<typeof rolloutFieldsSchema>;

/** Rules across fields, each on the field at fault. */
function checkStages(input: Pick<RolloutInput, 'stages'>, ctx: z.RefinementCtx): void {
  input.stages.forEach((stage, i) => {
    const previous = input.stages[i - 1];
    if (previous !== undefined && stage.percentage < previous.percentage) {
      ctx.addIssue({
        code: 'custom',
        path: ['stages', i, 'percentage'],
        message: `must not decrease (stage ${i - 1} has ${previous.percentage})`,
      });
    }
  });
}

/** A whole schedule as a client describes it: POST's body, and what PUT's body is merged into. */
export const rolloutInputSchema = rolloutFieldsSchema.superRefine(checkStages).meta({ id: 'RolloutInput' });
