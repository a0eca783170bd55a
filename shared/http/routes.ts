import type { z } from 'zod';
import type { Permission } from '../auth/permissions';
import { healthSchema } from '../system/schema';
import { currentUserSchema } from '../users/schema';

/**
 * THE route table: the single source for API Gateway resources and methods (lib/stacks/api-stack.ts),
 * the local platform's router (local/gateway.ts), the OpenAPI document (shared/http/openapi.ts) and the
 * RBAC matrix test. A route added here is deployed, served locally, documented and access-tested.
 */
export const HANDLER_GROUPS = ['system', 'users'] as const;
export type HandlerGroup = (typeof HANDLER_GROUPS)[number];

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
}

export const getHealthRoute = {
  operationId: 'getHealth',
  method: 'GET',
  path: '/health',
  handler: 'system',
  auth: 'none',
  permission: 'public',
  summary: 'Liveness check; answers without credentials.',
  tag: 'system',
  response: healthSchema,
} as const satisfies RouteDefinition;

export const getOpenApiRoute = {
  operationId: 'getOpenApi',
  method: 'GET',
  path: '/api/v1/openapi.json',
  handler: 'system',
  auth: 'none',
  permission: 'public',
  summary: 'This OpenAPI 3.1 document, generated from the route table and its zod schemas.',
  tag: 'system',
} as const satisfies RouteDefinition;

export const getCurrentUserRoute = {
  operationId: 'getCurrentUser',
  method: 'GET',
  path: '/api/v1/users/me',
  handler: 'users',
  auth: 'cognito',
  permission: 'authenticated',
  summary: 'The caller: subject, email and role (strongest of their Cognito groups).',
  tag: 'users',
  response: currentUserSchema,
} as const satisfies RouteDefinition;

export const ROUTES: readonly RouteDefinition[] = [getHealthRoute, getOpenApiRoute, getCurrentUserRoute];

export function routeKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path}`;
}

export function routesOf(group: HandlerGroup): RouteDefinition[] {
  return ROUTES.filter((r) => r.handler === group);
}

/** Entry file of a handler group's Lambda function, relative to the repository root. */
export function handlerEntry(group: HandlerGroup): string {
  return `lambdas/${group}/handler.ts`;
}
