import * as z from 'zod';
import { EVALUATION_REASONS } from '../rules';
import { OFREP_FAILURE_CODES, OFREP_REASONS, OFREP_REQUEST_ERRORS } from './ofrep';
import { evaluationContextSchema } from './schema';

/**
 * The OFREP bodies for the route table and the API document, after OFREP's own OpenAPI document
 * (open-feature/protocol `service/openapi.yaml`: evaluationRequest, evaluationSuccess, evaluationFailure,
 * flagNotFound, bulkEvaluationSuccess, bulkEvaluationFailure). The answers themselves are built in ./ofrep.ts.
 */

/** Any key: one that cannot exist (too long, odd characters) is simply not found (404 FLAG_NOT_FOUND). */
export const ofrepKeyParams = z.strictObject({ key: z.string() });

/** What the OFREP routes receive: the body's text, read by ./ofrep.ts so that its errors are OFREP's. */
export const ofrepBodyText = z.string().optional();

export const ofrepRequestSchema = z
  .object({ context: evaluationContextSchema })
  .meta({ id: 'OfrepRequest', description: 'OFREP evaluation request: the evaluation context' });

const metadataSchema = z
  .record(z.string(), z.union([z.boolean(), z.string(), z.number()]))
  .describe(
    'Flag metadata: `flagDigest` (the flag’s change identity: it changes when this flag’s answers may change, ' +
      'never because another flag changed), `switchyardReason` (our reason: ' +
      `${EVALUATION_REASONS.filter((r) => r !== 'ERROR').join(', ')}), ` +
      '`ruleId` of the matching rule, `experimentKey` of the experiment that served it, `switchyardErrorCode` on failures',
  );

export const ofrepEvaluationSuccessSchema = z
  .object({
    key: z.string(),
    value: z
      .union([z.boolean(), z.string(), z.number(), z.record(z.string(), z.json())])
      .describe(
        'The variation’s value: boolean, string, number or object (a `json` flag serving an array or null ' +
          'answers GENERAL instead: OFREP cannot carry those)',
      ),
    reason: z
      .enum(OFREP_REASONS)
      .describe(
        'OFREP’s reason; ours is in `metadata.switchyardReason`. DEFAULT (the fallthrough) is STATIC for a flag ' +
          'that serves everyone the same variation and UNKNOWN otherwise; PREREQUISITE_FAILED is DISABLED ' +
          '(the off variation is served)',
      ),
    variant: z.string(),
    metadata: metadataSchema,
  })
  .meta({ id: 'OfrepEvaluationSuccess' });

export const ofrepEvaluationFailureSchema = z
  .object({
    key: z.string(),
    errorCode: z.enum(OFREP_FAILURE_CODES),
    errorDetails: z.string(),
    metadata: metadataSchema.optional(),
  })
  .meta({ id: 'OfrepEvaluationFailure' });

export const ofrepFlagNotFoundSchema = z
  .object({
    key: z.string(),
    errorCode: z.literal('FLAG_NOT_FOUND'),
    errorDetails: z.string(),
  })
  .meta({ id: 'OfrepFlagNotFound' });

export const ofrepBulkSuccessSchema = z
  .object({ flags: z.array(z.union([ofrepEvaluationSuccessSchema, ofrepEvaluationFailureSchema])) })
  .meta({ id: 'OfrepBulkEvaluationSuccess' });

export const ofrepBulkFailureSchema = z
  .object({ errorCode: z.enum(OFREP_REQUEST_ERRORS), errorDetails: z.string() })
  .meta({ id: 'OfrepBulkEvaluationFailure' });
