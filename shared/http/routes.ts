import type { z } from 'zod';
import { auditExportQuerySchema, auditPageSchema, auditQuerySchema } from '../audit/schema';
import type { Permission } from '../auth/permissions';
import { healthSchema } from '../system/schema';
import {
  createUserBodySchema,
  currentUserSchema,
  setRoleBodySchema,
  userIdParams,
  userSchema,
} from '../users/schema';
import { pageSchema, paginationQuery } from './pagination';

/**
 * THE route table: the single source for API Gateway resources and methods (lib/stacks/api-stack.ts),
 * the local platform's router (local/gateway.ts), the OpenAPI document (shared/http/openapi.ts) and the
 * RBAC matrix test. A route added here is deployed, served locally, documented and access-tested.
 */
export const HANDLER_GROUPS = ['system', 'users', 'audit'] as const;
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

const strictPagination = paginationQuery.strict();

export const listUsersRoute = {
  operationId: 'listUsers',
  method: 'GET',
  path: '/api/v1/users',
  handler: 'users',
  auth: 'cognito',
  permission: { resource: 'users', action: 'read' },
  summary: 'Users of the pool with their roles, ordered by email.',
  tag: 'users',
  request: { query: strictPagination },
  response: pageSchema(userSchema),
} as const satisfies RouteDefinition;

export const createUserRoute = {
  operationId: 'createUser',
  method: 'POST',
  path: '/api/v1/users',
  handler: 'users',
  auth: 'cognito',
  permission: { resource: 'users', action: 'create' },
  summary: 'Invite a user by email into one role (Cognito emails a temporary password).',
  tag: 'users',
  request: { body: createUserBodySchema },
  response: userSchema,
  successStatus: 201,
} as const satisfies RouteDefinition;

export const getUserRoute = {
  operationId: 'getUser',
  method: 'GET',
  path: '/api/v1/users/{id}',
  handler: 'users',
  auth: 'cognito',
  permission: { resource: 'users', action: 'read' },
  summary: 'One user.',
  tag: 'users',
  request: { params: userIdParams },
  response: userSchema,
} as const satisfies RouteDefinition;

export const setUserRoleRoute = {
  operationId: 'setUserRole',
  method: 'PUT',
  path: '/api/v1/users/{id}/role',
  handler: 'users',
  auth: 'cognito',
  permission: { resource: 'users', action: 'update' },
  summary: 'Move the user into exactly one of the four role groups. New tokens carry the new role.',
  tag: 'users',
  request: { params: userIdParams, body: setRoleBodySchema },
  response: userSchema,
} as const satisfies RouteDefinition;

export const disableUserRoute = {
  operationId: 'disableUser',
  method: 'POST',
  path: '/api/v1/users/{id}/disable',
  handler: 'users',
  auth: 'cognito',
  permission: { resource: 'users', action: 'update' },
  summary: 'Disable sign-in for the user (tokens already issued run until they expire).',
  tag: 'users',
  request: { params: userIdParams },
  response: userSchema,
} as const satisfies RouteDefinition;

export const enableUserRoute = {
  operationId: 'enableUser',
  method: 'POST',
  path: '/api/v1/users/{id}/enable',
  handler: 'users',
  auth: 'cognito',
  permission: { resource: 'users', action: 'update' },
  summary: 'Enable sign-in for the user again.',
  tag: 'users',
  request: { params: userIdParams },
  response: userSchema,
} as const satisfies RouteDefinition;

export const listAuditRoute = {
  operationId: 'listAudit',
  method: 'GET',
  path: '/api/v1/audit',
  handler: 'audit',
  auth: 'cognito',
  permission: { resource: 'audit', action: 'read' },
  summary: 'Audit entries, newest first, by resource, actor and/or time range (default: the last 30 days).',
  tag: 'audit',
  request: { query: auditQuerySchema },
  response: auditPageSchema,
} as const satisfies RouteDefinition;

export const exportAuditRoute = {
  operationId: 'exportAudit',
  method: 'GET',
  path: '/api/v1/audit/export',
  handler: 'audit',
  auth: 'cognito',
  permission: { resource: 'audit', action: 'read' },
  summary: 'The same entries as NDJSON (application/x-ndjson), one entry per line.',
  tag: 'audit',
  request: { query: auditExportQuerySchema },
} as const satisfies RouteDefinition;

export const ROUTES: readonly RouteDefinition[] = [
  getHealthRoute,
  getOpenApiRoute,
  getCurrentUserRoute,
  listUsersRoute,
  createUserRoute,
  getUserRoute,
  setUserRoleRoute,
  disableUserRoute,
  enableUserRoute,
  listAuditRoute,
  exportAuditRoute,
];

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
