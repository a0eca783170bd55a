import { z } from 'zod';
import { GATEWAY_ERRORS } from './gateway-responses';
import { ROUTES, type RouteDefinition } from './routes';

type JsonSchema = Record<string, unknown>;

const errorSchema = z.object({
  code: z.string(),
  message: z.string(),
  details: z.unknown().optional(),
  requestId: z.string(),
});

/**
 * JSON Schema of a zod schema; schemas named with `.meta({id})` go to `components.schemas` (shared by every
 * operation that uses them) instead of being repeated inline.
 */
function jsonSchema(
  schema: z.ZodType,
  io: 'input' | 'output',
  components: Record<string, JsonSchema>,
): JsonSchema {
  const generated = z.toJSONSchema(schema, { io, unrepresentable: 'any', reused: 'inline' });
  const rewritten = JSON.stringify(generated).replaceAll('"#/$defs/', '"#/components/schemas/');
  const {
    $schema: _schema,
    $defs,
    ...rest
  } = JSON.parse(rewritten) as JsonSchema & {
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
  return out;
}

function errorResponses(route: RouteDefinition): Record<string, JsonSchema> {
  const ref = { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  const statuses: Record<string, string> = { '400': 'Invalid input', '500': GATEWAY_ERRORS.internal.message };
  if (route.auth !== 'none') {
    statuses['401'] = GATEWAY_ERRORS.unauthorized.message;
    statuses['403'] = 'The caller’s role does not allow this';
  }
  if (route.request?.body !== undefined) {
    statuses['413'] = GATEWAY_ERRORS.tooLarge.message;
    statuses['415'] = 'Content-Type is not application/json';
  }
  return Object.fromEntries(Object.entries(statuses).map(([s, description]) => [s, { description, ...ref }]));
}

function operation(route: RouteDefinition, components: Record<string, JsonSchema>): JsonSchema {
  const status = String(route.successStatus ?? 200);
  const success: JsonSchema = { description: 'Success' };
  if (route.response !== undefined && status !== '204') {
    success.content = { 'application/json': { schema: jsonSchema(route.response, 'output', components) } };
  }
  const security =
    route.auth === 'cognito'
      ? [{ cognito: [] }]
      : route.auth === 'apiKey'
        ? [{ apiKey: [] }, { bearerApiKey: [] }]
        : [];
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    security,
    ...(typeof route.permission === 'object'
      ? { 'x-switchyard-permission': `${route.permission.resource}:${route.permission.action}` }
      : {}),
    parameters: parameters(route, components),
    ...(route.request?.body === undefined
      ? {}
      : {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: jsonSchema(route.request.body, 'input', components) } },
          },
        }),
    responses: { [status]: success, ...errorResponses(route) },
  };
}

/** The OpenAPI 3.1 document of the whole API, built from the route table and the zod schemas it names. */
export function buildOpenApiDocument(
  version: string,
  routes: readonly RouteDefinition[] = ROUTES,
): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const schemas: Record<string, JsonSchema> = {};
  schemas.Error = jsonSchema(errorSchema, 'output', schemas);
  for (const route of routes) {
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route, schemas);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Switchyard API',
      version,
      description:
        'Feature flags, rollouts and experiments. Errors are `{code, message, details?, requestId}`.',
    },
    paths,
    components: {
      schemas,
      securitySchemes: {
        cognito: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Cognito ID token' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        bearerApiKey: { type: 'http', scheme: 'bearer', description: 'SDK API key' },
      },
    },
  };
}
