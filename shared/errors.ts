/**
 * Typed domain errors. Services throw them; the HTTP layer maps them to `{code, message, details?}` in
 * one place (`errorMapper` in shared/http/middleware.ts). Anything else becomes a 500 with no internals.
 */
export type ErrorCode =
  | 'VALIDATION_ERROR'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RATE_LIMITED'
  | 'INTERNAL_ERROR'
  | 'SERVICE_UNAVAILABLE';

export abstract class AppError extends Error {
  abstract readonly code: ErrorCode;
  abstract readonly status: number;
  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export interface FieldIssue {
  /** Where in the input: `body.variations.0.value`, `query.page_size`, `params.key`. */
  readonly path: string;
  readonly message: string;
}

export class ValidationError extends AppError {
  readonly code = 'VALIDATION_ERROR';
  readonly status = 400;
  constructor(message: string, issues?: readonly FieldIssue[]) {
    super(message, issues === undefined ? undefined : { issues });
  }
}

export class UnauthorizedError extends AppError {
  readonly code = 'UNAUTHORIZED';
  readonly status = 401;
}

export class ForbiddenError extends AppError {
  readonly code = 'FORBIDDEN';
  readonly status = 403;
}

export class NotFoundError extends AppError {
  readonly code = 'NOT_FOUND';
  readonly status = 404;
}

export class ConflictError extends AppError {
  readonly code = 'CONFLICT';
  readonly status = 409;
}

export class PayloadTooLargeError extends AppError {
  readonly code = 'PAYLOAD_TOO_LARGE';
  readonly status = 413;
}

export class UnsupportedMediaTypeError extends AppError {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
  readonly status = 415;
}

/**
 * A store the request needs is down or throttling, and nothing was changed: the client may send the same request
 * again after `retryAfterSeconds` (the HTTP layer says so in `Retry-After`).
 */
export class ServiceUnavailableError extends AppError {
  readonly code = 'SERVICE_UNAVAILABLE';
  readonly status = 503;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    details?: unknown,
  ) {
    super(message, details);
  }
}

/** A deployment or wiring mistake (missing env var, route without implementation): fail at cold start. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}
