import * as z from 'zod';
import { tagFilter, textFilter, versionedRequests } from '../config/requests';
import { versionedFields, versionField, type Versioned } from '../config/versioning';
import { flagFieldsSchema, flagInputSchema, type FlagInput } from './schema';

/** A flag as stored and returned: the client's fields plus what the server manages. */
export const flagSchema = flagFieldsSchema
  .extend({
    owner: z.string().describe('sub of the owner: the creator, unless an admin transferred it'),
    ...versionedFields,
    lastEvaluatedAt: z.iso.datetime().optional(),
  })
  .meta({ id: 'Flag' });
export type Flag = FlagInput & Versioned & { owner: string; lastEvaluatedAt?: string };

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

/** PUT: every field but the key; PATCH: only the fields that change (both merge, see FlagsService.update). */
export const flagRequests = versionedRequests('Flag', {
  input: flagInputSchema,
  resource: flagSchema,
  editable: flagFieldsSchema.omit({ key: true }),
  filters: {
    tag: tagFilter,
    enabled: booleanQuery.optional(),
    q: textFilter.describe('Case-insensitive search in key, name and description'),
    stale: booleanQuery
      .optional()
      .describe(
        'Temporary flags unchanged for 30 days that serve one variation to everyone or were not evaluated in 30 days',
      ),
  },
});
export type ListFlagsQuery = z.output<typeof flagRequests.list>;
