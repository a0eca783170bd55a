import * as z from 'zod';
import { unitIdTooLong } from '../assignments/units';
import { MAX_UNIT_ID_LENGTH } from '../events/schema';
import { EVALUATION_ERROR_CODES, EVALUATION_REASONS } from '../rules';
import { resourceKeySchema } from '../rules/schema';

export const evaluationContextSchema = z
  .record(z.string(), z.unknown())
  .superRefine((context, ctx) => {
    // The one unit-id rule (shared/events/schema.ts): an experiment's unit attribute is checked by the services.
    for (const attribute of ['targetingKey', 'userId']) {
      const value = context[attribute];
      if (typeof value === 'string' && value.length > MAX_UNIT_ID_LENGTH) {
        ctx.addIssue({ code: 'custom', path: [attribute], message: unitIdTooLong(value.length) });
      }
    }
  })
  .describe(
    `Evaluation context: \`targetingKey\` (or \`userId\`) is the default unit; any other attributes. A unit id ` +
      `(targetingKey, userId, an experiment's unit attribute) takes at most ${MAX_UNIT_ID_LENGTH} characters, ` +
      'as events do',
  );

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
