import type { z } from 'zod';
import { httpCapability } from './environment';
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

/** What every HTTP function gets (`SwitchyardFunction.servesHttp`); named in shared/environment.ts. */
export const httpEnvSchema = httpCapability.schema;
