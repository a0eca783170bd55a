import { z } from 'zod';
import { resourceKeySchema } from '../rules/schema';

export const resultsParams = z.strictObject({ key: resourceKeySchema });

export const resultsQuerySchema = z.strictObject({
  cuped: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe('CUPED variance reduction, with each unit’s pre-exposure value of the metric as covariate'),
});

const interval = z.tuple([z.number(), z.number()]).readonly().nullable();
const nullableNumber = z.number().nullable();

/** The response, for the OpenAPI document (the service builds it from typed aggregates). */
export const experimentResultsSchema = z
  .object({
    experimentKey: z.string(),
    status: z.string(),
    generatedAt: z.string(),
    alpha: z.number(),
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
                pValue: nullableNumber,
                chanceToBeatControl: nullableNumber,
                sequentialPValue: nullableNumber.describe('Always valid (mixture SPRT): safe to peek'),
                significant: z.boolean(),
              }),
            )
            .readonly(),
          problem: z.string().optional().describe('Why a metric with data has no comparison'),
        }),
      )
      .readonly(),
    verdict: z.object({
      status: z.enum(['NO_DATA', 'SAMPLE_RATIO_MISMATCH', 'WINNER', 'LOSER', 'INCONCLUSIVE']),
      message: z.string(),
    }),
  })
  .meta({ id: 'ExperimentResults' });
