import * as z from 'zod';
import { tagFilter, textFilter, versionedRequests } from '../config/requests';
import { versionedFields, type Versioned } from '../config/versioning';
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

export const layerRequests = versionedRequests('Layer', {
  input: layerInputSchema,
  resource: layerSchema,
  editable: layerInputSchema.omit({ key: true }),
  filters: { tag: tagFilter, q: textFilter },
});
