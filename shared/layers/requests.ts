import { z } from 'zod';
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

export const layerSchema = layerInputSchema
  .extend({
    createdBy: z.string(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    version: z.number().int().min(1),
  })
  .meta({ id: 'Layer' });
export type Layer = LayerInput & { createdBy: string; createdAt: string; updatedAt: string; version: number };

export const layerKeyParams = z.strictObject({ key: resourceKeySchema });
const versionField = z.number().int().min(1).optional().describe('The version you read (or send If-Match)');
export const replaceLayerBodySchema = layerInputSchema
  .omit({ key: true })
  .extend({ version: versionField })
  .meta({ id: 'LayerReplace' });
/** PATCH: only the fields sent (defaults removed: zod's `.partial()` would apply them). */
export const patchLayerBodySchema = layerInputSchema
  .omit({ key: true })
  .extend({
    description: layerInputSchema.shape.description.removeDefault(),
    tags: layerInputSchema.shape.tags.removeDefault(),
  })
  .partial()
  .extend({ version: versionField })
  .meta({ id: 'LayerPatch' });
export const listLayersQuerySchema = z.strictObject({
  ...paginationQuery.shape,
  tag: z.string().min(1).max(64).optional(),
  q: z.string().min(1).max(200).optional(),
});
export const layerPageSchema = pageSchema(layerSchema);
