import * as z from 'zod';
import { userChange, type ChangeContext } from '../audit/actor';
import type { UserPrincipal } from '../auth/principal';
import { ConflictError, ValidationError } from '../errors';

/**
 * What every configuration resource carries (SPEC §2) besides its own fields: who created it and when, when
 * it last changed, and its version (+1 on every change).
 */
export interface Versioned {
  readonly key: string;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly createdBy: string;
}

/** The server-managed fields of {@link Versioned}, for the schemas of stored resources. */
export const versionedFields = {
  createdBy: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  version: z.number().int().min(1),
};

/**
 * A change to a versioned resource: who makes it (a person, or a job as `system:<job>`), in which request,
 * and the version it is based on — from the body, `?version=` or `If-Match`. `principal` is there when a
 * person makes it (ownership rules need it).
 */
export interface VersionedChange {
  readonly context: ChangeContext;
  readonly principal?: UserPrincipal;
  readonly version?: number;
  readonly ifMatch?: string;
}

/** A change a person makes (ownership rules need who, SPEC §1). */
export type PersonChange = VersionedChange & { readonly principal: UserPrincipal };

/** What the handlers know of a request that changes a versioned resource. */
interface ChangeRequest {
  readonly principal: UserPrincipal;
  readonly requestId: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/** The VersionedChange of a route's input: the version from the body (if any) or the If-Match header. */
export function versionedChange(input: ChangeRequest, version?: number): PersonChange {
  return {
    principal: input.principal,
    context: userChange(input.principal, input.requestId),
    version,
    ifMatch: input.headers['if-match'],
  };
}

/** A DELETE's change: the version from `?version=`, the body or If-Match (any two that are sent must agree). */
export function deleteChange(
  input: ChangeRequest & {
    readonly query: z.output<typeof deleteVersionQuery>;
    readonly body: z.output<typeof deleteVersionBody>;
  },
): PersonChange {
  const fromBody = input.body?.version;
  const fromQuery = input.query.version;
  if (fromBody !== undefined && fromQuery !== undefined && fromBody !== fromQuery) {
    throw new ValidationError(`body.version (${fromBody}) and ?version= (${fromQuery}) disagree`);
  }
  return versionedChange(input, fromBody ?? fromQuery);
}

/**
 * The stored resource a change is based on: the caller's version (required) must still be the stored one,
 * else 409 and nothing changes.
 */
export function checkVersion<T extends Versioned>(kind: string, stored: T, change: VersionedChange): T {
  const version = expectedVersion(change.version, change.ifMatch);
  if (version !== stored.version) {
    throw new ConflictError(
      `${kind} ${stored.key} is at version ${stored.version}, not ${version}: read it again`,
    );
  }
  return stored;
}

/**
 * The version a delete is based on: a delete may name none (it removes what is stored), but one it names —
 * in the body, `?version=` or `If-Match` — must still be the stored one, else 409.
 */
export function deleteVersion(kind: string, stored: Versioned, change: VersionedChange): number {
  if (change.version === undefined && change.ifMatch === undefined) return stored.version;
  return checkVersion(kind, stored, change).version;
}

/** A new resource: version 1, created and updated now by the change's actor. */
export function firstVersion<I extends object>(
  input: I,
  context: ChangeContext,
  now: Date = new Date(),
): I & Omit<Versioned, 'key'> {
  const at = now.toISOString();
  return { ...input, createdBy: context.actor, createdAt: at, updatedAt: at, version: 1 };
}

/** The fields of {@link Versioned} the server sets. */
export type ServerManaged = keyof Omit<Versioned, 'key'>;

/**
 * The next version of `before`: `document` is the whole resource as it is to be stored (a field it lacks is
 * gone), with `before`'s creation fields, updated now, version + 1.
 */
export function nextVersion<T extends Versioned>(
  before: T,
  document: Omit<T, ServerManaged>,
  now: Date = new Date(),
): T {
  return {
    ...(document as T),
    key: before.key,
    createdBy: before.createdBy,
    createdAt: before.createdAt,
    updatedAt: now.toISOString(),
    version: before.version + 1,
  };
}

/**
 * The fields a client sent, from a stored resource: the server-managed ones stripped, and `extra` too
 * (a flag's owner, an experiment's status…).
 */
export function clientFields<T extends Versioned, K extends keyof T = never>(
  stored: T,
  ...extra: K[]
): Omit<T, ServerManaged | K> {
  const { createdBy: _c, createdAt: _ca, updatedAt: _u, version: _v, ...fields } = stored;
  const kept: Partial<T> = { ...(fields as Partial<T>) };
  for (const name of extra) delete kept[name];
  return kept as Omit<T, ServerManaged | K>;
}

/**
 * The resource a PUT or PATCH asks for, validated whole (cross-field rules included; issues point into the
 * body): PATCH merges the fields sent into the `current` client fields, PUT (`replace`) takes the body as
 * the whole resource. The key never changes.
 */
export function mergeChange<S extends z.ZodType>(
  schema: S,
  current: { readonly key: string },
  fields: object,
  replace = false,
): z.output<S> {
  const key = current.key;
  return validateDocument(schema, replace ? { ...fields, key } : { ...current, ...fields, key });
}

/** `version` in a PUT/PATCH/action body. */
export const versionField = z
  .number()
  .int()
  .min(1)
  .optional()
  .describe('The version you read (or send If-Match)');

/** What DELETE takes besides If-Match: `?version=` … */
export const deleteVersionQuery = z.strictObject({
  version: z.coerce.number().int().min(1).optional().describe('The version you read (or send If-Match)'),
});
/** … or an optional body `{version}`. */
export const deleteVersionBody = z.strictObject({ version: versionField }).optional();

type WithoutDefault<S> = S extends z.ZodDefault<infer I> ? I : S;

/**
 * A PATCH body from the schema of a resource's client fields: every field optional, and **every** default
 * removed — zod 4 keeps `.default()`s in `.partial()` schemas, so a field left out of a PATCH would be reset
 * to its default. Deriving it here means a new defaulted field cannot be forgotten.
 */
export function patchBodyOf<Shape extends z.ZodRawShape>(fields: z.ZodObject<Shape>) {
  const shape = Object.fromEntries(
    Object.entries(fields.shape).map(([name, field]) => [
      name,
      field instanceof z.ZodDefault ? field.removeDefault() : field,
    ]),
  ) as { [K in keyof Shape]: WithoutDefault<Shape[K]> };
  return z.strictObject(shape).partial().extend({ version: versionField });
}

/** A PUT body: every client field (defaults apply), plus the version read. */
export function replaceBodyOf<Shape extends z.ZodRawShape>(fields: z.ZodObject<Shape>) {
  return fields.extend({ version: versionField });
}

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
