import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayRequestAuthorizerEvent,
} from 'aws-lambda';
import { LocalGateway } from '../../../local/gateway';
import type { LocalIdentity } from '../../../local/identity';
import type { LambdaFunction } from '../../../local/lambda-runtime';
import { API_KEY_AUTHORIZER } from '../../../shared/api-keys/authorizer';
import { handlerEntry, type RouteDefinition } from '../../../shared/http/routes';

/** A stand-in SDK route (none exists in the route table yet), served by a function that echoes its event. */
const sdkRoute: RouteDefinition = {
  operationId: 'sdkProbe',
  method: 'POST',
  path: '/api/v1/sdk-probe/{key}',
  handler: 'system',
  auth: 'apiKey',
  permission: 'public',
  summary: 'test',
  tag: 'test',
};

const allow = (resource: string, context: Record<string, string | number | boolean> = {}) =>
  ({
    principalId: 'key-1',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: resource }],
    },
    context,
  }) satisfies APIGatewayAuthorizerResult;

describe('the local gateway runs the API-key authorizer as API Gateway does', () => {
  let gateway: LocalGateway;
  let url: string;
  const authorizerEvents: APIGatewayRequestAuthorizerEvent[] = [];
  let answer: (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

  const functions = {
    get: <E, R>(entry: string): LambdaFunction<E, R> => {
      if (entry === API_KEY_AUTHORIZER.entry) {
        return (async (event: APIGatewayRequestAuthorizerEvent) => {
          authorizerEvents.push(event);
          return answer(event);
        }) as unknown as LambdaFunction<E, R>;
      }
      if (entry === handlerEntry('system')) {
        return (async (event: APIGatewayProxyEvent) => ({
          statusCode: 200,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            authorizer: event.requestContext.authorizer,
            key: event.pathParameters?.key,
          }),
        })) as unknown as LambdaFunction<E, R>;
      }
      throw new Error(`unexpected entry ${entry}`);
    },
  };

  const call = async (headers: Record<string, string>, path = '/api/v1/sdk-probe/abc') => {
    const res = await fetch(`${url}${path}`, { method: 'POST', headers });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    gateway = new LocalGateway({
      identity: {} as LocalIdentity,
      functions,
      stage: 'local',
      corsAllowedOrigins: [],
      routes: [sdkRoute],
      authorizerCacheSeconds: 1,
    });
    url = `http://127.0.0.1:${await gateway.listen(0, '127.0.0.1')}`;
  });
  afterAll(() => gateway.close());
  beforeEach(() => {
    authorizerEvents.length = 0;
    answer = async (event) =>
      allow(event.methodArn.replace(/\/POST\/.*$/, '/*'), { keyId: 'key-1', keyType: 'server' });
  });

  it('answers 401 without calling the function when the Authorization identity source is missing', async () => {
    const attempts: Record<string, string>[] = [{}, { 'X-API-Key': 'sy_server_x' }, { Authorization: '  ' }];
    for (const headers of attempts) {
      const res = await call(headers);
      expect(res.status).toBe(401);
      expect(res.json).toMatchObject({ code: 'UNAUTHORIZED', message: 'Missing or invalid credentials' });
    }
    expect(authorizerEvents).toHaveLength(0);
  });

  it('sends a REQUEST event with the method ARN, and hands the context on as strings with the principal id', async () => {
    answer = async (event) =>
      allow(event.methodArn, { keyId: 'key-1', keyType: 'client', weight: 3, beta: true });
    const res = await call({ Authorization: 'Bearer sy_event', 'X-Extra': 'yes' });
    expect(res).toEqual({
      status: 200,
      json: {
        authorizer: { keyId: 'key-1', keyType: 'client', weight: '3', beta: 'true', principalId: 'key-1' },
        key: 'abc',
      },
    });
    expect(authorizerEvents).toHaveLength(1);
    expect(authorizerEvents[0]).toMatchObject({
      type: 'REQUEST',
      methodArn: 'arn:aws:execute-api:us-east-1:000000000000:local/local/POST/api/v1/sdk-probe/abc',
      resource: '/api/v1/sdk-probe/{key}',
      path: '/api/v1/sdk-probe/abc',
      httpMethod: 'POST',
      headers: expect.objectContaining({ Authorization: 'Bearer sy_event', 'X-Extra': 'yes' }),
      pathParameters: { key: 'abc' },
    });
    expect(authorizerEvents[0]).not.toHaveProperty('body');
  });

  it('reuses an answer for the same Authorization value until the TTL, then asks again', async () => {
    const headers = { Authorization: 'Bearer sy_cached' };
    expect((await call(headers)).status).toBe(200);
    expect((await call(headers, '/api/v1/sdk-probe/other')).status).toBe(200);
    expect(authorizerEvents).toHaveLength(1);
    expect((await call({ Authorization: 'Bearer sy_another' })).status).toBe(200);
    expect(authorizerEvents).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 1100));
    answer = async () => {
      throw new Error('Unauthorized');
    };
    expect((await call(headers)).status).toBe(401);
    expect(authorizerEvents).toHaveLength(3);
  });

  it('does not cache "Unauthorized": the next request asks the function again', async () => {
    answer = async () => {
      throw new Error('Unauthorized');
    };
    const headers = { Authorization: 'Bearer sy_unknown' };
    expect((await call(headers)).status).toBe(401);
    expect((await call(headers)).status).toBe(401);
    expect(authorizerEvents).toHaveLength(2);
  });

  it('answers 403 when the policy does not allow the method, or denies it', async () => {
    answer = async () => allow('arn:aws:execute-api:us-east-1:000000000000:local/prod/*');
    expect((await call({ Authorization: 'Bearer sy_other_stage' })).status).toBe(403);
    answer = async (event) => ({
      ...allow(event.methodArn.replace(/\/POST\/.*$/, '/*')),
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: '*' },
          { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: event.methodArn },
        ],
      },
    });
    const res = await call({ Authorization: 'Bearer sy_denied' });
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('answers 500 when the authorizer fails otherwise', async () => {
    answer = async () => {
      throw new Error('DynamoDB unavailable');
    };
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const res = await call({ Authorization: 'Bearer sy_broken' });
    spy.mockRestore();
    expect(res.status).toBe(500);
    expect(res.json).toMatchObject({ code: 'INTERNAL_ERROR' });
  });

  it('refuses a negative cache TTL', () => {
    expect(
      () =>
        new LocalGateway({
          identity: {} as LocalIdentity,
          functions,
          stage: 'local',
          corsAllowedOrigins: [],
          authorizerCacheSeconds: -1,
        }),
    ).toThrow(/authorizerCacheSeconds/);
  });
});
