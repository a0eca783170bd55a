import { z } from 'zod';
import { EVALUATION_ERROR_CODES, EVALUATION_REASONS } from '../rules';
import { resourceKeySchema } from '../rules/schema';

export const evaluationContextSchema = z
  .record(z.string(), z.unknown())
  .describe('Evaluation context: `targetingKey` (or `userId`) is the default unit; any other attributes');

export const evaluateBodySchema = z
  .strictObject({
    context: evaluationContextSchema,
    flags: z
      .array(resourceKeySchema)
      .max(1000)
      .optional()
      .describe('Evaluate only these flags (default: all)'),
  })
  .meta({ id: 'EvaluateRequest' });

export const evaluationResultSchema = z
  .object({
    flagKey: z.string(),
    value: z.json().nullable(),
    variation: z.string().nullable(),
    reason: z.enum(EVALUATION_REASONS),
    ruleId: z.string().optional(),
    experimentKey: z.string().optional().describe('The running experiment that served this variation'),
    errorCode: z.enum(EVALUATION_ERROR_CODES).optional(),
    errorMessage: z.string().optional(),
  })
  .meta({ id: 'EvaluationResult' });

export const evaluateResponseSchema = z
  .object({ revision: z.number().int(), results: z.array(evaluationResultSchema) })
  .meta({ id: 'EvaluateResponse' });
