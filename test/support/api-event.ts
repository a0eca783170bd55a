import type { APIGatewayProxyEvent, Context } from 'aws-lambda';

export interface EventOptions {
  readonly method?: string;
  readonly resource: string;
  readonly path?: string;
  readonly headers?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly params?: Record<string, string>;
  readonly body?: string;
  /** Claims as API Gateway's Cognito authorizer passes them (strings). */
  readonly claims?: Record<string, string>;
}

/** A REST API proxy event as API Gateway builds it. */
export function apiEvent(options: EventOptions): APIGatewayProxyEvent {
  return {
    resource: options.resource,
    path: options.path ?? options.resource,
    httpMethod: options.method ?? 'GET',
    headers: options.headers ?? {},
    multiValueHeaders: {},
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: options.params ?? null,
    stageVariables: null,
    body: options.body ?? null,
    isBase64Encoded: false,
    requestContext: {
      requestId: 'req-123',
      authorizer: options.claims === undefined ? undefined : { claims: options.claims },
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
