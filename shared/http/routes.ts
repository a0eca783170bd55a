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
import type { Permission } from '../auth/permissions';
import { healthSchema } from '../system/schema';
import {
  createUserBodySchema,
  currentUserSchema,
  setRoleBodySchema,
  userIdParams,
  userSchema,
} from '../users/schema';
import {
  flagKeyParams,
  flagPageSchema,
  flagSchema,
  listFlagsQuerySchema,
  patchFlagBodySchema,
  replaceFlagBodySchema,
  toggleFlagBodySchema,
  transferOwnerBodySchema,
} from '../flags/requests';
import { flagInputSchema } from '../flags/schema';
import {
  listSegmentsQuerySchema,
  patchSegmentBodySchema,
  replaceSegmentBodySchema,
  segmentKeyParams,
  segmentPageSchema,
  segmentSchema,
} from '../segments/requests';
import { segmentInputSchema } from '../segments/schema';
import {
  layerInputSchema,
  layerKeyParams,
  layerPageSchema,
  layerSchema,
  listLayersQuerySchema,
  patchLayerBodySchema,
  replaceLayerBodySchema,
} from '../layers/requests';
import {
  listMetricsQuerySchema,
  metricInputSchema,
  metricKeyParams,
  metricPageSchema,
  metricSchema,
  patchMetricBodySchema,
  replaceMetricBodySchema,
} from '../metrics/schema';
import {
  experimentKeyParams,
  experimentPageSchema,
  experimentSchema,
  listExperimentsQuerySchema,
  patchExperimentBodySchema,
  replaceExperimentBodySchema,
  scheduleExperimentBodySchema,
  transitionExperimentBodySchema,
} from '../experiments/requests';
import { experimentInputSchema } from '../experiments/schema';
import {
  listRolloutsQuerySchema,
  replaceRolloutBodySchema,
  rolloutIdParams,
  rolloutPageSchema,
  rolloutSchema,
  transitionRolloutBodySchema,
} from '../rollouts/requests';
import { rolloutInputSchema } from '../rollouts/schema';
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
import { evaluateBodySchema, evaluateResponseSchema } from '../evaluation/schema';
import {
  ofrepBodyText,
  ofrepBulkFailureSchema,
  ofrepBulkSuccessSchema,
  ofrepEvaluationFailureSchema,
  ofrepEvaluationSuccessSchema,
  ofrepFlagNotFoundSchema,
  ofrepKeyParams,
  ofrepRequestSchema,
} from '../evaluation/ofrep-schema';
import { rulesetSchema } from '../rulesets/schema';
import { assignBodySchema, assignResponseSchema } from '../assignments/schema';
import { ingestBodySchema, ingestResponseSchema } from '../events/ingest';
import { eventSchema, MAX_EVENTS_PER_REQUEST } from '../events/schema';
import { experimentResultsSchema, resultsParams, resultsQuerySchema } from '../results/schema';
import { FUNCTIONS, type HandlerGroup } from '../functions';
import { deleteVersionBody, deleteVersionQuery } from '../config/versioning';
import { pageSchema, paginationQuery } from '../pagination';
import { errorBodySchema } from './gateway-responses';

/**
 * THE route table: the single source for API Gateway resources and methods (lib/stacks/api-stack.ts),
 * the local platform's router (local/gateway.ts), the OpenAPI document (shared/http/openapi.ts) and the
 * RBAC matrix test. A route added here is deployed, served locally, documented and access-tested.
 */
export { HANDLER_GROUPS, type HandlerGroup } from '../functions';

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
}

export interface RouteResponse {
  readonly description: string;
  /** Schema of the JSON body. */
  readonly schema: z.ZodType;
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

export const listFlagsRoute = {
  operationId: 'listFlags',
  method: 'GET',
  path: '/api/v1/feature-flags',
  handler: 'feature-flags',
  auth: 'cognito',
  permission: { resource: 'flags', action: 'read' },
  summary: 'Flags by key, filtered by tag, enabled, text (q) or staleness.',
  tag: 'feature-flags',
  request: { query: listFlagsQuerySchema },
  response: flagPageSchema,
} as const satisfies RouteDefinition;

export const createFlagRoute = {
  operationId: 'createFlag',
  method: 'POST',
  path: '/api/v1/feature-flags',
  handler: 'feature-flags',
  auth: 'cognito',
  permission: { resource: 'flags', action: 'create' },
  summary: 'Create a flag; the caller becomes its owner.',
  tag: 'feature-flags',
  request: { body: flagInputSchema },
  response: flagSchema,
  successStatus: 201,
} as const satisfies RouteDefinition;

export const getFlagRoute = {
  operationId: 'getFlag',
  method: 'GET',
  path: FLAG,
  handler: 'feature-flags',
  auth: 'cognito',
  permission: { resource: 'flags', action: 'read' },
  summary: 'One flag.',
  tag: 'feature-flags',
  request: { params: flagKeyParams },
  response: flagSchema,
} as const satisfies RouteDefinition;

export const replaceFlagRoute = {
  operationId: 'replaceFlag',
  method: 'PUT',
  path: FLAG,
  handler: 'feature-flags',
  auth: 'cognito',
  permission: { resource: 'flags', action: 'update' },
  summary: 'Replace every field of a flag (version in the body or If-Match). Developers: own flags only.',
  tag: 'feature-flags',
  request: { params: flagKeyParams, body: replaceFlagBodySchema },
  response: flagSchema,
} as const satisfies RouteDefinition;

export const patchFlagRoute = {
  operationId: 'patchFlag',
  method: 'PATCH',
  path: FLAG,
  handler: 'feature-flags',
  auth: 'cognito',
  permission: { resource: 'flags', action: 'update' },
  summary: 'Change some fields of a flag (version in the body or If-Match). Developers: own flags only.',
  tag: 'feature-flags',
  request: { params: flagKeyParams, body: patchFlagBodySchema },
  response: flagSchema,
} as const satisfies RouteDefinition;

export const deleteFlagRoute = {
  operationId: 'deleteFlag',
  method: 'DELETE',
  path: FLAG,
  handler: 'feature-flags',
  auth: 'cognito',
  permission: { resource: 'flags', action: 'delete' },
  summary: 'Delete a flag (refused while another flag has it as a prerequisite). Developers: own flags only.',
  tag: 'feature-flags',
  request: { params: flagKeyParams, query: deleteVersionQuery, body: deleteVersionBody },
  successStatus: 204,
} as const satisfies RouteDefinition;

export const toggleFlagRoute = {
  operationId: 'toggleFlag',
  method: 'POST',
  path: `${FLAG}/toggle`,
  handler: 'feature-flags',
  auth: 'cognito',
  permission: { resource: 'flags', action: 'update' },
  summary: 'Turn a flag on or off (or flip it). Developers: own flags only.',
  tag: 'feature-flags',
  request: { params: flagKeyParams, body: toggleFlagBodySchema },
  response: flagSchema,
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
  request: { params: flagKeyParams, body: transferOwnerBodySchema },
  response: flagSchema,
} as const satisfies RouteDefinition;

const SEGMENT = '/api/v1/segments/{key}';

export const listSegmentsRoute = {
  operationId: 'listSegments',
  method: 'GET',
  path: '/api/v1/segments',
  handler: 'segments',
  auth: 'cognito',
  permission: { resource: 'segments', action: 'read' },
  summary: 'Segments by key, filtered by tag or text (q).',
  tag: 'segments',
  request: { query: listSegmentsQuerySchema },
  response: segmentPageSchema,
} as const satisfies RouteDefinition;

export const createSegmentRoute = {
  operationId: 'createSegment',
  method: 'POST',
  path: '/api/v1/segments',
  handler: 'segments',
  auth: 'cognito',
  permission: { resource: 'segments', action: 'create' },
  summary: 'Create a segment.',
  tag: 'segments',
  request: { body: segmentInputSchema },
  response: segmentSchema,
  successStatus: 201,
} as const satisfies RouteDefinition;

export const getSegmentRoute = {
  operationId: 'getSegment',
  method: 'GET',
  path: SEGMENT,
  handler: 'segments',
  auth: 'cognito',
  permission: { resource: 'segments', action: 'read' },
  summary: 'One segment.',
  tag: 'segments',
  request: { params: segmentKeyParams },
  response: segmentSchema,
} as const satisfies RouteDefinition;

export const replaceSegmentRoute = {
  operationId: 'replaceSegment',
  method: 'PUT',
  path: SEGMENT,
  handler: 'segments',
  auth: 'cognito',
  permission: { resource: 'segments', action: 'update' },
  summary: 'Replace every field of a segment (version in the body or If-Match).',
  tag: 'segments',
  request: { params: segmentKeyParams, body: replaceSegmentBodySchema },
  response: segmentSchema,
} as const satisfies RouteDefinition;

export const patchSegmentRoute = {
  operationId: 'patchSegment',
  method: 'PATCH',
  path: SEGMENT,
  handler: 'segments',
  auth: 'cognito',
  permission: { resource: 'segments', action: 'update' },
  summary: 'Change some fields of a segment (version in the body or If-Match).',
  tag: 'segments',
  request: { params: segmentKeyParams, body: patchSegmentBodySchema },
  response: segmentSchema,
} as const satisfies RouteDefinition;

export const deleteSegmentRoute = {
  operationId: 'deleteSegment',
  method: 'DELETE',
  path: SEGMENT,
  handler: 'segments',
  auth: 'cognito',
  permission: { resource: 'segments', action: 'delete' },
  summary: 'Delete a segment (409 naming the flags that still use it).',
  tag: 'segments',
  request: { params: segmentKeyParams, query: deleteVersionQuery, body: deleteVersionBody },
  successStatus: 204,
} as const satisfies RouteDefinition;

const LAYER = '/api/v1/layers/{key}';

export const listLayersRoute = {
  operationId: 'listLayers',
  method: 'GET',
  path: '/api/v1/layers',
  handler: 'layers',
  auth: 'cognito',
  permission: { resource: 'layers', action: 'read' },
  summary: 'Layers by key, filtered by tag or text (q).',
  tag: 'layers',
  request: { query: listLayersQuerySchema },
  response: layerPageSchema,
} as const satisfies RouteDefinition;

export const createLayerRoute = {
  operationId: 'createLayer',
  method: 'POST',
  path: '/api/v1/layers',
  handler: 'layers',
  auth: 'cognito',
  permission: { resource: 'layers', action: 'create' },
  summary: 'Create a layer.',
  tag: 'layers',
  request: { body: layerInputSchema },
  response: layerSchema,
  successStatus: 201,
} as const satisfies RouteDefinition;

export const getLayerRoute = {
  operationId: 'getLayer',
  method: 'GET',
  path: LAYER,
  handler: 'layers',
  auth: 'cognito',
  permission: { resource: 'layers', action: 'read' },
  summary: 'One layer.',
  tag: 'layers',
  request: { params: layerKeyParams },
  response: layerSchema,
} as const satisfies RouteDefinition;

export const replaceLayerRoute = {
  operationId: 'replaceLayer',
  method: 'PUT',
  path: LAYER,
  handler: 'layers',
  auth: 'cognito',
  permission: { resource: 'layers', action: 'update' },
  summary: 'Replace every field of a layer (version in the body or If-Match).',
  tag: 'layers',
  request: { params: layerKeyParams, body: replaceLayerBodySchema },
  response: layerSchema,
} as const satisfies RouteDefinition;

export const patchLayerRoute = {
  operationId: 'patchLayer',
  method: 'PATCH',
  path: LAYER,
  handler: 'layers',
  auth: 'cognito',
  permission: { resource: 'layers', action: 'update' },
  summary: 'Change some fields of a layer (version in the body or If-Match).',
  tag: 'layers',
  request: { params: layerKeyParams, body: patchLayerBodySchema },
  response: layerSchema,
} as const satisfies RouteDefinition;

export const deleteLayerRoute = {
  operationId: 'deleteLayer',
  method: 'DELETE',
  path: LAYER,
  handler: 'layers',
  auth: 'cognito',
  permission: { resource: 'layers', action: 'delete' },
  summary: 'Delete a layer (409 naming the experiments still in it).',
  tag: 'layers',
  request: { params: layerKeyParams, query: deleteVersionQuery, body: deleteVersionBody },
  successStatus: 204,
} as const satisfies RouteDefinition;

const METRIC = '/api/v1/metrics/{key}';

export const listMetricsRoute = {
  operationId: 'listMetrics',
  method: 'GET',
  path: '/api/v1/metrics',
  handler: 'metrics',
  auth: 'cognito',
  permission: { resource: 'metrics', action: 'read' },
  summary: 'Metric definitions by key, filtered by type, tag or text (q).',
  tag: 'metrics',
  request: { query: listMetricsQuerySchema },
  response: metricPageSchema,
} as const satisfies RouteDefinition;

export const createMetricRoute = {
  operationId: 'createMetric',
  method: 'POST',
  path: '/api/v1/metrics',
  handler: 'metrics',
  auth: 'cognito',
  permission: { resource: 'metrics', action: 'create' },
  summary: 'Define a metric.',
  tag: 'metrics',
  request: { body: metricInputSchema },
  response: metricSchema,
  successStatus: 201,
} as const satisfies RouteDefinition;

export const getMetricRoute = {
  operationId: 'getMetric',
  method: 'GET',
  path: METRIC,
  handler: 'metrics',
  auth: 'cognito',
  permission: { resource: 'metrics', action: 'read' },
  summary: 'One metric definition.',
  tag: 'metrics',
  request: { params: metricKeyParams },
  response: metricSchema,
} as const satisfies RouteDefinition;

export const replaceMetricRoute = {
  operationId: 'replaceMetric',
  method: 'PUT',
  path: METRIC,
  handler: 'metrics',
  auth: 'cognito',
  permission: { resource: 'metrics', action: 'update' },
  summary: 'Replace every field of a metric (version in the body or If-Match).',
  tag: 'metrics',
  request: { params: metricKeyParams, body: replaceMetricBodySchema },
  response: metricSchema,
} as const satisfies RouteDefinition;

export const patchMetricRoute = {
  operationId: 'patchMetric',
  method: 'PATCH',
  path: METRIC,
  handler: 'metrics',
  auth: 'cognito',
  permission: { resource: 'metrics', action: 'update' },
  summary: 'Change some fields of a metric (version in the body or If-Match).',
  tag: 'metrics',
  request: { params: metricKeyParams, body: patchMetricBodySchema },
  response: metricSchema,
} as const satisfies RouteDefinition;

export const deleteMetricRoute = {
  operationId: 'deleteMetric',
  method: 'DELETE',
  path: METRIC,
  handler: 'metrics',
  auth: 'cognito',
  permission: { resource: 'metrics', action: 'delete' },
  summary: 'Delete a metric (409 naming the ACTIVE or PAUSED experiments that measure it).',
  tag: 'metrics',
  request: { params: metricKeyParams, query: deleteVersionQuery, body: deleteVersionBody },
  successStatus: 204,
} as const satisfies RouteDefinition;

const EXPERIMENT = '/api/v1/experiments/{key}';

export const listExperimentsRoute = {
  operationId: 'listExperiments',
  method: 'GET',
  path: '/api/v1/experiments',
  handler: 'experiments',
  auth: 'cognito',
  permission: { resource: 'experiments', action: 'read' },
  summary: 'Experiments by key, filtered by status, tag or text (q).',
  tag: 'experiments',
  request: { query: listExperimentsQuerySchema },
  response: experimentPageSchema,
} as const satisfies RouteDefinition;

export const createExperimentRoute = {
  operationId: 'createExperiment',
  method: 'POST',
  path: '/api/v1/experiments',
  handler: 'experiments',
  auth: 'cognito',
  permission: { resource: 'experiments', action: 'create' },
  summary: 'Create an experiment (status DRAFT).',
  tag: 'experiments',
  request: { body: experimentInputSchema },
  response: experimentSchema,
  successStatus: 201,
} as const satisfies RouteDefinition;

export const getExperimentRoute = {
  operationId: 'getExperiment',
  method: 'GET',
  path: EXPERIMENT,
  handler: 'experiments',
  auth: 'cognito',
  permission: { resource: 'experiments', action: 'read' },
  summary: 'One experiment.',
  tag: 'experiments',
  request: { params: experimentKeyParams },
  response: experimentSchema,
} as const satisfies RouteDefinition;

export const replaceExperimentRoute = {
  operationId: 'replaceExperiment',
  method: 'PUT',
  path: EXPERIMENT,
  handler: 'experiments',
  auth: 'cognito',
  permission: { resource: 'experiments', action: 'update' },
  summary:
    'Replace every field of an experiment but its schedule (version in the body or If-Match). Variants, unitAttribute, layer and layerRange are locked while ACTIVE or PAUSED; trafficAllocation may only grow.',
  tag: 'experiments',
  request: { params: experimentKeyParams, body: replaceExperimentBodySchema },
  response: experimentSchema,
} as const satisfies RouteDefinition;

export const patchExperimentRoute = {
  operationId: 'patchExperiment',
  method: 'PATCH',
  path: EXPERIMENT,
  handler: 'experiments',
  auth: 'cognito',
  permission: { resource: 'experiments', action: 'update' },
  summary: 'Change some fields of an experiment (version in the body or If-Match).',
  tag: 'experiments',
  request: { params: experimentKeyParams, body: patchExperimentBodySchema },
  response: experimentSchema,
} as const satisfies RouteDefinition;

export const deleteExperimentRoute = {
  operationId: 'deleteExperiment',
  method: 'DELETE',
  path: EXPERIMENT,
  handler: 'experiments',
  auth: 'cognito',
  permission: { resource: 'experiments', action: 'delete' },
  summary: 'Delete a DRAFT experiment (409 for any other status: archive instead).',
  tag: 'experiments',
  request: { params: experimentKeyParams, query: deleteVersionQuery, body: deleteVersionBody },
  successStatus: 204,
} as const satisfies RouteDefinition;

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
  request: { params: experimentKeyParams, body: transitionExperimentBodySchema },
  response: experimentSchema,
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
  request: { params: experimentKeyParams, body: transitionExperimentBodySchema },
  response: experimentSchema,
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
  request: { params: experimentKeyParams, body: transitionExperimentBodySchema },
  response: experimentSchema,
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
  request: { params: experimentKeyParams, body: transitionExperimentBodySchema },
  response: experimentSchema,
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
  request: { params: experimentKeyParams, body: transitionExperimentBodySchema },
  response: experimentSchema,
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
  request: { params: experimentKeyParams, body: scheduleExperimentBodySchema },
  response: experimentSchema,
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

export const listRolloutsRoute = {
  operationId: 'listRolloutSchedules',
  method: 'GET',
  path: '/api/v1/rollout-schedules',
  handler: 'rollout-schedules',
  auth: 'cognito',
  permission: { resource: 'rollouts', action: 'read' },
  summary: 'Rollout schedules by id, filtered by flagKey or status.',
  tag: 'rollout-schedules',
  request: { query: listRolloutsQuerySchema },
  response: rolloutPageSchema,
} as const satisfies RouteDefinition;

export const createRolloutRoute = {
  operationId: 'createRolloutSchedule',
  method: 'POST',
  path: '/api/v1/rollout-schedules',
  handler: 'rollout-schedules',
  auth: 'cognito',
  permission: { resource: 'rollouts', action: 'create' },
  summary:
    'Create a schedule (status PENDING) ramping one variation of a flag stage by stage; it starts at startAt or on ' +
    'advance. Percentages in basis points, non-decreasing; `metric` triggers are refused (not supported yet).',
  tag: 'rollout-schedules',
  request: { body: rolloutInputSchema },
  response: rolloutSchema,
  successStatus: 201,
} as const satisfies RouteDefinition;

export const getRolloutRoute = {
  operationId: 'getRolloutSchedule',
  method: 'GET',
  path: ROLLOUT,
  handler: 'rollout-schedules',
  auth: 'cognito',
  permission: { resource: 'rollouts', action: 'read' },
  summary: 'One rollout schedule, with its history of stages entered.',
  tag: 'rollout-schedules',
  request: { params: rolloutIdParams },
  response: rolloutSchema,
} as const satisfies RouteDefinition;

export const replaceRolloutRoute = {
  operationId: 'replaceRolloutSchedule',
  method: 'PUT',
  path: ROLLOUT,
  handler: 'rollout-schedules',
  auth: 'cognito',
  permission: { resource: 'rollouts', action: 'update' },
  summary:
    'Replace a schedule (version in the body or If-Match); only while PENDING or PAUSED. Once started, the flag, ' +
    'the variation and the stages already entered are locked (409).',
  tag: 'rollout-schedules',
  request: { params: rolloutIdParams, body: replaceRolloutBodySchema },
  response: rolloutSchema,
} as const satisfies RouteDefinition;

export const deleteRolloutRoute = {
  operationId: 'deleteRolloutSchedule',
  method: 'DELETE',
  path: ROLLOUT,
  handler: 'rollout-schedules',
  auth: 'cognito',
  permission: { resource: 'rollouts', action: 'delete' },
  summary:
    'Delete a schedule that is not ACTIVE (409: pause it first). The flag keeps its current fallthrough.',
  tag: 'rollout-schedules',
  request: { params: rolloutIdParams, query: deleteVersionQuery, body: deleteVersionBody },
  successStatus: 204,
} as const satisfies RouteDefinition;

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
  request: { params: rolloutIdParams, body: transitionRolloutBodySchema },
  response: rolloutSchema,
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
  request: { params: rolloutIdParams, body: transitionRolloutBodySchema },
  response: rolloutSchema,
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
  request: { params: rolloutIdParams, body: transitionRolloutBodySchema },
  response: rolloutSchema,
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

export const evaluateRoute = {
  operationId: 'evaluate',
  method: 'POST',
  path: '/api/v1/evaluate',
  handler: 'evaluation',
  auth: 'apiKey',
  permission: 'authenticated',
  summary: 'Evaluate every flag (or the named ones) for one context. Client keys see client-side flags only.',
  tag: 'sdk',
  request: { body: evaluateBodySchema },
  response: evaluateResponseSchema,
} as const satisfies RouteDefinition;

export const assignRoute = {
  operationId: 'assign',
  method: 'POST',
  path: '/api/v1/assignments',
  handler: 'evaluation',
  auth: 'apiKey',
  permission: 'authenticated',
  summary:
    'Assign one unit to every running experiment (or the named ones): variant, payload, inExperiment and why. ' +
    'Each assignment in an experiment is logged once as an exposure event.',
  tag: 'sdk',
  request: { body: assignBodySchema },
  response: assignResponseSchema,
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

export const getSdkRulesetRoute = {
  operationId: 'getSdkRuleset',
  method: 'GET',
  path: '/api/v1/sdk/ruleset',
  handler: 'evaluation',
  auth: 'apiKey',
  permission: 'authenticated',
  summary: 'The compiled ruleset for local evaluation (server keys). ETag = revision; If-None-Match → 304.',
  tag: 'sdk',
  response: rulesetSchema,
  etag: true,
} as const satisfies RouteDefinition;

export const ofrepFlagRoute = {
  operationId: 'ofrepEvaluateFlag',
  method: 'POST',
  path: '/ofrep/v1/evaluate/flags/{key}',
  handler: 'evaluation',
  auth: 'apiKey',
  permission: 'authenticated',
  summary:
    'OpenFeature Remote Evaluation Protocol: one flag (200; 400 unreadable request or failed evaluation; 404 no such flag).',
  tag: 'ofrep',
  request: { params: ofrepKeyParams, body: ofrepBodyText, documentedBody: ofrepRequestSchema, rawBody: true },
  response: ofrepEvaluationSuccessSchema,
  responses: {
    400: {
      description:
        'The body is not a JSON object (PARSE_ERROR), its context is not an object (INVALID_CONTEXT), or the evaluation failed',
      schema: ofrepEvaluationFailureSchema,
    },
    404: {
      description: 'No such flag, or not one this key may see (any key, however long or odd)',
      schema: ofrepFlagNotFoundSchema,
    },
  },
} as const satisfies RouteDefinition;

export const ofrepBulkRoute = {
  operationId: 'ofrepEvaluateFlags',
  method: 'POST',
  path: '/ofrep/v1/evaluate/flags',
  handler: 'evaluation',
  auth: 'apiKey',
  permission: 'authenticated',
  summary:
    'OpenFeature Remote Evaluation Protocol: every flag this key may see, with ETag / If-None-Match (304 while the answer is the same).',
  tag: 'ofrep',
  request: { body: ofrepBodyText, documentedBody: ofrepRequestSchema, rawBody: true },
  response: ofrepBulkSuccessSchema,
  etag: true,
  responses: {
    400: {
      description:
        'The body is not a JSON object (PARSE_ERROR), or its context is not an object (INVALID_CONTEXT)',
      schema: ofrepBulkFailureSchema,
    },
  },
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
  listFlagsRoute,
  createFlagRoute,
  getFlagRoute,
  replaceFlagRoute,
  patchFlagRoute,
  deleteFlagRoute,
  toggleFlagRoute,
  transferFlagOwnerRoute,
  listSegmentsRoute,
  createSegmentRoute,
  getSegmentRoute,
  replaceSegmentRoute,
  patchSegmentRoute,
  deleteSegmentRoute,
  listLayersRoute,
  createLayerRoute,
  getLayerRoute,
  replaceLayerRoute,
  patchLayerRoute,
  deleteLayerRoute,
  listMetricsRoute,
  createMetricRoute,
  getMetricRoute,
  replaceMetricRoute,
  patchMetricRoute,
  deleteMetricRoute,
  listExperimentsRoute,
  createExperimentRoute,
  getExperimentRoute,
  replaceExperimentRoute,
  patchExperimentRoute,
  deleteExperimentRoute,
  startExperimentRoute,
  pauseExperimentRoute,
  resumeExperimentRoute,
  completeExperimentRoute,
  archiveExperimentRoute,
  scheduleExperimentRoute,
  getExperimentResultsRoute,
  listRolloutsRoute,
  createRolloutRoute,
  getRolloutRoute,
  replaceRolloutRoute,
  deleteRolloutRoute,
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

export function routeKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path}`;
}

export function routesOf(group: HandlerGroup): RouteDefinition[] {
  return ROUTES.filter((r) => r.handler === group);
}

/** Entry file of a handler group's Lambda function, relative to the repository root. */
export function handlerEntry(group: HandlerGroup): string {
  return FUNCTIONS[group].entry;
}
