import { assignBodySchema, assignResponseSchema } from '../assignments/schema';
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
import type { RouteDefinition } from './route-definition';

/**
 * The evaluation group's routes (SDKs and OpenFeature), part of THE route table (shared/http/routes.ts lists
 * them): kept in a module of their own so the evaluation function, whose cold start the SDKs wait for, loads only
 * its own routes' schemas (issue 17, goal 3), not the whole table's.
 */
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
  redirect:
    'The ruleset is larger than a response may carry (5 MiB): read it from Location, a URL valid for 60 s ' +
    'that takes no credentials. Its revision is the ETag to send next time.',
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

/** Every route the evaluation function serves, as the table lists them (a unit test holds the two equal). */
export const EVALUATION_ROUTES: readonly RouteDefinition[] = [
  evaluateRoute,
  assignRoute,
  getSdkRulesetRoute,
  ofrepFlagRoute,
  ofrepBulkRoute,
];
