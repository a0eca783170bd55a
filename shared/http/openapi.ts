import { createHash } from 'node:crypto';
import * as z from 'zod';
import { FUNCTIONS } from '../functions';
import { errorBodySchema, GATEWAY_ERRORS } from './gateway-responses';
import { ROUTES, type RouteDefinition, type RouteResponse } from './routes';

type JsonSchema = Record<string, unknown>;

const JSON_MEDIA_TYPE = 'application/json';
const NDJSON_MEDIA_TYPE = 'application/x-ndjson';

/**
 * The resources whose changes carry a version (SPEC §3): those whose routes come from `versionedRoutes`. Their
 * writes take `If-Match` and may give 409, the actions a resource adds beside its route set included.
 */
const VERSIONED_RESOURCES: ReadonlySet<string> = new Set(
  ROUTES.flatMap((route) =>
    route.versionedResource === true && typeof route.permission === 'object'
      ? [route.permission.resource]
      : [],
  ),
);

/**
 * A JSON Schema as every tool reads it:
 * - without the branches that accept anything (`anyOf: [{}, …]` says nothing but "any value");
 * - a tuple of one type (an interval's `[low, high]`: zod's `prefixItems` with `items: false`) as an array of
 *   that type with a fixed length. Tools that do not know `prefixItems` (Prism 5, OpenAPI 3.0 generators) applied
 *   `items: false` to every element and refused every interval.
 */
function withoutEmptyBranches(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmptyBranches);
  if (typeof value !== 'object' || value === null) return value;
  const out: JsonSchema = {};
  for (const [name, child] of Object.entries(value)) out[name] = withoutEmptyBranches(child);
  const anyOf: unknown = out.anyOf;
  const acceptsAnything = (branch: unknown) =>
    typeof branch === 'object' && branch !== null && Object.keys(branch).length === 0;
  if (Array.isArray(anyOf) && (anyOf as unknown[]).some(acceptsAnything)) delete out.anyOf;
  const tuple: unknown = out.prefixItems;
  if (Array.isArray(tuple) && tuple.length > 0 && out.items === false) {
    const first = JSON.stringify(tuple[0]);
    if (tuple.every((item) => JSON.stringify(item) === first)) {
      delete out.prefixItems;
      out.items = tuple[0] as JsonSchema;
      out.minItems ??= tuple.length;
      out.maxItems ??= tuple.length;
    }
  }
  return out;
}

function selfReferenced(name: string, def: unknown): string {
  return JSON.stringify(def).replaceAll(`"#/$defs/${name}"`, '"#"');
}

const JSON_VALUE_SHAPE = selfReferenced(
  '__schema0',
  z.toJSONSchema(z.object({ value: z.json() }), { io: 'output' }).$defs?.__schema0,
);

/**
 * zod names the recursive schemas that have no id `__schema0`, `__schema1`… per call: name them by content so
 * that two calls never give one name to two different schemas (z.json() becomes `JsonValue`).
 */
function nameAnonymousDefinitions(text: string, defs: Record<string, unknown>): string {
  let out = text;
  for (const [name, def] of Object.entries(defs)) {
    if (!name.startsWith('__schema')) continue;
    const shape = selfReferenced(name, def);
    const stable =
      shape === JSON_VALUE_SHAPE
        ? 'JsonValue'
        : `Schema${createHash('sha256').update(shape).digest('hex').slice(0, 10)}`;
    out = out.replaceAll(`"#/$defs/${name}"`, `"#/$defs/${stable}"`).replaceAll(`"${name}":`, `"${stable}":`);
  }
  return out;
}

/**
 * JSON Schema of a zod schema; schemas named with `.meta({id})` go to `components.schemas` (shared by every
 * operation that uses them) instead of being repeated inline.
 */
function jsonSchema(
  schema: z.ZodType,
  io: 'input' | 'output',
  components: Record<string, JsonSchema>,
): JsonSchema {
  const generated = z.toJSONSchema(schema, { io, unrepresentable: 'any', reused: 'inline' }) as JsonSchema & {
    $defs?: Record<string, unknown>;
  };
  const named = nameAnonymousDefinitions(JSON.stringify(generated), generated.$defs ?? {});
  const rewritten = named.replaceAll('"#/$defs/', '"#/components/schemas/');
  const {
    $schema: _schema,
    $defs,
    ...rest
  } = withoutEmptyBranches(JSON.parse(rewritten)) as JsonSchema & {
    $defs?: Record<string, JsonSchema>;
  };
  Object.assign(components, $defs ?? {});
  return rest;
}

function parameters(route: RouteDefinition, components: Record<string, JsonSchema>): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const location of ['params', 'query'] as const) {
    const schema = route.request?.[location];
    if (schema === undefined) continue;
    const shape = jsonSchema(schema, 'input', components);
    const properties = (shape.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((shape.required ?? []) as string[]);
    for (const [name, property] of Object.entries(properties)) {
      out.push({
        name,
        in: location === 'params' ? 'path' : 'query',
        required: location === 'params' || required.has(name),
        schema: property,
      });
    }
  }
  if (takesVersion(route)) out.push({ $ref: '#/components/parameters/IfMatch' });
  if (route.etag === true) out.push({ $ref: '#/components/parameters/IfNoneMatch' });
  return out;
}

/** Whether a route changes one versioned resource, so it takes `If-Match` (or `version` in the body). */
export function takesVersion(route: RouteDefinition): boolean {
  if (route.versioned === true) return true;
  return (
    route.auth === 'cognito' &&
    route.method !== 'GET' &&
    route.request?.params !== undefined &&
    typeof route.permission === 'object' &&
    VERSIONED_RESOURCES.has(route.permission.resource)
  );
}

/** Creating a resource under a key the client picks: the key may be taken. */
function createsKeyedResource(route: RouteDefinition): boolean {
  const body = route.request?.body;
  if (route.method !== 'POST' || route.request?.params !== undefined || body === undefined) return false;
  const generated = z.toJSONSchema(body, { io: 'input', unrepresentable: 'any' }) as JsonSchema & {
    $ref?: string;
    $defs?: Record<string, JsonSchema>;
  };
  const root = generated.$ref?.startsWith('#/$defs/')
    ? generated.$defs?.[generated.$ref.slice('#/$defs/'.length)]
    : generated;
  const properties = root?.properties;
  return typeof properties === 'object' && properties !== null && 'key' in properties;
}

const TAG_DESCRIPTIONS: Readonly<Record<string, string>> = {
  system: 'Health and this document (no credentials)',
  users: 'Cognito users and their roles',
  audit: 'Every change, who made it and in which request',
  'feature-flags': 'Flags, their targeting rules and owners',
  segments: 'Reusable sets of units',
  layers: 'Layers that keep experiments mutually exclusive',
  metrics: 'Metric definitions that experiments measure',
  experiments: 'A/B experiments, their lifecycle and results',
  'rollout-schedules': 'Gradual rollouts: a variation ramped over a flag’s fallthrough, stage by stage',
  safety: 'Guarded rollouts: safety settings, per-flag configs, rollbacks and the monitor’s report',
  'api-keys': 'SDK API keys (server and client)',
  sdk: 'For SDKs, with an API key: evaluation, assignments, events, the compiled ruleset',
  ofrep: 'OpenFeature Remote Evaluation Protocol, with an API key',
};

/** Error responses every operation shares, by name in `components.responses`. */
const ERROR_RESPONSES = {
  BadRequest: 'Invalid input (VALIDATION_ERROR); `details.issues` says where',
  Unauthorized: GATEWAY_ERRORS.unauthorized.message,
  Forbidden: 'The caller’s role or key type does not allow this',
  NotFound: 'No such resource, or not one the caller may read',
  Conflict: 'Stale version, duplicate key, illegal transition or a resource still in use; nothing changed',
  PayloadTooLarge: GATEWAY_ERRORS.tooLarge.message,
  UnsupportedMediaType: 'A request body that is not application/json',
  HeadersTooLarge: `${GATEWAY_ERRORS.headersTooLarge.message} (the gateway takes at most 10 KB)`,
  RateLimited: 'Throttled by the API stage (RATE_LIMITED)',
  InternalError: 'Internal error (INTERNAL_ERROR): no details, a requestId to find the log line',
  ServiceUnavailable:
    'A store the route needs is down or throttling (SERVICE_UNAVAILABLE): nothing changed; send the same ' +
    'request again after `Retry-After` seconds. `POST /api/v1/events` answers it when none of the valid events ' +
    'could be stored (`details.refused` lists every event with its reason); a partial success is a 200',
  GatewayError: 'The function failed or timed out (API Gateway answers 502 or 504 in the same shape)',
} as const;
type ErrorResponseName = keyof typeof ERROR_RESPONSES;

/**
 * Every status a route can answer with the API's Error body, from its properties: credentials (401, and
 * 403 where a role or key type is checked), input (400; 413 and 415 for any method that can carry a body),
 * path parameters (404), versioned changes and creates under a chosen key (409), what any request may meet at
 * the gateway (429, 431) or beyond (5xx), and 503 with `Retry-After` where the function uses a store.
 */
function derivedErrors(route: RouteDefinition): Map<string, ErrorResponseName> {
  const out = new Map<string, ErrorResponseName>();
  if (route.request !== undefined) out.set('400', 'BadRequest');
  if (route.auth !== 'none') out.set('401', 'Unauthorized');
  if (route.auth === 'apiKey' || (route.auth === 'cognito' && typeof route.permission === 'object')) {
    out.set('403', 'Forbidden');
  }
  if (route.request?.params !== undefined) out.set('404', 'NotFound');
  if (takesVersion(route) || createsKeyedResource(route)) out.set('409', 'Conflict');
  if (route.method !== 'GET') {
    out.set('413', 'PayloadTooLarge');
    out.set('415', 'UnsupportedMediaType');
  }
  out.set('429', 'RateLimited');
  out.set('431', 'HeadersTooLarge');
  out.set('500', 'InternalError');
  // Any route whose function talks to a store (a table, the stream, the user pool…); health and this document
  // use none.
  if (FUNCTIONS[route.handler].uses.some((capability) => capability !== 'http')) {
    out.set('503', 'ServiceUnavailable');
  }
  out.set('5XX', 'GatewayError');
  return out;
}

function ownResponse(response: RouteResponse, components: Record<string, JsonSchema>): JsonSchema {
  return {
    description: response.description,
    content: { [JSON_MEDIA_TYPE]: { schema: jsonSchema(response.schema, 'output', components) } },
  };
}

function responses(route: RouteDefinition, components: Record<string, JsonSchema>): JsonSchema {
  const status = String(route.successStatus ?? 200);
  const success: JsonSchema = { description: status === '204' ? 'Done; no body' : 'Success' };
  if (route.response !== undefined && status !== '204') {
    const schema = jsonSchema(route.response, 'output', components);
    if (route.responseType === NDJSON_MEDIA_TYPE) {
      // OpenAPI 3.1 has no schema for the items of a sequence (3.2's `itemSchema`): the body is a string, and
      // `x-item-schema` describes each line. Tools that read `schema` (Prism) then see the body as it is.
      success.description = 'Success: newline-delimited JSON, one value per line (see x-item-schema)';
      success.content = {
        [NDJSON_MEDIA_TYPE]: {
          schema: { type: 'string', contentMediaType: NDJSON_MEDIA_TYPE },
          'x-item-schema': schema,
        },
      };
    } else {
      success.content = { [JSON_MEDIA_TYPE]: { schema } };
    }
  }
  const out: Record<string, JsonSchema> = { [status]: success };
  if (route.etag === true) {
    success.headers = { ETag: { $ref: '#/components/headers/ETag' } };
    out['304'] = {
      description: 'Not modified: If-None-Match names the current ETag. No body.',
      headers: { ETag: { $ref: '#/components/headers/ETag' } },
    };
  }
  if (route.redirect !== undefined) {
    out['302'] = {
      description: route.redirect,
      headers: {
        Location: {
          description: 'Where to read the body: a short-lived URL, absolute or relative to this API',
          required: true,
          schema: { type: 'string', format: 'uri-reference' },
        },
        ETag: { $ref: '#/components/headers/ETag' },
      },
    };
  }
  const own = new Map(
    Object.entries(route.responses ?? {}).filter(
      (entry): entry is [string, RouteResponse] => entry[1] !== undefined,
    ),
  );
  const statuses = new Set([...derivedErrors(route).keys(), ...own.keys()]);
  const order = (s: string) => Number(s.replace('XX', '99'));
  for (const code of [...statuses].sort((a, b) => order(a) - order(b))) {
    const declared = own.get(code);
    const shared = derivedErrors(route).get(code);
    if (declared !== undefined) out[code] = ownResponse(declared, components);
    else if (shared !== undefined) out[code] = { $ref: `#/components/responses/${shared}` };
  }
  return out;
}

function operation(route: RouteDefinition, components: Record<string, JsonSchema>): JsonSchema {
  const body = route.request?.documentedBody ?? route.request?.body;
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    security: route.auth === 'none' ? [] : [{ [route.auth]: [] }],
    ...(typeof route.permission === 'object'
      ? { 'x-switchyard-permission': `${route.permission.resource}:${route.permission.action}` }
      : {}),
    parameters: parameters(route, components),
    ...(body === undefined
      ? {}
      : {
          requestBody: {
            // Transitions take an optional body (the version may come as If-Match instead).
            required: !body.safeParse(undefined).success,
            content: { [JSON_MEDIA_TYPE]: { schema: jsonSchema(body, 'input', components) } },
          },
        }),
    responses: responses(route, components),
  };
}

export interface OpenApiDocument {
  readonly openapi: string;
  readonly info: JsonSchema;
  readonly paths: Record<string, Record<string, JsonSchema>>;
  readonly [field: string]: unknown;
}

/** The OpenAPI 3.1 document of the whole API, built from the route table and the zod schemas it names. */
export function buildOpenApiDocument(
  version: string,
  routes: readonly RouteDefinition[] = ROUTES,
): OpenApiDocument {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const schemas: Record<string, JsonSchema> = {};
  schemas.Error = jsonSchema(errorBodySchema, 'output', schemas);
  for (const route of routes) {
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route, schemas);
  }
  const errorContent = { [JSON_MEDIA_TYPE]: { schema: { $ref: '#/components/schemas/Error' } } };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Switchyard API',
      version,
      description:
        'Feature flags, rollouts and experiments. Errors are `{code, message, details?, requestId}`; ' +
        'OFREP routes answer evaluation failures in OFREP’s own shapes.',
      license: { name: 'Apache 2.0', identifier: 'Apache-2.0' },
    },
    servers: [
      {
        url: '{baseUrl}',
        description: 'The stage’s invoke URL, or the local platform’s (`npm start`)',
        variables: {
          baseUrl: {
            default: 'http://localhost:3000',
            description: 'e.g. https://{api-id}.execute-api.{region}.amazonaws.com/{stage}',
          },
        },
      },
    ],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({
      name,
      description: TAG_DESCRIPTIONS[name] ?? name,
    })),
    paths,
    components: {
      schemas,
      responses: Object.fromEntries(
        Object.entries(ERROR_RESPONSES).map(([name, description]) => [
          name,
          {
            description,
            // API Gateway's throttle and a store that is down say when to retry (OFREP's 429 declares it too).
            ...(name === 'RateLimited' || name === 'ServiceUnavailable'
              ? { headers: { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } } }
              : {}),
            content: errorContent,
          },
        ]),
      ),
      parameters: {
        IfMatch: {
          name: 'If-Match',
          in: 'header',
          required: false,
          description:
            'The version the change is based on (`3`, `"3"` or `W/"3"`), instead of `version` in the body; ' +
            'a stale one gives 409',
          schema: { type: 'string', pattern: '^(?:W/)?"?[0-9]+"?$' },
        },
        IfNoneMatch: {
          name: 'If-None-Match',
          in: 'header',
          required: false,
          description: 'The ETag of the copy the client holds: 304 with no body while it is current',
          schema: { type: 'string' },
        },
      },
      headers: {
        ETag: {
          description:
            'Entity tag of this answer: the ruleset revision for the ruleset; for OFREP bulk, a digest of the ' +
            'answer itself, so it moves only when what this key and context get moves',
          required: true,
          schema: { type: 'string' },
        },
        RetryAfter: {
          description: 'Seconds to wait before trying again',
          required: false,
          schema: { type: 'string', pattern: '^[0-9]+$' },
        },
      },
      securitySchemes: {
        cognito: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'Cognito ID token: `Authorization: Bearer <jwt>`',
        },
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'SDK API key: `Authorization: Bearer <key>` (OFREP’s bearer scheme)',
        },
      },
    },
  };
}
