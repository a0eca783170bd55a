import { z } from 'zod';
import { itemKeySchema, resourceKeySchema } from '../rules/schema';
import { parseDuration } from './triggers';

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

/** Part of SPEC §2.6's shape so that clients can be told plainly; refused on write until it is evaluated. */
const metricTriggerSchema = z.strictObject({
  type: z.literal('metric'),
  metric: resourceKeySchema,
  maxValue: z.number().optional(),
  minValue: z.number().optional(),
  minSampleSize: z.number().int().min(1),
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
    if (stage.trigger.type === 'metric') {
      ctx.addIssue({
        code: 'custom',
        path: ['stages', i, 'trigger', 'type'],
        message: 'metric triggers are not supported yet: use time, at or manual',
      });
    }
  });
}

/** A whole schedule as a client describes it: POST's body, and what PUT's body is merged into. */
export const rolloutInputSchema = rolloutFieldsSchema.superRefine(checkStages).meta({ id: 'RolloutInput' });
