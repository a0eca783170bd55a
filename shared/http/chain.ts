import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import type { z } from 'zod';
import { isGranted } from '../auth/permissions';
import {
  apiKeyFromEvent,
  userFromEvent,
  type ApiKeyPrincipal,
  type Principal,
  type UserPrincipal,
} from '../auth/principal';
import { httpEnvSchema, parseEnv } from '../env';
import {
  ConfigurationError,
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from '../errors';
import { CORS_ALLOWED_HEADERS, CORS_EXPOSED_HEADERS } from './cors';
import { errorMapper, jsonBody, requestGuards } from './middleware';
import { logger, tracingMiddleware } from '../observability';
import { HttpResponse, jsonResult, RawHttpResponse, type LambdaHttpResult } from './response';
import type { HandlerGroup } from '../functions';
import { routeKey, type RouteDefinition } from './route-definition';

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

/** The validated, typed input of a route, inferred from its schemas in the route table. */
export interface RouteInput<R extends RouteDefinition> {
  readonly params: R extends { request: { params: infer P } } ? Out<P> : undefined;
  readonly query: R extends { request: { query: infer Q } } ? Out<Q> : undefined;
  readonly body: R extends { request: { body: infer B } } ? Out<B> : undefined;
  readonly principal: R extends { auth: 'cognito' }
    ? UserPrincipal
    : R extends { auth: 'apiKey' }
      ? ApiKeyPrincipal
      : null;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly requestId: string;
}

export type RouteResult<R extends RouteDefinition> =
  (R extends { response: infer S } ? Out<S> : unknown) | HttpResponse;

/** The input as the chain builds it, before the route's own types are applied. */
interface UntypedRouteInput {
  readonly params: unknown;
  readonly query: unknown;
  readonly body: unknown;
  readonly principal: Principal | null;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly requestId: string;
}

export interface RouteImplementation {
  readonly route: RouteDefinition;
  readonly run: (input: UntypedRouteInput) => Promise<unknown>;
}

/** Pair a route of the table with the function that serves it; input and result types follow its schemas. */
export function implement<R extends RouteDefinition>(
  route: R,
  run: (input: RouteInput<R>) => Promise<RouteResult<R>> | RouteResult<R>,
): RouteImplementation {
  return { route, run: async (input) => run(input as unknown as RouteInput<R>) };
}

function issuesOf(where: string, error: z.ZodError) {
  return error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
}

function validate<S extends z.ZodType | undefined>(where: string, schema: S, value: unknown): Out<S> {
  if (schema === undefined) return undefined as Out<S>;
  const result = schema.safeParse(value);
  if (!result.success) {
    const issues = issuesOf(where, result.error);
    const first = issues[0];
    throw new ValidationError(first ? `${first.path}: ${first.message}` : `Invalid ${where}`, issues);
  }
  return result.data as Out<S>;
}

/** The request body as text, for routes that parse it themselves (`request.rawBody`). */
function bodyText(event: APIGatewayProxyEvent): string | undefined {
  if (event.body === null || event.body === undefined) return undefined;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

function authorize(route: RouteDefinition, event: APIGatewayProxyEvent): Principal | null {
  if (route.auth === 'none') return null;
  if (route.auth === 'apiKey') {
    // The API-key authorizer has already refused unknown and revoked keys; this is defence in depth.
    const key = apiKeyFromEvent(event);
    if (key === null) throw new UnauthorizedError('Missing or invalid API key');
    return key;
  }
  const user = userFromEvent(event);
  // API Gateway's authorizer has already refused such calls; this is defence in depth.
  if (user === null) throw new UnauthorizedError('Missing or invalid credentials');
  const permission = route.permission;
  if (permission === 'authenticated' || permission === 'public') return user;
  if (user.role === null) {
    throw new ForbiddenError('Your account has no role yet: ask an admin to put you in a group');
  }
  if (!isGranted(user.role, permission)) {
    // READ before UPDATE/DELETE (SPEC §1): say whether the caller may not even see the resource.
    const mayRead = isGranted(user.role, { resource: permission.resource, action: 'read' });
    throw new ForbiddenError(
      mayRead && permission.action !== 'read'
        ? `Role ${user.role} may read but not ${permission.action} ${permission.resource}`
        : `Role ${user.role} may not ${permission.action === 'read' ? 'read' : `${permission.action} or read`} ${permission.resource}`,
    );
  }
  return user;
}

/**
 * The one HTTP chain every API function uses: tracing, logger with the request id, header normalisation,
 * security headers, CORS from the stage config, size and content-type guards, JSON body parsing, then
 * routing, authorisation and zod validation, and error mapping last. `routes`: the group's routes as THE
 * route table lists them (`createHttpHandler`, shared/http/handler.ts, passes the table itself); the
 * implementations must match them exactly.
 */
export function createGroupHandler(
  group: HandlerGroup,
  routes: readonly RouteDefinition[],
  implementations: readonly RouteImplementation[],
) {
  const env = parseEnv(httpEnvSchema);
  const expected = routes.filter((r) => r.handler === group);
  const byKey = new Map(implementations.map((impl) => [routeKey(impl.route.method, impl.route.path), impl]));
  const missing = expected.filter((r) => !byKey.has(routeKey(r.method, r.path)));
  const foreign = implementations.filter((impl) => impl.route.handler !== group);
  if (missing.length > 0 || foreign.length > 0) {
    const names = [...missing.map((r) => r.operationId), ...foreign.map((i) => i.route.operationId)];
    throw new ConfigurationError(
      `Handler group ${group} does not match the route table: ${names.join(', ')}`,
    );
  }

  const core = async (event: APIGatewayProxyEvent, context: Context): Promise<LambdaHttpResult> => {
    const requestId = event.requestContext?.requestId ?? context.awsRequestId;
    logger.appendKeys({ requestId });
    const impl = byKey.get(routeKey(event.httpMethod, event.resource));
    if (impl === undefined) throw new NotFoundError(`No route ${event.httpMethod} ${event.path}`);
    const { route } = impl;
    const principal = authorize(route, event);
    const input: UntypedRouteInput = {
      params: validate('params', route.request?.params, event.pathParameters ?? {}),
      query: validate('query', route.request?.query, event.queryStringParameters ?? {}),
      body: validate(
        'body',
        route.request?.body,
        route.request?.rawBody ? bodyText(event) : (event.body ?? undefined),
      ),
      principal,
      headers: event.headers,
      requestId,
    };
    const result = await impl.run(input);
    if (result instanceof RawHttpResponse) {
      return { statusCode: result.status, headers: { ...result.headers }, body: result.body };
    }
    if (result instanceof HttpResponse) return jsonResult(result.status, result.body, { ...result.headers });
    const status = route.successStatus ?? 200;
    return jsonResult(status, status === 204 ? undefined : result);
  };

  const origins = env.CORS_ALLOWED_ORIGINS;
  const chain = middy<APIGatewayProxyEvent, LambdaHttpResult>();
  const tracing = tracingMiddleware();
  if (tracing !== undefined) chain.use(tracing);
  chain
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(httpHeaderNormalizer())
    .use(httpSecurityHeaders());
  // No origins configured (staging and prod by default): no CORS headers, so browsers refuse cross-origin calls.
  if (origins.length > 0) {
    chain.use(
      httpCors({
        ...(origins.includes('*') ? { origin: '*' } : { origins, vary: 'Origin' }),
        headers: CORS_ALLOWED_HEADERS.join(','),
        exposeHeaders: CORS_EXPOSED_HEADERS.join(','),
      }),
    );
  }
  const readsOwnBody = (event: APIGatewayProxyEvent) =>
    byKey.get(routeKey(event.httpMethod, event.resource))?.route.request?.rawBody === true;
  return chain
    .use(requestGuards(env.MAX_BODY_BYTES))
    .use(jsonBody(readsOwnBody))
    .use(errorMapper())
    .handler(core);
}
