import type { z } from 'zod';
import { ValidationError } from '../errors';

/**
 * The version a write is based on (SPEC §3): `version` in the body or an `If-Match` header (`3`, `"3"`,
 * `W/"3"`). One of them is required; if both are sent they must agree.
 */
export function expectedVersion(bodyVersion: number | undefined, ifMatch: string | undefined): number {
  let header: number | undefined;
  if (ifMatch !== undefined) {
    const match = /^(?:W\/)?"?(\d+)"?$/.exec(ifMatch.trim());
    if (match?.[1] === undefined) throw new ValidationError('If-Match must be a version number, e.g. "3"');
    header = Number(match[1]);
  }
  if (bodyVersion !== undefined && header !== undefined && bodyVersion !== header) {
    throw new ValidationError(`body.version (${bodyVersion}) and If-Match (${header}) disagree`);
  }
  const version = bodyVersion ?? header;
  if (version === undefined) {
    throw new ValidationError('version is required: send the version you read as body.version or If-Match', [
      { path: 'body.version', message: 'required (or If-Match)' },
    ]);
  }
  return version;
}

/** Validate a whole document after merging a change into it; issues point into the request body. */
export function validateDocument<S extends z.ZodType>(schema: S, document: unknown): z.output<S> {
  const result = schema.safeParse(document);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({
    path: ['body', ...i.path.map(String)].join('.'),
    message: i.message,
  }));
  throw new ValidationError(`${issues[0]?.path ?? 'body'}: ${issues[0]?.message ?? 'invalid'}`, issues);
}

/** Case-insensitive match of `q` in any of the fields. */
export function matchesQuery(q: string | undefined, ...fields: (string | undefined)[]): boolean {
  if (q === undefined) return true;
  const needle = q.toLowerCase();
  return fields.some((f) => f?.toLowerCase().includes(needle) ?? false);
}
