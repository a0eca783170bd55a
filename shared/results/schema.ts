import * as z from 'zod';
import { analysisSettingsSchema } from '../experiments/analysis';
import { resourceKeySchema } from '../rules/schema';
import { VERDICT_STATUSES } from './verdict';

export const resultsParams = z.strictObject({ key: resourceKeySchema });

export const resultsQuerySchema = z.strictObject({
  cuped: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe(
      'CUPED variance reduction, with each unit’s pre-exposure value of the metric as covariate; applied only ' +
        'where such data exist, and never changing a metric’s test',
    ),
  dailyUnits: z.coerce
    .number()
    .positive()
    .max(1e12)
    .optional()
    .describe(
      'Eligible units per day (before traffic allocation and layer range), for the plan’s expected duration; ' +
        'default: the rate measured since the start',
    ),
});

const interval = z.tuple([z.number(), z.number()]).readonly().nullable();
const nullableNumber = z.number().nullable();
const armOnMetric = z.object({ variant: z.string(), metricKey: z.string() });

/** The response, for the OpenAPI document (the service builds it from typed aggregates). */
export const experimentResultsSchema = z
  .object({
    experimentKey: z.string(),
    status: z.string(),
    generatedAt: z.string(),
    alpha: z.number().describe('The decisions’ α (analysis.alpha); fixed-horizon intervals are at 1 − alpha'),
    analysis: analysisSettingsSchema.describe('The settings the results are judged by'),
    variants: z
      .array(z.object({ key: z.string(), isControl: z.boolean(), weight: z.number(), units: z.number() }))
      .readonly(),
    sampleRatioMismatch: z.object({
      chiSquare: nullableNumber,
      pValue: z.number(),
      threshold: z.number(),
      mismatch: z.boolean(),
    }),
    metrics: z
      .array(
        z.object({
          metricKey: z.string(),
          name: z.string(),
          type: z.string(),
          direction: z.string(),
          role: z.enum(['primary', 'secondary', 'guardrail']),
          test: z.string().nullable(),
          cuped: z.object({ theta: z.number() }).nullable(),
          variants: z
            .array(
              z.object({
                variant: z.string(),
                isControl: z.boolean(),
                units: z.number(),
                mean: nullableNumber,
                variance: nullableNumber,
                conversions: z.number().optional(),
                p95: nullableNumber.optional(),
                quantiles: z
                  .array(
                    z.object({
                      quantile: z.number(),
                      value: nullableNumber.describe(
                        'Within quantiles.relativeError of the exact sample quantile',
                      ),
                      bracket: interval.describe('The histogram bucket that holds the exact sample quantile'),
                      interval: interval.describe(
                        'Covers the population quantile with probability ≥ 1 − alpha (order statistics)',
                      ),
                    }),
                  )
                  .readonly()
                  .optional()
                  .describe('duration_p95: p50, p95 and p99 of the values'),
              }),
            )
            .readonly(),
          comparisons: z
            .array(
              z.object({
                variant: z.string(),
                test: z.string(),
                absoluteEffect: nullableNumber,
                absoluteCI: interval,
                relativeEffect: nullableNumber,
                relativeCI: interval,
                standardError: nullableNumber,
                statistic: nullableNumber,
                degreesOfFreedom: nullableNumber,
                pValue: nullableNumber.describe(
                  'Fixed horizon: valid only when read once, at the planned sample size',
                ),
                chanceToBeatControl: nullableNumber,
                sequentialPValue: nullableNumber.describe('Always valid (mixture SPRT), at this read'),
                mixingVariance: nullableNumber.describe('τ² of the mixture behind the always-valid figures'),
                significant: z
                  .boolean()
                  .describe('Significant under the experiment’s decision rule (see decision)'),
                alwaysValidPValue: nullableNumber.describe(
                  'Running minimum of the always-valid p-value over every read: stored, it never rises',
                ),
                harmPValue: nullableNumber.describe(
                  'Running minimum of the always-valid one-sided p-value for harm (the metric moving the bad way)',
                ),
                confidenceSequence: interval.describe(
                  'Running intersection of the confidence sequences of absoluteEffect, at decision.sequenceLevel',
                ),
                adjustedPValue: nullableNumber.describe(
                  'The decision’s p-value, corrected within its family',
                ),
                outcome: z.enum(['better', 'worse', 'inconclusive']),
              }),
            )
            .readonly(),
          decision: z.object({
            basis: z.enum(['always-valid', 'fixed-horizon', 'always-valid-harm']),
            correction: z.enum(['holm', 'bonferroni', 'benjamini-hochberg', 'none']),
            alpha: z.number(),
            sequenceLevel: z
              .number()
              .describe('Coverage of the confidence sequences, simultaneous across arms'),
          }),
          quantiles: z
            .object({
              tested: z.number(),
              resolution: z.enum(['fine', 'coarse']),
              relativeError: z.number().describe('Largest relative distance to the exact sample quantile'),
            })
            .optional(),
          problem: z.string().optional().describe('Why a metric with data has no comparison'),
          notes: z.array(z.string()).readonly().optional(),
        }),
      )
      .readonly(),
    plan: z
      .object({
        metricKey: z.string(),
        sequential: z.boolean(),
        minimumDetectableEffect: z.number(),
        power: z.number(),
        alphaPerComparison: z.number(),
        baseline: z.object({
          mean: z.number(),
          standardDeviation: z.number(),
          source: z.enum(['settings', 'control']),
        }),
        variants: z
          .array(
            z.object({
              variant: z.string(),
              plannedUnits: z.number(),
              units: z.number(),
              achievedPower: nullableNumber,
            }),
          )
          .readonly(),
        totalUnits: z.number(),
        progress: z.number(),
        reached: z.boolean(),
        unitsPerDay: nullableNumber.describe('Units entering the experiment per day'),
        unitsPerDaySource: z.enum(['query', 'measured']).nullable(),
        expectedDays: nullableNumber,
        remainingDays: nullableNumber,
        achievedPower: nullableNumber.describe(
          'The smallest power over the treatments at the units seen so far',
        ),
      })
      .nullable()
      .describe('The primary metric’s plan (analysis.minimumDetectableEffect)'),
    verdict: z.object({
      status: z.enum(VERDICT_STATUSES),
      message: z.string(),
      winners: z.array(z.string()).readonly().optional(),
      worse: z.array(armOnMetric).readonly().optional(),
      harms: z.array(armOnMetric).readonly().optional(),
    }),
  })
  .meta({ id: 'ExperimentResults' });
