import * as z from 'zod';
import { describeBytes, LIST_PAGE_BYTES } from '../config/limits';
import { patchBodyOf, replaceBodyOf, versionedFields, type Versioned } from '../config/versioning';
import { pageSchema, paginationQuery } from '../pagination';
import { resourceKeySchema } from '../rules/schema';
import { segmentFieldsSchema, type SegmentInput } from './schema';

export const segmentSchema = segmentFieldsSchema.extend(versionedFields).meta({ id: 'Segment' });
export type Segment = SegmentInput & Versioned;

export const segmentKeyParams = z.strictObject({ key: resourceKeySchema });
export const replaceSegmentBodySchema = replaceBodyOf(segmentFieldsSchema.omit({ key: true })).meta({
  id: 'SegmentReplace',
});
/** PATCH: only the fields that change. */
export const patchSegmentBodySchema = patchBodyOf(segmentFieldsSchema.omit({ key: true })).meta({
  id: 'SegmentPatch',
});
export const listSegmentsQuerySchema = z.strictObject({
  ...paginationQuery.shape,
  tag: z.string().min(1).max(64).optional(),
  q: z.string().min(1).max(200).optional(),
});
/**
 * A segment as a list page shows it: whole, or — past the page's byte budget — without its id lists, with
 * their lengths (read the segment by key for them).
 */
export const segmentListItemSchema = segmentSchema
  .extend({
    included: z.array(z.string()).optional(),
    excluded: z.array(z.string()).optional(),
    listsOmitted: z
      .literal(true)
      .optional()
      .describe(
        `Set when the page passed ${describeBytes(LIST_PAGE_BYTES)}: included and excluded are left out ` +
          '(GET the segment for them; never PUT this item back as it is)',
      ),
    includedCount: z.number().int().optional().describe('With listsOmitted: how many ids are included'),
    excludedCount: z.number().int().optional().describe('With listsOmitted: how many ids are excluded'),
  })
  .meta({ id: 'SegmentListItem' });
export type SegmentListItem = z.infer<typeof segmentListItemSchema>;
export const segmentPageSchema = pageSchema(segmentListItemSchema);
