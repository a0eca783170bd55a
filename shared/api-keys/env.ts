import { z } from 'zod';
import { auditEnvSchema } from '../env';

/** The authorizer reads (and touches) keys only. */
export const apiKeyTableEnvSchema = z.object({ TABLE_API_KEYS: z.string().min(1) });

/** The API-keys function also writes the audit entry of every create and revoke. */
export const apiKeysEnvSchema = apiKeyTableEnvSchema.extend(auditEnvSchema.shape);
