import * as z from 'zod';
import { describeBytes, MAX_RESOURCE_BYTES } from '../config/limits';
import { unitIdSchema } from '../events/schema';
import { conditionSchema, resourceKeySchema, segmentClausePaths, tagsSchema } from '../rules/schema';

/**
 * A segment as a client sends it on create (SPEC §2.2): a reusable audience of explicit unit ids and/or
 * conditions. A unit is in the segment when it is included, or matches the conditions, and is not excluded.
 * Segment conditions may not use in_segment/not_in_segment (no nesting, no cycles).
 */
export const MAX_SEGMENT_UNITS = 10_000;

const unitListSchema = z
  .array(unitIdSchema)
  .max(MAX_SEGMENT_UNITS)
  .default([])
  .superRefine((ids, ctx) => {
    const seen = new Set<string>();
    ids.forEach((id, i) => {
      if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [i], message: 'repeats an id' });
      seen.add(id);
    });
  });

const listLimits =
  `at most ${MAX_SEGMENT_UNITS} ids of 1–256 characters; the whole segment at most ` +
  `${describeBytes(MAX_RESOURCE_BYTES)} of JSON (e.g. 10 000 included plus 10 000 excluded ids of 43 characters)`;

export const segmentFieldsSchema = z.strictObject({
  key: resourceKeySchema,
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).default(''),
  tags: tagsSchema.default([]),
  conditions: conditionSchema.optional(),
  included: unitListSchema.describe(`Unit ids always in the segment (${listLimits})`),
  excluded: unitListSchema.describe(`Unit ids never in the segment, whatever else says (${listLimits})`),
});

type SegmentFields = z.infer<typeof segmentFieldsSchema>;

/** Cross-field rules: no segment operators in the conditions, no id both included and excluded. */
export function checkSegmentConsistency(
  segment: Pick<SegmentFields, 'conditions' | 'included' | 'excluded'>,
  ctx: z.RefinementCtx,
): void {
  if (segment.conditions !== undefined) {
    for (const path of segmentClausePaths(segment.conditions)) {
      ctx.addIssue({
        code: 'custom',
        path: ['conditions', ...path],
        message: 'segment conditions cannot refer to segments',
      });
    }
  }
  const included = new Set(segment.included);
  segment.excluded.forEach((id, i) => {
    if (included.has(id))
      ctx.addIssue({ code: 'custom', path: ['excluded', i], message: 'is also included' });
  });
}

export const segmentInputSchema = segmentFieldsSchema
  .superRefine(checkSegmentConsistency)
  .meta({ id: 'SegmentInput' });

export type SegmentInput = z.infer<typeof segmentInputSchema>;
