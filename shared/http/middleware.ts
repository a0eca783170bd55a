import type { MiddlewareObj } from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { RETRY_AFTER_SECONDS, transientFailureOf } from '../aws/errors';
import {
  AppError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../json';
import { logger } from '../observability';
import { jsonResult, type LambdaHttpResult } from './response';

type HttpMiddleware = MiddlewareObj<APIGatewayProxyEvent, LambdaHttpResult, Error, Context>;

const JSON_CONTENT_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json(?:\s*;.*)?$/i;

function hasBody(event: APIGatewayProxyEvent): event is APIGatewayProxyEvent & { body: string } {
  return typeof event.body === 'string' && event.body.length > 0;
}

/**
 * Refuse what must not reach parsing: bodies over the limit (413) and bodies that are not JSON (415).
 * Runs after header normalisation, so header names are lower-case.
 */
export function requestGuards(maxBodyBytes: number): HttpMiddleware {
  return {
    before: ({ event }) => {
      if (!hasBody(event)) return;
      const size = Buffer.byteLength(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
      if (size > maxBodyBytes) {
        throw new PayloadTooLargeError(`Request body is ${size} bytes; the limit is ${maxBodyBytes}`);
      }
      const contentType = event.headers['content-type'] ?? '';
      if (!JSON_CONTENT_TYPE.test(contentType)) {
        throw new UnsupportedMediaTypeError(
          `Content-Type must be application/json, got ${contentType === '' ? 'none' : JSON.stringify(contentType)}`,
        );
      }
    },
  };
}

interface MiddyParseError {
  readonly statusCode: number;
  readonly message: string;
  readonly cause?: { readonly data?: unknown; readonly message?: unknown };
}

/**
 * middy's JSON body parser, applied only when there is a body (a GET has none and needs no content type) and
 * the route does not read its body text itself (`readsOwnBody`: OFREP answers malformed JSON in its own shape),
 * with messages that name the real problem: a body nested deeper than {@link MAX_JSON_DEPTH} (refused before parsing),
 * a forbidden key (`__proto__`, or `constructor` with a `prototype`: middy refuses them against prototype
 * pollution), or text that is not JSON (with the parser's reason).
 */
export function jsonBody(
  readsOwnBody: (event: APIGatewayProxyEvent) => boolean = () => false,
): HttpMiddleware {
  const parser = httpJsonBodyParser() as HttpMiddleware;
  return {
    before: async (request) => {
      const { event } = request;
      if (!hasBody(event) || readsOwnBody(event) || !parser.before) return;
      const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
      if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
        const message = `nesting deeper than ${MAX_JSON_DEPTH} levels`;
        throw new ValidationError(`body: ${message}`, [{ path: 'body', message }]);
      }
      try {
        await parser.before(request);
      } catch (error) {
        if (!isMiddyHttpError(error)) throw error;
        const { message, cause } = error as MiddyParseError;
        if (message === 'Forbidden key in JSON body' && typeof cause?.data === 'string') {
          const problem =
            cause.data === '__proto__'
              ? '"__proto__" is not allowed as a key'
              : `"${cause.data}" holding a "prototype" is not allowed`;
          throw new ValidationError(`body: ${problem}`, [{ path: 'body', message: problem }]);
        }
        const reason = typeof cause?.message === 'string' ? `: ${cause.message}` : '';
        throw new ValidationError(`Request body is not valid JSON${reason}`);
      }
    },
  };
}

function requestIdOf(event: APIGatewayProxyEvent | undefined, context: Context | undefined): string {
  return event?.requestContext?.requestId ?? context?.awsRequestId ?? 'unknown';
}

interface MiddyHttpError {
  readonly statusCode: number;
  readonly expose?: boolean;
  readonly message: string;
}

function isMiddyHttpError(error: unknown): error is MiddyHttpError {
  return error instanceof Error && typeof (error as { statusCode?: unknown }).statusCode === 'number';
}

interface ErrorAnswer {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly details?: unknown;
  /** Seconds, for `Retry-After` (503). */
  readonly retryAfter?: number;
}

/**
 * Domain errors and middy's own HTTP errors as `{code, message, details?}`; a store that is down or throttling
 * (the AWS SDK gave up retrying) as 503 SERVICE_UNAVAILABLE with `Retry-After`, since the request itself was
 * fine; everything else a bare 500 (a bug: nothing about it is returned).
 */
function toErrorBody(error: unknown): ErrorAnswer {
  if (error instanceof ServiceUnavailableError) {
    return {
      status: error.status,
      code: error.code,
      message: error.message,
      details: error.details,
      retryAfter: error.retryAfterSeconds,
    };
  }
  if (error instanceof AppError) {
    return { status: error.status, code: error.code, message: error.message, details: error.details };
  }
  if (isMiddyHttpError(error) && error.expose !== false) {
    if (error.statusCode === 415)
      return { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: error.message };
    if (error.statusCode === 422 || error.statusCode === 400) {
      return { status: 400, code: 'VALIDATION_ERROR', message: 'Request body is not valid JSON' };
    }
    if (error.statusCode === 413) return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: error.message };
  }
  const transient = transientFailureOf(error);
  if (transient !== null) {
    return {
      status: 503,
      code: 'SERVICE_UNAVAILABLE',
      message:
        transient === 'throttled'
          ? 'The service is busy: send the request again shortly'
          : 'A store the service needs is unavailable: send the request again shortly',
      retryAfter: RETRY_AFTER_SECONDS[transient],
    };
  }
  return { status: 500, code: 'INTERNAL_ERROR', message: 'Internal error' };
}

/**
 * The last middleware of the chain (so its onError runs first, and CORS and security headers still decorate
 * the error response). Only client errors are exposed; a 500 says nothing but the request id, a 503 that the
 * store is down (and when to try again).
 */
export function errorMapper(): HttpMiddleware {
  return {
    onError: (request) => {
      const { status, code, message, details, retryAfter } = toErrorBody(request.error);
      const requestId = requestIdOf(request.event, request.context);
      if (status >= 500) {
        const what = status === 503 ? 'Service unavailable' : 'Unhandled error';
        logger.error(what, { error: request.error as Error, requestId });
      } else logger.info('Client error', { status, code, message });
      request.response = jsonResult(
        status,
        { code, message, ...(details === undefined ? {} : { details }), requestId },
        retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) },
      );
    },
  };
}
