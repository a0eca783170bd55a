import { z } from 'zod';
import { ConfigurationError } from './errors';

/**
 * Parse the environment once, at cold start, against a schema: a missing or malformed variable stops the
 * function with a message naming every offending variable, instead of failing later on `undefined`.
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  source: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  throw new ConfigurationError(`Invalid environment: ${problems}`);
}

/** A comma-separated list; empty means none. */
const commaList = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0),
);

/** What every HTTP function gets from SwitchyardFunction (lib/constructs/switchyard-function.ts). */
export const httpEnvSchema = z.object({
  STAGE: z.string().min(1),
  CORS_ALLOWED_ORIGINS: commaList,
  MAX_BODY_BYTES: z.coerce.number().int().positive(),
});
export type HttpEnv = z.output<typeof httpEnvSchema>;

/** The audit table, which every function that changes something writes to. */
export const auditEnvSchema = z.object({ TABLE_AUDIT: z.string().min(1) });
