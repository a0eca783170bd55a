import { z } from 'zod';
import { pageSchema, paginationQuery } from '../pagination';
import { resourceKeySchema } from '../rules/schema';
import { flagFieldsSchema, type FlagInput } from './schema';

/** A flag as stored and returned: the client's fields plus what the server manages. */
export const flagSchema = flagFieldsSchema
  .extend({
    owner: z.string().describe('sub of the owner: the creator, unless an admin transferred it'),
    createdBy: z.string(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    version: z.number().int().min(1),
    lastEvaluatedAt: z.iso.datetime().optional(),
  })
  .meta({ id: 'Flag' });
export type Flag = FlagInput & {
  owner: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  version: number;
  lastEvaluatedAt?: string;
};

export const flagKeyParams = z.strictObject({ key: resourceKeySchema });

const versionField = z.number().int().min(1).optional().describe('The version you read (or send If-Match)');

/** PUT: every field but the key, replacing the stored ones. */
export const replaceFlagBodySchema = flagFieldsSchema
  .omit({ key: true })
  .extend({ version: versionField })
  .meta({ id: 'FlagReplace' });

/**
 * PATCH: only the fields that change. zod's `.partial()` keeps `.default()`s, which would reset every field
 * left out to its default: the defaults are removed first.
 */
const fields = flagFieldsSchema.shape;
export const patchFlagBodySchema = flagFieldsSchema
  .omit({ key: true })
  .extend({
    description: fields.description.removeDefault(),
    tags: fields.tags.removeDefault(),
    enabled: fields.enabled.removeDefault(),
    rules: fields.rules.removeDefault(),
    clientSide: fields.clientSide.removeDefault(),
    prerequisites: fields.prerequisites.removeDefault(),
    temporary: fields.temporary.removeDefault(),
  })
  .partial()
  .extend({ version: versionField })
  .meta({ id: 'FlagPatch' });

export const toggleFlagBodySchema = z
  .strictObject({
    enabled: z.boolean().optional().describe('Omit to flip the current state'),
    version: versionField,
  })
  .meta({ id: 'FlagToggle' });

export const transferOwnerBodySchema = z
  .strictObject({ owner: z.string().min(1).max(128), version: versionField })
  .meta({ id: 'FlagOwner' });

const booleanQuery = z.enum(['true', 'false']).transform((v) => v === 'true');

export const listFlagsQuerySchema = z.strictObject({
  ...paginationQuery.shape,
  tag: z.string().min(1).max(64).optional(),
  enabled: booleanQuery.optional(),
  q: z.string().min(1).max(200).optional().describe('Case-insensitive search in key, name and description'),
  stale: booleanQuery
    .optional()
    .describe(
      'Temporary flags unchanged for 30 days that serve one variation to everyone or were not evaluated in 30 days',
    ),
});
export type ListFlagsQuery = z.output<typeof listFlagsQuerySchema>;

export const flagPageSchema = pageSchema(flagSchema);
