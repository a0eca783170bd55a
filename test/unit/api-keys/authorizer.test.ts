import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { allowPolicy, presentedSecret, stageWildcard } from '../../../shared/api-keys/authorizer';
import { newSecret } from '../../../shared/api-keys/secret';
import {
  USAGE_BUCKETS_PER_TYPE,
  usageBucket,
  usageBucketKeyValue,
  usageIdentifierKey,
} from '../../../shared/api-keys/usage-plans';

const { secret, hash } = newSecret('server');
const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/prod/POST/api/v1/evaluate';

describe('the presented secret', () => {
  it.each([
    ['Authorization: Bearer', { Authorization: `Bearer ${secret}` }, secret],
    ['a lower-case bearer and header name', { authorization: `bearer ${secret}` }, secret],
    ['X-API-Key without Authorization', { 'X-API-Key': secret }, secret],
    ['x-api-key in lower case', { 'x-api-key': ` ${secret} ` }, secret],
    [
      'Authorization, which wins over X-API-Key',
      { Authorization: `Bearer ${secret}`, 'X-API-Key': 'sy_other' },
      secret,
    ],
  ])('is read from %s', (_what, headers, expected) => {
    expect(presentedSecret(headers)).toBe(expected);
  });

  it.each([
    ['no headers', null],
    ['no credential', { Accept: 'application/json' }],
    ['a Cognito JWT', { Authorization: 'Bearer eyJraWQiOiJrIn0.eyJzdWIiOiJ4In0.c2ln' }],
    ['a key without Bearer', { Authorization: secret }],
    ['Basic credentials', { Authorization: 'Basic dXNlcjpwYXNz' }],
    [
      'a JWT in Authorization and a key in X-API-Key',
      { Authorization: 'Bearer eyJ.x.y', 'X-API-Key': secret },
    ],
    ['an X-API-Key that is not a Switchyard key', { 'X-API-Key': 'abc123' }],
  ])('is none with %s', (_what, headers) => {
    expect(presentedSecret(headers)).toBeNull();
  });
});

describe('the allow policy', () => {
  it('allows every method of the stage, so the cached answer serves all SDK routes', () => {
    expect(stageWildcard(METHOD_ARN)).toBe('arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/prod/*');
    expect(allowPolicy({ id: 'key-1', type: 'client' }, METHOD_ARN)).toEqual({
      principalId: 'key-1',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Action: 'execute-api:Invoke',
            Effect: 'Allow',
            Resource: 'arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/prod/*',
          },
        ],
      },
      context: { keyId: 'key-1', keyType: 'client' },
      usageIdentifierKey: `switchyard-a1b2c3-prod-client-${usageBucket('key-1')}`,
    });
  });

  it('refuses what is not a method ARN', () => {
    expect(() => stageWildcard('arn:aws:execute-api:eu-west-1:123:a1b2c3')).toThrow(/Not an execute-api/);
  });
});

describe('the usage-plan bucket of a key', () => {
  it('names the API Gateway key of the key type and bucket, on the API and stage being called', () => {
    const key = { id: '0195a3c4-0000-7000-8000-000000000001', type: 'server' } as const;
    const bucket = usageBucket(key.id);
    expect(usageIdentifierKey(key, METHOD_ARN)).toBe(`switchyard-a1b2c3-prod-server-${bucket}`);
    expect(usageIdentifierKey(key, METHOD_ARN)).toBe(usageBucketKeyValue('a1b2c3', 'prod', 'server', bucket));
    // Same key, same bucket (the cache and every cold start agree); the type picks the plan.
    expect(usageIdentifierKey({ ...key, type: 'client' }, METHOD_ARN)).toBe(
      `switchyard-a1b2c3-prod-client-${bucket}`,
    );
  });

  it('spreads keys over every bucket of a type', () => {
    const buckets = new Set(Array.from({ length: 400 }, (_, i) => usageBucket(`key-${i}`)));
    expect([...buckets].sort((a, b) => a - b)).toEqual(
      Array.from({ length: USAGE_BUCKETS_PER_TYPE }, (_, i) => i),
    );
  });

  it('gives API Gateway key values of 20 to 128 characters', () => {
    const value = usageBucketKeyValue('a1b2c3d4e5', 'dev', 'server', 0);
    expect(value.length).toBeGreaterThanOrEqual(20);
    expect(value.length).toBeLessThanOrEqual(128);
  });

  it('refuses what is not a method ARN', () => {
    expect(() =>
      usageIdentifierKey({ id: 'k', type: 'server' }, 'arn:aws:execute-api:eu-west-1:123:a1b2c3'),
    ).toThrow(/Not an execute-api/);
  });
});

describe('the authorizer function', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  let handler: (
    event: APIGatewayRequestAuthorizerEvent,
    context: Context,
  ) => Promise<APIGatewayAuthorizerResult>;
  const context = { awsRequestId: 'r', functionName: 'authorizer' } as Context;
  const event = (headers: Record<string, string>) =>
    ({ type: 'REQUEST', methodArn: METHOD_ARN, headers }) as unknown as APIGatewayRequestAuthorizerEvent;
  const item = (extra: Record<string, unknown> = {}) => ({
    pk: `HASH#${hash}`,
    sk: 'KEY',
    id: '0195a3c4-0000-7000-8000-000000000001',
    name: 'backend',
    type: 'server',
    prefix: secret.slice(0, 16),
    createdBy: 'admin',
    createdAt: '2026-01-01T00:00:00.000Z',
    secretHash: hash,
    ...extra,
  });

  beforeAll(async () => {
    process.env.TABLE_API_KEYS = 'keys-table';
    ({ handler } = await import('../../../lambdas/api-key-authorizer/handler'));
  });
  beforeEach(() => ddb.reset());

  it('allows a live key, with its id as principal and {keyId, keyType} as context, and records its use', async () => {
    ddb.on(GetCommand).resolves({ Item: item() });
    ddb.on(UpdateCommand).resolves({});
    const result = await handler(event({ Authorization: `Bearer ${secret}` }), context);
    expect(result).toEqual(allowPolicy({ id: item().id, type: 'server' }, METHOD_ARN));
    // The usage-plan bucket API Gateway throttles the key in (apiKeySource AUTHORIZER).
    expect(result.usageIdentifierKey).toBe(`switchyard-a1b2c3-prod-server-${usageBucket(item().id)}`);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
  });

  it('accepts X-API-Key when there is no Authorization header', async () => {
    ddb.on(GetCommand).resolves({ Item: item({ lastUsedAt: new Date().toISOString() }) });
    const result = await handler(event({ 'X-API-Key': secret }), context);
    expect(result.principalId).toBe(item().id);
    // Used a moment ago: no write.
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('still allows the key when recording its use fails', async () => {
    ddb.on(GetCommand).resolves({ Item: item() });
    ddb.on(UpdateCommand).rejects(new Error('AccessDenied'));
    await expect(handler(event({ Authorization: `Bearer ${secret}` }), context)).resolves.toMatchObject({
      principalId: item().id,
    });
  });

  it.each([
    ['an unknown key', {}, { Authorization: `Bearer ${newSecret('server').secret}` }],
    [
      'a revoked key',
      { Item: item({ revokedAt: '2026-01-02T00:00:00.000Z' }) },
      { Authorization: `Bearer ${secret}` },
    ],
  ])('throws "Unauthorized" (API Gateway 401) for %s', async (_what, answer, headers) => {
    ddb.on(GetCommand).resolves(answer);
    await expect(handler(event(headers), context)).rejects.toThrow(/^Unauthorized$/);
  });

  it.each([
    ['no credential', {}],
    ['a Cognito token', { Authorization: 'Bearer eyJraWQiOiJrIn0.eyJzdWIiOiJ4In0.c2ln' }],
    ['a malformed key', { Authorization: 'Bearer sy_server_nope' }],
  ])('throws "Unauthorized" for %s without reading the table', async (_what, headers) => {
    await expect(handler(event(headers), context)).rejects.toThrow(/^Unauthorized$/);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('fails (API Gateway 500), rather than blaming the key, when the table cannot be read', async () => {
    ddb.on(GetCommand).rejects(new Error('ServiceUnavailable'));
    await expect(handler(event({ Authorization: `Bearer ${secret}` }), context)).rejects.toThrow(
      'ServiceUnavailable',
    );
  });
});
