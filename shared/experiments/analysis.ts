import * as z from 'zod';

/**
 * How an experiment's results are judged (SPEC §2.5 "Decisions"): chosen before it starts and locked from then
 * on (lifecycle.ts), because a rule picked after looking at the data is no rule. docs/statistics.md explains
 * each setting to analysts.
 */
export const ARM_CORRECTIONS = ['holm', 'bonferroni', 'none'] as const;
export const SECONDARY_CORRECTIONS = ['benjamini-hochberg', 'none'] as const;

export const DEFAULT_ALPHA = 0.05;
export const DEFAULT_POWER = 0.8;

export const analysisSettingsSchema = z
  .strictObject({
    alpha: z
      .number()
      .min(0.001)
      .max(0.2)
      .default(DEFAULT_ALPHA)
      .describe('Two-sided significance level of the decisions (family-wise across treatment arms)'),
    sequential: z
      .boolean()
      .default(true)
      .describe(
        'true: decide from always-valid p-values and confidence sequences, safe to read at any time; ' +
          'false: fixed horizon, no verdict before the planned sample size',
      ),
    correction: z
      .enum(ARM_CORRECTIONS)
      .default('holm')
      .describe('Multiple-comparison correction across treatment arms (primary and guardrail metrics)'),
    secondaryCorrection: z
      .enum(SECONDARY_CORRECTIONS)
      .default('benjamini-hochberg')
      .describe('False-discovery control across the secondary metrics’ comparisons'),
    minimumDetectableEffect: z
      .number()
      .gt(0)
      .max(10)
      .optional()
      .describe(
        'Smallest relative change of the primary metric worth detecting (0.05 = ±5 %); plans the sample size',
      ),
    power: z
      .number()
      .min(0.5)
      .max(0.99)
      .default(DEFAULT_POWER)
      .describe('Chance of detecting an effect of minimumDetectableEffect'),
    baseline: z
      .strictObject({
        mean: z
          .number()
          .refine((v) => v !== 0, 'must not be 0: the effect is relative to it')
          .describe(
            'Expected control mean of the primary metric (its conversion rate for a conversion metric)',
          ),
        standardDeviation: z
          .number()
          .gt(0)
          .optional()
          .describe('Per-unit standard deviation of the primary metric; not needed for a conversion metric'),
      })
      .optional()
      .describe('What the plan assumes of the primary metric before there is data'),
  })
  .superRefine((settings, ctx) => {
    // A fixed horizon must be fixed before the start: the planned sample size may not depend on the data.
    if (settings.sequential) return;
    if (settings.minimumDetectableEffect === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['minimumDetectableEffect'],
        message: 'is required with sequential: false (it plans the sample size the verdict waits for)',
      });
    }
    if (settings.baseline === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['baseline'],
        message: 'is required with sequential: false (it plans the sample size the verdict waits for)',
      });
    }
  })
  .meta({ id: 'ExperimentAnalysis' });

export type AnalysisSettings = z.output<typeof analysisSettingsSchema>;

/** The settings of an experiment, with the defaults for experiments stored before settings existed. */
export function analysisOf(experiment: {
  readonly analysis?: AnalysisSettings | undefined;
}): AnalysisSettings {
  return experiment.analysis ?? analysisSettingsSchema.parse({});
}
