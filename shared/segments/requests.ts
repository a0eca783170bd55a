import { z } from 'zod';
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
export const segmentPageSchema = pageSchema(segmentSchema);
