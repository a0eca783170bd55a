import { z } from 'zod';
import { EVALUATION_REASONS } from '../rules';

/**
 * The bodies of the OpenFeature Remote Evaluation Protocol as Switchyard answers them, after OFREP's own
 * OpenAPI document (open-feature/protocol `service/openapi.yaml`: evaluationSuccess, evaluationFailure,
 * flagNotFound, bulkEvaluationSuccess, bulkEvaluationFailure). Where we say more than OFREP, it is said here.
 */

const metadataSchema = z
  .record(z.string(), z.union([z.boolean(), z.string(), z.number()]))
  .describe('Flag metadata: `revision` of the ruleset, `ruleId` of the matching rule');

export const ofrepEvaluationSuccessSchema = z
  .object({
    key: z.string(),
    value: z
      .json()
      .describe('The variation’s value: boolean, string, number, or any JSON value for `json` flags'),
    reason: z
      .enum(EVALUATION_REASONS)
      .exclude(['ERROR'])
      .describe(
        'OpenFeature resolution reason. Besides OFREP’s STATIC/TARGETING_MATCH/SPLIT/DISABLED, Switchyard sends ' +
          'DEFAULT (OpenFeature’s reason for the fallthrough) and PREREQUISITE_FAILED',
      ),
    variant: z.string(),
    metadata: metadataSchema.optional(),
  })
  .meta({ id: 'OfrepEvaluationSuccess' });

export const ofrepEvaluationFailureSchema = z
  .object({
    key: z.string(),
    errorCode: z.enum(['PARSE_ERROR', 'TARGETING_KEY_MISSING', 'INVALID_CONTEXT', 'GENERAL']),
    errorDetails: z.string().optional(),
    metadata: metadataSchema.optional(),
  })
  .meta({ id: 'OfrepEvaluationFailure' });

export const ofrepFlagNotFoundSchema = z
  .object({
    key: z.string(),
    errorCode: z.literal('FLAG_NOT_FOUND'),
    errorDetails: z.string().optional(),
    metadata: metadataSchema.optional(),
  })
  .meta({ id: 'OfrepFlagNotFound' });

export const ofrepBulkSuccessSchema = z
  .object({
    flags: z.array(z.union([ofrepEvaluationSuccessSchema, ofrepEvaluationFailureSchema])),
    metadata: metadataSchema.optional(),
  })
  .meta({ id: 'OfrepBulkEvaluationSuccess' });

export const ofrepBulkFailureSchema = z
  .object({ errorCode: z.string(), errorDetails: z.string().optional() })
  .meta({ id: 'OfrepBulkEvaluationFailure' });
