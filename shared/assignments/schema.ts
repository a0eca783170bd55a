import * as z from 'zod';
import { evaluationContextSchema } from '../evaluation/schema';
import { unitIdSchema } from '../events/schema';
import { ASSIGNMENT_REASONS } from '../rules';
import { resourceKeySchema } from '../rules/schema';

export const assignBodySchema = z
  .strictObject({
    unitId: unitIdSchema
      .optional()
      .describe('The unit to assign; default each experiment’s unitAttribute of the context'),
    context: evaluationContextSchema
      .optional()
      .describe('Attributes for eligibility conditions (and the unit)'),
    experiments: z
      .array(resourceKeySchema)
      .min(1)
      .max(100)
      .optional()
      .describe('Only these experiments (default: every running one)'),
  })
  .refine((body) => body.unitId !== undefined || body.context !== undefined, {
    message: 'needs unitId or context',
  })
  .meta({ id: 'AssignRequest' });
export type AssignBody = z.output<typeof assignBodySchema>;

export const assignmentSchema = z
  .object({
    experimentKey: z.string(),
    variant: z.string().nullable(),
    payload: z.json().nullable(),
    inExperiment: z.boolean(),
    reason: z.enum(ASSIGNMENT_REASONS),
  })
  .meta({ id: 'Assignment' });

export const assignResponseSchema = z
  .object({ revision: z.number().int(), assignments: z.array(assignmentSchema) })
  .meta({ id: 'AssignResponse' });
