import * as z from 'zod';
import { pageSchema, paginationQuery } from '../pagination';

export const API_KEY_TYPES = ['server', 'client'] as const;
export type ApiKeyType = (typeof API_KEY_TYPES)[number];

/** What an admin sees of a key: never the secret, never its hash. */
export const apiKeySchema = z
  .object({
    id: z.uuid().describe('Time-ordered (UUIDv7)'),
    name: z.string(),
    type: z
      .enum(API_KEY_TYPES)
      .describe('server keys may download the ruleset; client keys see clientSide flags only'),
    prefix: z
      .string()
      .describe('The first characters of the secret, to recognise a key without revealing it'),
    createdBy: z.string().describe('sub of the admin who created it'),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso
      .datetime()
      .nullable()
      .describe('When the authorizer last accepted it, to within an hour (null: never)'),
    revokedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'ApiKey' });
export type ApiKey = z.infer<typeof apiKeySchema>;

/** The answer to a create: the only time the secret is ever shown. */
export const createdApiKeySchema = apiKeySchema
  .extend({
    secret: z
      .string()
      .describe(
        'Send as `Authorization: Bearer <secret>`. Shown once: Switchyard keeps only its SHA-256 hash.',
      ),
  })
  .meta({ id: 'CreatedApiKey' });
export type CreatedApiKey = z.infer<typeof createdApiKeySchema>;

export const createApiKeyBodySchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    type: z.enum(API_KEY_TYPES),
  })
  .meta({ id: 'CreateApiKey' });
export type CreateApiKeyInput = z.output<typeof createApiKeyBodySchema>;

export const apiKeyIdParams = z.strictObject({ id: z.uuid() });

const booleanQuery = z.enum(['true', 'false']).transform((v) => v === 'true');

export const listApiKeysQuerySchema = z.strictObject({
  ...paginationQuery.shape,
  type: z.enum(API_KEY_TYPES).optional(),
  revoked: booleanQuery.optional().describe('true: only revoked keys; false: only active ones'),
});
export type ListApiKeysQuery = z.output<typeof listApiKeysQuerySchema>;

export const apiKeyPageSchema = pageSchema(apiKeySchema);
