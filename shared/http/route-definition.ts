/**
 * The shape of a route of THE route table (shared/http/routes.ts), apart from the table itself: a function that
 * serves a few routes (the evaluation group, shared/http/evaluation-routes.ts) loads their definitions, not
 * every route's schemas.
 */
import type * as z from 'zod';
import type { Permission } from '../auth/permissions';
import type { HandlerGroup } from '../functions';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * - `none`: public, no credentials.
 * - `cognito`: a Cognito ID token, verified by API Gateway's Cognito authorizer.
 * - `apiKey`: an SDK API key, verified by the API-key REQUEST authorizer.
 */
export type AuthMode = 'none' | 'cognito' | 'apiKey';

/** `authenticated`: any valid token, even one with no role (SPEC §1: `users/me`). */
export type RoutePermission = Permission | 'public' | 'authenticated';

export interface RouteRequestSchemas {
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly body?: z.ZodType;
  /** What clients should send, for the document, where `body` is deliberately more lenient. */
  readonly documentedBody?: z.ZodType;
  /**
   * The route parses its body text itself: the chain skips JSON parsing and `body` validates the text
   * (`string | undefined`), so malformed JSON reaches the route (OFREP answers it as its own PARSE_ERROR).
   * Document the JSON with `documentedBody`.
   */
  readonly rawBody?: true;
}

export interface RouteDefinition {
  readonly operationId: string;
  readonly method: HttpMethod;
  /** API Gateway resource path, `{name}` for path parameters. */
  readonly path: string;
  readonly handler: HandlerGroup;
  readonly auth: AuthMode;
  readonly permission: RoutePermission;
  readonly summary: string;
  readonly tag: string;
  readonly request?: RouteRequestSchemas;
  /** Schema of the 2xx body. */
  readonly response?: z.ZodType;
  readonly successStatus?: 200 | 201 | 202 | 204;
  /**
   * Media type of the 2xx body; for NDJSON, `response` is the schema of one line (`x-item-schema`).
   * @default 'application/json'
   */
  readonly responseType?: 'application/json' | 'application/x-ndjson';
  /** The 2xx answer carries an ETag; a request whose If-None-Match names it gets 304 with no body. */
  readonly etag?: true;
  /**
   * When the 2xx body may be elsewhere instead (too large for a response), what the 302 means: it carries
   * `Location`, a short-lived URL of the body, and the ETag the body would have had.
   */
  readonly redirect?: string;
  /**
   * Statuses the route answers in a shape of its own (OFREP) or beyond those its properties imply; the
   * OpenAPI document (shared/http/openapi.ts) derives the rest from auth, method, params and body.
   */
  readonly responses?: Readonly<Partial<Record<400 | 404 | 409, RouteResponse>>>;
  /**
   * The route changes a versioned resource the permission does not name as one (the safety settings and
   * per-flag configs): it takes If-Match (or `version` in the body) and may answer 409.
   * @default - derived from the permission's resource (shared/http/openapi.ts)
   */
  readonly versioned?: true;
  /**
   * One of a versioned resource's routes (set by {@link versionedRoutes}): every change to one resource of the
   * permission's kind — these routes and the actions beside them — takes If-Match and may answer 409.
   */
  readonly versionedResource?: true;
}

export interface RouteResponse {
  readonly description: string;
  /** Schema of the JSON body. */
  readonly schema: z.ZodType;
}

/** The key of a route (and of a request to it): `METHOD /resource/path`. */
export function routeKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path}`;
}
