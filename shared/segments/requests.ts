import * as z from 'zod';
import { describeBytes, LIST_PAGE_BYTES } from '../config/limits';
import { tagFilter, textFilter, versionedRequests } from '../config/requests';
import { versionedFields, type Versioned } from '../config/versioning';
import { segmentFieldsSchema, segmentInputSchema, type SegmentInput } from './schema';

export const segmentSchema = segmentFieldsSchema.extend(versionedFields).meta({ id: 'Segment' });
export type Segment = SegmentInput & Versioned;

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

export const segmentRequests = versionedRequests('Segment', {
  input: segmentInputSchema,
  resource: segmentSchema,
  editable: segmentFieldsSchema.omit({ key: true }),
  filters: { tag: tagFilter, q: textFilter },
  listItem: segmentListItemSchema,
});
