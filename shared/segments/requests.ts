import { z } from 'zod';
import { pageSchema, paginationQuery } from '../pagination';
import { resourceKeySchema } from '../rules/schema';
import { segmentFieldsSchema, type SegmentInput } from './schema';

export const segmentSchema = segmentFieldsSchema
  .extend({
    createdBy: z.string(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    version: z.number().int().min(1),
  })
  .meta({ id: 'Segment' });
export type Segment = SegmentInput & {
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  version: number;
};

export const segmentKeyParams = z.strictObject({ key: resourceKeySchema });
const versionField = z.number().int().min(1).optional().describe('The version you read (or send If-Match)');
export const replaceSegmentBodySchema = segmentFieldsSchema
  .omit({ key: true })
  .extend({ version: versionField })
  .meta({ id: 'SegmentReplace' });
/** PATCH: only the fields that change (defaults removed first: `.partial()` would apply them). */
const fields = segmentFieldsSchema.shape;
export const patchSegmentBodySchema = segmentFieldsSchema
  .omit({ key: true })
  .extend({
    description: fields.description.removeDefault(),
    tags: fields.tags.removeDefault(),
    included: fields.included.removeDefault(),
    excluded: fields.excluded.removeDefault(),
  })
  .partial()
  .extend({ version: versionField })
  .meta({ id: 'SegmentPatch' });
export const listSegmentsQuerySchema = z.strictObject({
  ...paginationQuery.shape,
  tag: z.string().min(1).max(64).optional(),
  q: z.string().min(1).max(200).optional(),
});
export const segmentPageSchema = pageSchema(segmentSchema);
