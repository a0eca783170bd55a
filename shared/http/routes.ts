import * as z from 'zod';
import {
  apiKeyIdParams,
  apiKeyPageSchema,
  apiKeySchema,
  createApiKeyBodySchema,
  createdApiKeySchema,
  listApiKeysQuerySchema,
} from '../api-keys/schema';
import { auditEntrySchema, auditExportQuerySchema, auditPageSchema, auditQuerySchema } from '../audit/schema';
import type { Action, Resource } from '../auth/permissions';
import { healthSchema } from '../system/schema';
import {
  createUserBodySchema,
  currentUserSchema,
  setRoleBodySchema,
  userIdParams,
  userSchema,
} from '../users/schema';
import { flagRequests, toggleFlagBodySchema, transferOwnerBodySchema } from '../flags/requests';
import { segmentRequests } from '../segments/requests';
import { layerRequests } from '../layers/requests';
import { metricRequests } from '../metrics/schema';
import {
  experimentRequests,
  scheduleExperimentBodySchema,
  transitionExperimentBodySchema,
} from '../experiments/requests';
import { rolloutRequests, transitionRolloutBodySchema } from '../rollouts/requests';
import {
  flagSafetyConfigSchema,
  listRollbacksQuerySchema,
  putFlagSafetyBodySchema,
  putSafetySettingsBodySchema,
  rollbackBodySchema,
  rollbackPageSchema,
  rollbackRecordSchema,
  safetyFlagParams,
  safetyReportSchema,
  safetySettingsSchema,
} from '../safety/schema';
import { ingestBodySchema, ingestResponseSchema } from '../events/ingest';
import { eventSchema, MAX_EVENTS_PER_REQUEST } from '../events/schema';
import { experimentResultsSchema, resultsParams, resultsQuerySchema } from '../results/schema';
import { FUNCTIONS, type HandlerGroup } from '../functions';
import { deleteVersionBody, deleteVersionQuery } from '../config/versioning';
import { pageSchema, paginationQuery } from '../pagination';
import { errorBodySchema } from './gateway-responses';
import {
  assignRoute,
  evaluateRoute,
  getSdkRulesetRoute,
  ofrepBulkRoute,
  ofrepFlagRoute,
} from './evaluation-routes';
import type { HttpMethod, RouteDefinition, RouteRequestSchemas } from './route-definition';
export { routeKey } from './route-definition';

/**
 * THE route table: the single source for API Gateway resources and methods (lib/stacks/api-stack.ts),
 * the local platform's router (local/gateway.ts), the OpenAPI document (shared/http/openapi.ts) and the
 * RBAC matrix test. A route added here is deployed, served locally, documented and access-tested.
 */
export { HANDLER_GROUPS, type HandlerGroup } from '../functions';
export type {
  AuthMode,
  HttpMethod,
  RouteDefinition,
  RoutePermission,
  RouteRequestSchemas,
  RouteResponse,
} from './route-definition';
export {
  assignRoute,
  evaluateRoute,
  EVALUATION_ROUTES,
  getSdkRulesetRoute,
  ofrepBulkRoute,
  ofrepFlagRoute,
} from './evaluation-routes';

/** The schemas of a versioned resource's routes (`versionedRequests`, shared/config/requests.ts, builds them). */
interface VersionedRouteSchemas {
  /** The one path parameter naming a resource (`{key}`, or `{id}` for rollout schedules). */
  readonly params: z.ZodObject;
  readonly list: z.ZodObject;
  readonly page: z.ZodType;
  readonly create: z.ZodType;
  readonly resource: z.ZodType;
  readonly replace: z.ZodType;
  /** @default - no PATCH route */
  readonly patch?: z.ZodType;
}

interface VersionedRouteOptions<G extends HandlerGroup, R extends Resource, S extends VersionedRouteSchemas> {
  /** The route group serving them, also their tag in the API document. */
  readonly handler: G;
  /** What the permissions name: `<resource>:read|create|update|delete`. */
  readonly resource: R;
  /** The collection; one resource is `<path>/{<param>}`. */
  readonly path: string;
  /** Operation ids: `list<many>`, `create<one>`, `get<one>`, `replace<one>`, `patch<one>`, `delete<one>`. */
  readonly names: { readonly one: string; readonly many: string };
  readonly schemas: S;
  readonly summaries: Readonly<
    Record<'list' | 'create' | 'get' | 'replace' | 'delete', string> &
      (S extends { patch: z.ZodType } ? { patch: string } : unknown)
  >;
}

interface VersionedRoute<
  G extends HandlerGroup,
  R extends Resource,
  M extends HttpMethod,
  A extends Action,
  Request extends RouteRequestSchemas,
> {
  readonly operationId: string;
  readonly method: M;
  readonly path: string;
  readonly handler: G;
  readonly auth: 'cognito';
  readonly permission: { readonly resource: R; readonly action: A };
  readonly summary: string;
  readonly tag: G;
  readonly request: Request;
  readonly versionedResource: true;
}

type VersionedRouteSet<G extends HandlerGroup, R extends Resource, S extends VersionedRouteSchemas> = {
  readonly list: VersionedRoute<G, R, 'GET', 'read', { query: S['list'] }> & { readonly response: S['page'] };
  readonly create: VersionedRoute<G, R, 'POST', 'create', { body: S['create'] }> & {
    readonly response: S['resource'];
    readonly successStatus: 201;
  };
  readonly get: VersionedRoute<G, R, 'GET', 'read', { params: S['params'] }> & {
    readonly response: S['resource'];
  };
  readonly replace: VersionedRoute<G, R, 'PUT', 'update', { params: S['params']; body: S['replace'] }> & {
    readonly response: S['resource'];
  };
  readonly delete: VersionedRoute<
    G,
    R,
    'DELETE',
    'delete',
    { params: S['params']; query: typeof deleteVersionQuery; body: typeof deleteVersionBody }
  > & { readonly successStatus: 204 };
} & (S extends { patch: infer P extends z.ZodType }
  ? {
      readonly patch: VersionedRoute<G, R, 'PATCH', 'update', { params: S['params']; body: P }> & {
        readonly response: S['resource'];
      };
    }
  : unknown);

/**
 * The routes of a versioned resource, in this order: list, create, get, replace (PUT), patch (when it has a PATCH
 * body) and delete — each a Cognito route named and permitted after the resource, marked `versionedResource` so
 * that the document gives its changes (and the actions a resource adds beside them) If-Match and 409.
 */
export function versionedRoutes<G extends HandlerGroup, R extends Resource, S extends VersionedRouteSchemas>(
  options: VersionedRouteOptions<G, R, S>,
): VersionedRouteSet<G, R, S> {
  const { handler, resource, path, names, schemas } = options;
  const summaries: Partial<Record<'patch', string>> & VersionedRouteOptions<G, R, S>['summaries'] =
    options.summaries;
  const item = `${path}/${Object.keys(schemas.params.shape)
    .map((name) => `{${name}}`)
    .join('/')}`;
  const { params } = schemas;
  const route = <M extends HttpMethod, A extends Action, Request extends RouteRequestSchemas>(
    operationId: string,
    method: M,
    action: A,
    summary: string,
    request: Request,
  ): VersionedRoute<G, R, M, A, Request> => ({
    operationId,
    method,
    path: 'params' in request ? item : path,
    handler,
    auth: 'cognito',
    permission: { resource, action },
    summary,
    tag: handler,
    request,
    versionedResource: true,
  });
  const patch =
    schemas.patch === undefined || summaries.patch === undefined
      ? {}
      : {
          patch: {
            ...route(`patch${names.one}`, 'PATCH', 'update', summaries.patch, {
              params,
              body: schemas.patch,
            }),
            response: schemas.resource,
          },
        };
  return {
    list: {
      ...route(`list${names.many}`, 'GET', 'read', summaries.list, { query: schemas.list }),
      response: schemas.page,
    },
    create: {
      ...route(`create${names.one}`, 'POST', 'create', summaries.create, { body: schemas.create }),
      response: schemas.resource,
      successStatus: 201,
    },
    get: {
      ...route(`get${names.one}`, 'GET', 'read', summaries.get, { params }),
      response: schemas.resource,
    },
    replace: {
      ...route(`replace${names.one}`, 'PUT', 'update', summaries.replace, { params, body: schemas.replace }),
      response: schemas.resource,
    },
    ...patch,
    delete: {
      ...route(`delete${names.one}`, 'DELETE', 'delete', summaries.delete, {
        params,
        query: deleteVersionQuery,
        body: deleteVersionBody,
      }),
      successStatus: 204,
    },
  } as VersionedRouteSet<G, R, S>;
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
  response: z
    .looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) })
    .meta({ id: 'OpenApiDocument', description: 'An OpenAPI 3.1 document' }),
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
  responses: { 409: { description: 'A user with this email exists', schema: errorBodySchema } },
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
  responses: { 409: { description: 'Admins cannot change their own role', schema: errorBodySchema } },
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
  responses: { 409: { description: 'Admins cannot disable themselves', schema: errorBodySchema } },
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
  response: auditEntrySchema,
  responseType: 'application/x-ndjson',
} as const satisfies RouteDefinition;

const FLAG = '/api/v1/feature-flags/{key}';

export const flagRoutes = versionedRoutes({
  handler: 'feature-flags',
  resource: 'flags',
  path: '/api/v1/feature-flags',
  names: { one: 'Flag', many: 'Flags' },
  schemas: flagRequests,
  summaries: {
    list: 'Flags by key, filtered by tag, enabled, text (q) or staleness.',
    create: 'Create a flag; the caller becomes its owner.',
    get: 'One flag.',
    replace: 'Replace every field of a flag (version in the body or If-Match). Developers: own flags only.',
    patch: 'Change some fields of a flag (version in the body or If-Match). Developers: own flags only.',
    delete:
      'Delete a flag (refused while another flag has it as a prerequisite). Developers: own flags only.',
  },
});

export const toggleFlagRoute = {
  operationId: 'toggleFlag',
  method: 'POST',
  path: `${FLAG}/toggle`,
  handler: 'feature-flags',
  auth: 'cognito',
  permission: { resource: 'flags', action: 'update' },
  summary: 'Turn a flag on or off (or flip it). Developers: own flags only.',
  tag: 'feature-flags',
  request: { params: flagRequests.params, body: toggleFlagBodySchema },
  response: flagRequests.resource,
} as const satisfies RouteDefinition;

export const transferFlagOwnerRoute = {
  operationId: 'transferFlagOwner',
  method: 'PUT',
  path: `${FLAG}/owner`,
  handler: 'feature-flags',
  auth: 'cognito',
  permission: { resource: 'flags', action: 'manage' },
  summary: 'Give a flag to another owner (ADMIN).',
  tag: 'feature-flags',
  request: { params: flagRequests.params, body: transferOwnerBodySchema },
  response: flagRequests.resource,
} as const satisfies RouteDefinition;

export const segmentRoutes = versionedRoutes({
  handler: 'segments',
  resource: 'segments',
  path: '/api/v1/segments',
  names: { one: 'Segment', many: 'Segments' },
  schemas: segmentRequests,
  summaries: {
    list: 'Segments by key, filtered by tag or text (q).',
    create: 'Create a segment.',
    get: 'One segment.',
    replace: 'Replace every field of a segment (version in the body or If-Match).',
    patch: 'Change some fields of a segment (version in the body or If-Match).',
    delete: 'Delete a segment (409 naming the flags that still use it).',
  },
});

export const layerRoutes = versionedRoutes({
  handler: 'layers',
  resource: 'layers',
  path: '/api/v1/layers',
  names: { one: 'Layer', many: 'Layers' },
  schemas: layerRequests,
  summaries: {
    list: 'Layers by key, filtered by tag or text (q).',
    create: 'Create a layer.',
    get: 'One layer.',
    replace: 'Replace every field of a layer (version in the body or If-Match).',
    patch: 'Change some fields of a layer (version in the body or If-Match).',
    delete: 'Delete a layer (409 naming the experiments still in it).',
  },
});

export const metricRoutes = versionedRoutes({
  handler: 'metrics',
  resource: 'metrics',
  path: '/api/v1/metrics',
  names: { one: 'Metric', many: 'Metrics' },
  schemas: metricRequests,
  summaries: {
    list: 'Metric definitions by key, filtered by type, tag or text (q).',
    create: 'Define a metric.',
    get: 'One metric definition.',
    replace: 'Replace every field of a metric (version in the body or If-Match).',
    patch: 'Change some fields of a metric (version in the body or If-Match).',
    delete: 'Delete a metric (409 naming the ACTIVE or PAUSED experiments that measure it).',
  },
});

const EXPERIMENT = '/api/v1/experiments/{key}';

export const experimentRoutes = versionedRoutes({
  handler: 'experiments',
  resource: 'experiments',
  path: '/api/v1/experiments',
  names: { one: 'Experiment', many: 'Experiments' },
  schemas: experimentRequests,
  summaries: {
    list: 'Experiments by key, filtered by status, tag or text (q).',
    create: 'Create an experiment (status DRAFT).',
    get: 'One experiment.',
    replace:
      'Replace every field of an experiment but its schedule (version in the body or If-Match). Variants, unitAttribute, layer and layerRange are locked while ACTIVE or PAUSED; trafficAllocation may only grow.',
    patch: 'Change some fields of an experiment (version in the body or If-Match).',
    delete: 'Delete a DRAFT experiment (409 for any other status: archive instead).',
  },
});

export const startExperimentRoute = {
  operationId: 'startExperiment',
  method: 'POST',
  path: `${EXPERIMENT}/start`,
  handler: 'experiments',
  auth: 'cognito',
  permission: { resource: 'experiments', action: 'update' },
  summary:
    'DRAFT → ACTIVE. Version in the optional body or If-Match; any other status gives 409 naming the allowed actions.',
  tag: 'experiments',
  request: { params: experimentRequests.params, body: transitionExperimentBodySchema },
  response: experimentRequests.resource,
} as const satisfies RouteDefinition;

export const pauseExperimentRoute = {
  operationId: 'pauseExperiment',
  method: 'POST',
  path: `${EXPERIMENT}/pause`,
  handler: 'experiments',
  auth: 'cognito',
  permission: { resource: 'experiments', action: 'update' },
  summary:
    'ACTIVE → PAUSED. Version in the optional body or If-Match; any other status gives 409 naming the allowed actions.',
  tag: 'experiments',
  request: { params: experimentRequests.params, body: transitionExperimentBodySchema },
  response: experimentRequests.resource,
} as const satisfies RouteDefinition;

export const resumeExperimentRoute = {
  operationId: 'resumeExperiment',
  method: 'POST',
  path: `${EXPERIMENT}/resume`,
  handler: 'experiments',
  auth: 'cognito',
  permission: { resource: 'experiments', action: 'update' },
  summary:
    'PAUSED → ACTIVE. Version in the optional body or If-Match; any other status gives 409 naming the allowed actions.',
  tag: 'experiments',
  request: { params: experimentRequests.params, body: transitionExperimentBodySchema },
  response: experimentRequests.resource,
} as const satisfies RouteDefinition;

export const completeExperimentRoute = {
  operationId: 'completeExperiment',
  method: 'POST',
  path: `${EXPERIMENT}/complete`,
  handler: 'experiments',
  auth: 'cognito',
  permission: { resource: 'experiments', action: 'update' },
  summary:
    'ACTIVE or PAUSED → COMPLETED. Version in the optional body or If-Match; any other status gives 409 naming the allowed actions.',
  tag: 'experiments',
  request: { params: experimentRequests.params, body: transitionExperimentBodySchema },
  response: experimentRequests.resource,
} as const satisfies RouteDefinition;

export const archiveExperimentRoute = {
  operationId: 'archiveExperiment',
  method: 'POST',
  path: `${EXPERIMENT}/archive`,
  handler: 'experiments',
  auth: 'cognito',
  permission: { resource: 'experiments', action: 'update' },
  summary:
    'COMPLETED → ARCHIVED. Version in the optional body or If-Match; any other status gives 409 naming the allowed actions.',
  tag: 'experiments',
  request: { params: experimentRequests.params, body: transitionExperimentBodySchema },
  response: experimentRequests.resource,
} as const satisfies RouteDefinition;

export const scheduleExperimentRoute = {
  operationId: 'scheduleExperiment',
  method: 'PUT',
  path: `${EXPERIMENT}/schedule`,
  handler: 'experiments',
  auth: 'cognito',
  permission: { resource: 'experiments', action: 'update' },
  summary: 'Set (or clear) startAt and endAt; only while DRAFT or PAUSED (409 otherwise).',
  tag: 'experiments',
  request: { params: experimentRequests.params, body: scheduleExperimentBodySchema },
  response: experimentRequests.resource,
} as const satisfies RouteDefinition;

export const getExperimentResultsRoute = {
  operationId: 'getExperimentResults',
  method: 'GET',
  path: `${EXPERIMENT}/results`,
  handler: 'experiments',
  auth: 'cognito',
  permission: { resource: 'results', action: 'read' },
  summary:
    'Per metric and variant: units, mean, variance; each treatment against control (effect, 95% CI, p-value, ' +
    'chance to beat control, always-valid p-value), sample-ratio-mismatch check and a verdict. From ' +
    'aggregates only; `cuped=true` for CUPED.',
  tag: 'experiments',
  request: { params: resultsParams, query: resultsQuerySchema },
  response: experimentResultsSchema,
} as const satisfies RouteDefinition;

const ROLLOUT = '/api/v1/rollout-schedules/{id}';

export const rolloutRoutes = versionedRoutes({
  handler: 'rollout-schedules',
  resource: 'rollouts',
  path: '/api/v1/rollout-schedules',
  names: { one: 'RolloutSchedule', many: 'RolloutSchedules' },
  schemas: rolloutRequests,
  summaries: {
    list: 'Rollout schedules by id, filtered by flagKey or status.',
    create:
      'Create a schedule (status PENDING) ramping one variation of a flag stage by stage; it starts at startAt or on ' +
      'advance. Percentages in basis points, non-decreasing; `metric` triggers are refused (not supported yet).',
    get: 'One rollout schedule, with its history of stages entered.',
    replace:
      'Replace a schedule (version in the body or If-Match); only while PENDING or PAUSED. Once started, the flag, ' +
      'the variation and the stages already entered are locked (409).',
    delete:
      'Delete a schedule that is not ACTIVE (409: pause it first). The flag keeps its current fallthrough.',
  },
});

export const advanceRolloutRoute = {
  operationId: 'advanceRolloutSchedule',
  method: 'POST',
  path: `${ROLLOUT}/advance`,
  handler: 'rollout-schedules',
  auth: 'cognito',
  permission: { resource: 'rollouts', action: 'update' },
  summary:
    'Enter the next stage now (a PENDING schedule starts at stage 0; the last stage completes it): the flag’s ' +
    'fallthrough split changes, its version goes up, both audited. 409 for other statuses or when another ' +
    'schedule is running on the flag.',
  tag: 'rollout-schedules',
  request: { params: rolloutRequests.params, body: transitionRolloutBodySchema },
  response: rolloutRequests.resource,
} as const satisfies RouteDefinition;

export const pauseRolloutRoute = {
  operationId: 'pauseRolloutSchedule',
  method: 'POST',
  path: `${ROLLOUT}/pause`,
  handler: 'rollout-schedules',
  auth: 'cognito',
  permission: { resource: 'rollouts', action: 'update' },
  summary: 'ACTIVE → PAUSED: the job enters no stage; the flag keeps its split.',
  tag: 'rollout-schedules',
  request: { params: rolloutRequests.params, body: transitionRolloutBodySchema },
  response: rolloutRequests.resource,
} as const satisfies RouteDefinition;

export const resumeRolloutRoute = {
  operationId: 'resumeRolloutSchedule',
  method: 'POST',
  path: `${ROLLOUT}/resume`,
  handler: 'rollout-schedules',
  auth: 'cognito',
  permission: { resource: 'rollouts', action: 'update' },
  summary: 'PAUSED → ACTIVE; the current stage’s soak time starts again.',
  tag: 'rollout-schedules',
  request: { params: rolloutRequests.params, body: transitionRolloutBodySchema },
  response: rolloutRequests.resource,
} as const satisfies RouteDefinition;

export const getSafetySettingsRoute = {
  operationId: 'getSafetySettings',
  method: 'GET',
  path: '/api/v1/safety/settings',
  handler: 'safety',
  auth: 'cognito',
  permission: { resource: 'safety', action: 'read' },
  summary: 'The stage’s safety settings; before the first PUT, the defaults at version 0.',
  tag: 'safety',
  response: safetySettingsSchema,
} as const satisfies RouteDefinition;

export const putSafetySettingsRoute = {
  operationId: 'putSafetySettings',
  method: 'PUT',
  path: '/api/v1/safety/settings',
  handler: 'safety',
  auth: 'cognito',
  permission: { resource: 'safety', action: 'manage' },
  summary:
    'Replace the safety settings (ADMIN; fields left out take their default) at the version read — 0 before ' +
    'the first PUT — in the body or If-Match; a stale version gives 409.',
  tag: 'safety',
  request: { body: putSafetySettingsBodySchema },
  response: safetySettingsSchema,
  versioned: true,
} as const satisfies RouteDefinition;

const SAFETY_FLAG_CONFIG = '/api/v1/safety/feature-flags/{key}/config';

export const getFlagSafetyConfigRoute = {
  operationId: 'getFlagSafetyConfig',
  method: 'GET',
  path: SAFETY_FLAG_CONFIG,
  handler: 'safety',
  auth: 'cognito',
  permission: { resource: 'safety', action: 'read' },
  summary: 'A flag’s safety overrides (none at version 0) and its effective safety configuration.',
  tag: 'safety',
  request: { params: safetyFlagParams },
  response: flagSafetyConfigSchema,
} as const satisfies RouteDefinition;

export const putFlagSafetyConfigRoute = {
  operationId: 'putFlagSafetyConfig',
  method: 'PUT',
  path: SAFETY_FLAG_CONFIG,
  handler: 'safety',
  auth: 'cognito',
  permission: { resource: 'safety', action: 'update' },
  summary:
    'Replace a flag’s safety overrides and rollback action (an admin, or a developer who owns the flag) at the ' +
    'version read — 0 before the first PUT — in the body or If-Match; a stale version gives 409.',
  tag: 'safety',
  request: { params: safetyFlagParams, body: putFlagSafetyBodySchema },
  response: flagSafetyConfigSchema,
  versioned: true,
} as const satisfies RouteDefinition;

export const rollBackFlagRoute = {
  operationId: 'rollBackFlag',
  method: 'POST',
  path: '/api/v1/safety/rollback/{key}',
  handler: 'safety',
  auth: 'cognito',
  permission: { resource: 'safety', action: 'update' },
  summary:
    'Roll a flag back by hand (an admin, or a developer who owns the flag) with its configured action: ' +
    'previous_stage (its running rollout back one stage, ROLLED_BACK; the flag off when none runs) or off. ' +
    'Answers the rollback record; audited and notified. 409 when there is nothing to roll back.',
  tag: 'safety',
  request: { params: safetyFlagParams, body: rollbackBodySchema },
  response: rollbackRecordSchema,
  successStatus: 201,
  responses: {
    409: {
      description: 'Nothing to roll back (the message says why), or a concurrent change; nothing changed',
      schema: errorBodySchema,
    },
  },
} as const satisfies RouteDefinition;

export const listRollbacksRoute = {
  operationId: 'listSafetyRollbacks',
  method: 'GET',
  path: '/api/v1/safety/rollbacks',
  handler: 'safety',
  auth: 'cognito',
  permission: { resource: 'safety', action: 'read' },
  summary: 'Rollback records (automatic and manual), newest first, filtered by flagKey and time (from, to).',
  tag: 'safety',
  request: { query: listRollbacksQuerySchema },
  response: rollbackPageSchema,
} as const satisfies RouteDefinition;

export const getSafetyReportRoute = {
  operationId: 'getSafetyReport',
  method: 'GET',
  path: '/api/v1/safety/report',
  handler: 'safety',
  auth: 'cognito',
  permission: { resource: 'safety', action: 'read' },
  summary:
    'The monitored flags (safety on, and a running rollout or their own config enabled) with their effective ' +
    'configuration, rollout and recent rollbacks, and the last rollbacks of any flag.',
  tag: 'safety',
  response: safetyReportSchema,
} as const satisfies RouteDefinition;

export const listApiKeysRoute = {
  operationId: 'listApiKeys',
  method: 'GET',
  path: '/api/v1/api-keys',
  handler: 'api-keys',
  auth: 'cognito',
  permission: { resource: 'apiKeys', action: 'read' },
  summary: 'SDK API keys, newest first, filtered by type or revoked; secrets are never listed.',
  tag: 'api-keys',
  request: { query: listApiKeysQuerySchema },
  response: apiKeyPageSchema,
} as const satisfies RouteDefinition;

export const createApiKeyRoute = {
  operationId: 'createApiKey',
  method: 'POST',
  path: '/api/v1/api-keys',
  handler: 'api-keys',
  auth: 'cognito',
  permission: { resource: 'apiKeys', action: 'create' },
  summary: 'Create a server or client key. The answer carries the secret: the only time it is shown.',
  tag: 'api-keys',
  request: { body: createApiKeyBodySchema },
  response: createdApiKeySchema,
  successStatus: 201,
} as const satisfies RouteDefinition;

export const revokeApiKeyRoute = {
  operationId: 'revokeApiKey',
  method: 'DELETE',
  path: '/api/v1/api-keys/{id}',
  handler: 'api-keys',
  auth: 'cognito',
  permission: { resource: 'apiKeys', action: 'delete' },
  summary:
    'Revoke a key and answer it with revokedAt set (again for a key already revoked). SDKs using it are ' +
    'refused within the authorizer cache TTL (5 minutes).',
  tag: 'api-keys',
  request: { params: apiKeyIdParams },
  response: apiKeySchema,
} as const satisfies RouteDefinition;

export const ingestEventsRoute = {
  operationId: 'ingestEvents',
  method: 'POST',
  path: '/api/v1/events',
  handler: 'events',
  auth: 'apiKey',
  permission: 'authenticated',
  summary:
    'Up to 500 events (exposure, track, error, latency; 32 KiB each, 1 MiB per request). Each is checked on ' +
    'its own: the answer lists the accepted eventIds and, for the others, why (INVALID, TOO_LARGE, ' +
    'DUPLICATE, OUT_OF_RANGE, NOT_ALLOWED (exposures need a server key), NOT_STORED — send those again). ' +
    'When the stream stored none of the valid events: 503 SERVICE_UNAVAILABLE with Retry-After.',
  tag: 'sdk',
  request: {
    body: ingestBodySchema,
    // Events are checked one by one (a bad one is refused, the others accepted): the envelope takes any items.
    documentedBody: ingestBodySchema
      .extend({ events: z.array(eventSchema).min(1).max(MAX_EVENTS_PER_REQUEST) })
      .meta({ id: 'IngestRequest' }),
  },
  response: ingestResponseSchema,
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
  ...Object.values(flagRoutes),
  toggleFlagRoute,
  transferFlagOwnerRoute,
  ...Object.values(segmentRoutes),
  ...Object.values(layerRoutes),
  ...Object.values(metricRoutes),
  ...Object.values(experimentRoutes),
  startExperimentRoute,
  pauseExperimentRoute,
  resumeExperimentRoute,
  completeExperimentRoute,
  archiveExperimentRoute,
  scheduleExperimentRoute,
  getExperimentResultsRoute,
  ...Object.values(rolloutRoutes),
  advanceRolloutRoute,
  pauseRolloutRoute,
  resumeRolloutRoute,
  getSafetySettingsRoute,
  putSafetySettingsRoute,
  getFlagSafetyConfigRoute,
  putFlagSafetyConfigRoute,
  rollBackFlagRoute,
  listRollbacksRoute,
  getSafetyReportRoute,
  listApiKeysRoute,
  createApiKeyRoute,
  revokeApiKeyRoute,
  evaluateRoute,
  assignRoute,
  ingestEventsRoute,
  getSdkRulesetRoute,
  ofrepFlagRoute,
  ofrepBulkRoute,
];

export function routesOf(group: HandlerGroup): RouteDefinition[] {
  return ROUTES.filter((r) => r.handler === group);
}

/** Entry file of a handler group's Lambda function, relative to the repository root. */
export function handlerEntry(group: HandlerGroup): string {
  return FUNCTIONS[group].entry;
}
