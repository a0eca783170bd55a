import * as z from 'zod';
import {
  patchBodyOf,
  replaceBodyOf,
  versionedFields,
  versionField,
  type Versioned,
} from '../config/versioning';
import { pageSchema, paginationQuery } from '../pagination';
import { resourceKeySchema } from '../rules/schema';
import { flagFieldsSchema, type FlagInput } from './schema';

/** A flag as stored and returned: the client's fields plus what the server manages. */
export const flagSchema = flagFieldsSchema
  .extend({
    owner: z.string().describe('sub of the owner: the creator, unless an admin transferred it'),
    ...versionedFields,
    lastEvaluatedAt: z.iso.datetime().optional(),
  })
  .meta({ id: 'Flag' });
export type Flag = FlagInput & Versioned & { owner: string; lastEvaluatedAt?: string };

export const flagKeyParams = z.strictObject({ key: resourceKeySchema });

/** PUT: every field but the key, replacing the stored ones. */
export const replaceFlagBodySchema = replaceBodyOf(flagFieldsSchema.omit({ key: true })).meta({
  id: 'FlagReplace',
});

/** PATCH: only the fields that change. */
export const patchFlagBodySchema = patchBodyOf(flagFieldsSchema.omit({ key: true })).meta({
  id: 'FlagPatch',
});

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
