import * as z from 'zod';

/**
 * Errors that API Gateway answers itself, before any Lambda runs. The CDK app installs these bodies as
 * gateway responses and the local platform answers with the same ones, so a client sees one error shape
 * (`{code, message, requestId}`, SPEC §3) whoever produced it.
 */
/**
 * Answers of at least this many bytes are compressed when the caller accepts it (API Gateway's
 * `minimumCompressionSize`, set from this in lib/constructs/switchyard-api.ts; the local gateway does the same).
 * The ETag stays that of the uncompressed answer, so a conditional request works either way.
 */
export const GATEWAY_MIN_COMPRESSION_BYTES = 1024;

export interface GatewayError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  /** Sent as `Retry-After` (seconds): when a throttled caller may try again. */
  readonly retryAfterSeconds?: number;
}

export const GATEWAY_ERRORS = {
  /** No route for this method and path (API Gateway's MISSING_AUTHENTICATION_TOKEN, turned into 404). */
  notFound: { status: 404, code: 'NOT_FOUND', message: 'No such route' },
  unauthorized: { status: 401, code: 'UNAUTHORIZED', message: 'Missing or invalid credentials' },
  accessDenied: { status: 403, code: 'FORBIDDEN', message: 'Access denied' },
  /** The stage's token bucket refills every second (rate limit per second), so a second is enough to wait. */
  throttled: { status: 429, code: 'RATE_LIMITED', message: 'Too many requests', retryAfterSeconds: 1 },
  tooLarge: { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'Request body too large' },
  /** Request line and headers over the gateway's limit (10 KB for API Gateway REST APIs). */
  headersTooLarge: {
    status: 431,
    code: 'HEADERS_TOO_LARGE',
    message: 'Request line and headers too large',
  },
  badRequest: { status: 400, code: 'VALIDATION_ERROR', message: 'Bad request' },
  unsupportedMediaType: {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'Content-Type is not supported',
  },
  internal: { status: 500, code: 'INTERNAL_ERROR', message: 'Internal error' },
} as const satisfies Record<string, GatewayError>;

/** The headers a gateway error carries besides CORS: `Retry-After` when it says when to retry. */
export function gatewayErrorHeaders(error: GatewayError): Record<string, string> {
  return error.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(error.retryAfterSeconds) };
}

export function gatewayErrorBody(error: GatewayError, requestId: string): string {
  return JSON.stringify({ code: error.code, message: error.message, requestId });
}

/** The one error body of the API (SPEC §3), whether API Gateway, the local gateway or a function answers. */
export const errorBodySchema = z
  .object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
    requestId: z.string(),
  })
  .meta({ id: 'Error' });
