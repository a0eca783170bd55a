import type { APIGatewayProxyEvent, Context } from 'aws-lambda';

export interface EventOptions {
  readonly method?: string;
  readonly resource: string;
  readonly path?: string;
  readonly headers?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly params?: Record<string, string>;
  readonly body?: string;
  /** Claims as API Gateway's Cognito authorizer passes them (strings), with no token: see `user`. */
  readonly claims?: Record<string, string>;
  /**
   * A signed-in caller: the claims as API Gateway's Cognito authorizer passes them (groups joined by commas) and
   * the token it verified in the Authorization header (unsigned here: the function never checks the signature).
   */
  readonly user?: TestUser;
}

export interface TestUser {
  readonly sub: string;
  readonly groups?: readonly string[];
  /** Claims of the token over the defaults (`undefined` removes one, e.g. `exp`). */
  readonly token?: Readonly<Record<string, unknown>>;
}

/** A compact JWS with `payload` and a dummy signature. */
export function unsignedToken(payload: Readonly<Record<string, unknown>>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', kid: 'test' })}.${part(payload)}.c2lnbmF0dXJl`;
}

/** The token payload of `user`, as Cognito issues it: groups as an array, an hour of validity. */
export function tokenPayload(user: TestUser, nowSeconds = Math.floor(Date.now() / 1000)) {
  return {
    sub: user.sub,
    ...(user.groups === undefined || user.groups.length === 0 ? {} : { 'cognito:groups': [...user.groups] }),
    'cognito:username': user.sub,
    token_use: 'id',
    jti: `jti-${user.sub}`,
    auth_time: nowSeconds,
    iat: nowSeconds,
    exp: nowSeconds + 3600,
    ...user.token,
  };
}

/** The claims API Gateway's Cognito authorizer derives from a token payload: every value a string. */
export function claimsOf(payload: Readonly<Record<string, unknown>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(payload)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [
        name,
        Array.isArray(value) ? value.join(',') : typeof value === 'string' ? value : JSON.stringify(value),
      ]),
  );
}

/** A REST API proxy event as API Gateway builds it. */
export function apiEvent(options: EventOptions): APIGatewayProxyEvent {
  const payload = options.user === undefined ? undefined : tokenPayload(options.user);
  const claims = payload === undefined ? options.claims : claimsOf(payload);
  return {
    resource: options.resource,
    path: options.path ?? options.resource,
    httpMethod: options.method ?? 'GET',
    headers: {
      ...(payload === undefined ? {} : { Authorization: `Bearer ${unsignedToken(payload)}` }),
      ...options.headers,
    },
    multiValueHeaders: {},
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: options.params ?? null,
    stageVariables: null,
    body: options.body ?? null,
    isBase64Encoded: false,
    requestContext: {
      requestId: 'req-123',
      authorizer: claims === undefined ? undefined : { claims },
    } as APIGatewayProxyEvent['requestContext'],
  };
}

export const lambdaContext = {
  awsRequestId: 'lambda-req',
  functionName: 'test',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

export function setHttpEnv(): void {
  process.env.STAGE = 'test';
  process.env.CORS_ALLOWED_ORIGINS = 'https://app.example.com';
  process.env.MAX_BODY_BYTES = '1024';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_TRACE_ENABLED = 'false';
}
