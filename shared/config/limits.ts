import * as z from 'zod';
import { utf8Bytes } from '../db/parts';
import { ValidationError } from '../errors';

/**
 * The documented size limits of configuration resources (docs/architecture.md, "Size limits"). Each is
 * checked before anything is written and refused with 400 VALIDATION_ERROR naming the limit; everything
 * within them can be created, updated, audited and published.
 *
 * - A resource (flag, segment, experiment…) holds at most {@link MAX_RESOURCE_BYTES} of JSON, counted on the
 *   fields a client sends (as compact JSON, UTF-8). That equals the request body limit of every stage
 *   (`maxBodyBytes`, 1 MiB), so the largest resource can be sent in one request; it holds a segment of 10 000
 *   included plus 10 000 excluded ids of 43 characters (≈ 0.9 MB). One such resource, its audit entry's before
 *   and after stay within DynamoDB's 4 MB per transaction, since they are written together.
 * - One JSON value a client hands to SDKs (a flag variation's value, an experiment variant's payload) holds at
 *   most {@link MAX_JSON_VALUE_BYTES}: every evaluation answer and every SDK download carries it.
 */
export const MAX_RESOURCE_BYTES = 1024 * 1024;
export const MAX_JSON_VALUE_BYTES = 32 * 1024;

/**
 * A list page carries whole resources up to this many bytes of JSON (its first item always whole): Lambda
 * answers at most 6 MB, and twenty segments at {@link MAX_RESOURCE_BYTES} would be 20.
 */
export const LIST_PAGE_BYTES = 4 * 1024 * 1024;

/** Size of `value` as compact JSON in UTF-8: what the limits count. */
export function jsonBytes(value: unknown): number {
  return utf8Bytes(JSON.stringify(value) ?? '');
}

/** `1048576 bytes (1 MiB)`, for messages that name a limit. */
export function describeBytes(limit: number): string {
  return limit % (1024 * 1024) === 0
    ? `${limit} bytes (${limit / (1024 * 1024)} MiB)`
    : limit % 1024 === 0
      ? `${limit} bytes (${limit / 1024} KiB)`
      : `${limit} bytes`;
}

/** Any JSON value of at most {@link MAX_JSON_VALUE_BYTES} (`what` names it in the message and the docs). */
export function boundedJsonSchema(what: string) {
  return z
    .json()
    .superRefine((value, ctx) => {
      const size = jsonBytes(value);
      if (size > MAX_JSON_VALUE_BYTES) {
        ctx.addIssue({
          code: 'custom',
          message: `is ${size} bytes of JSON; ${what} may hold at most ${describeBytes(MAX_JSON_VALUE_BYTES)}`,
        });
      }
    })
    .describe(`${what} (at most ${describeBytes(MAX_JSON_VALUE_BYTES)} as compact JSON)`);
}

/** Refuse (400) a resource whose client fields exceed {@link MAX_RESOURCE_BYTES}; nothing is written. */
export function checkResourceSize(kind: string, key: string, document: object): void {
  const size = jsonBytes(document);
  if (size <= MAX_RESOURCE_BYTES) return;
  const message =
    `${kind} ${key} would be ${size} bytes of JSON; a ${kind} may hold at most ${describeBytes(MAX_RESOURCE_BYTES)}` +
    (kind === 'segment' ? ' (e.g. 10 000 included plus 10 000 excluded ids of 43 characters)' : '');
  throw new ValidationError(message, [{ path: 'body', message }]);
}
