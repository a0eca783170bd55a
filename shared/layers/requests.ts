import * as z from 'zod';
import { patchBodyOf, replaceBodyOf, versionedFields, type Versioned } from '../config/versioning';
import { pageSchema, paginationQuery } from '../pagination';
import { resourceKeySchema, tagsSchema } from '../rules/schema';

/** A layer (SPEC §2.4): experiments in one layer take disjoint ranges of its own bucket (salt = key). */
export const layerInputSchema = z
  .strictObject({
    key: resourceKeySchema,
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).default(''),
    tags: tagsSchema.default([]),
    salt: z.string().min(1).max(128).optional().describe('Bucketing salt; default the layer key'),
  })
  .meta({ id: 'LayerInput' });
export type LayerInput = z.infer<typeof layerInputSchema>;

export const layerSchema = layerInputSchema.extend(versionedFields).meta({ id: 'Layer' });
export type Layer = LayerInput & Versioned;

export const layerKeyParams = z.strictObject({ key: resourceKeySchema });
export const replaceLayerBodySchema = replaceBodyOf(layerInputSchema.omit({ key: true })).meta({
  id: 'LayerReplace',
});
/** PATCH: only the fields sent. */
export const patchLayerBodySchema = patchBodyOf(layerInputSchema.omit({ key: true })).meta({
  id: 'LayerPatch',
});
export const listLayersQuerySchema = z.strictObject({
  ...paginationQuery.shape,
  tag: z.string().min(1).max(64).optional(),
  q: z.string().min(1).max(200).optional(),
});
export const layerPageSchema = pageSchema(layerSchema);
