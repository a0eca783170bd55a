import {
  InternalServerError,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { z } from 'zod';
import { createDocumentClient } from '../../../shared/aws/clients';
import { ConflictError, ServiceUnavailableError } from '../../../shared/errors';
import { createHttpHandler, implement } from '../../../shared/http/handler';
import { HttpResponse } from '../../../shared/http/response';
import type { RouteDefinition } from '../../../shared/http/routes';
import { apiEvent, lambdaContext, setHttpEnv } from '../../support/api-event';

setHttpEnv();

const createThing = {
  operationId: 'createThing',
  method: 'POST',
  path: '/api/v1/things',
  handler: 'users',
  auth: 'cognito',
  permission: { resource: 'flags', action: 'create' },
  summary: 'test',
  tag: 'test',
  request: { body: z.strictObject({ key: z.string().regex(/^[a-z]+$/), count: z.number().int() }) },
  successStatus: 201,
} as const satisfies RouteDefinition;

const getThing = {
  operationId: 'getThing',
  method: 'GET',
  path: '/api/v1/things/{key}',
  handler: 'users',
  auth: 'cognito',
  permission: { resource: 'flags', action: 'read' },
  summary: 'test',
  tag: 'test',
  request: {
    params: z.object({ key: z.string().min(3) }),
    query: z.object({ limit: z.coerce.number().int().max(5).default(2) }),
  },
} as const satisfies RouteDefinition;

const failing = {
  operationId: 'failing',
  method: 'DELETE',
  path: '/api/v1/things/{key}',
  handler: 'users',
  auth: 'cognito',
  permission: 'authenticated',
  summary: 'test',
  tag: 'test',
} as const satisfies RouteDefinition;

const publicRoute = {
  operationId: 'publicThing',
  method: 'GET',
  path: '/public',
  handler: 'users',
  auth: 'none',
  permission: 'public',
  summary: 'test',
  tag: 'test',
} as const satisfies RouteDefinition;

/** A route that reads its body text itself (as OFREP does, to answer malformed JSON in its own shape). */
const rawThing = {
  operationId: 'rawThing',
  method: 'POST',
  path: '/api/v1/raw',
  handler: 'users',
  auth: 'cognito',
  permission: 'authenticated',
  summary: 'test',
  tag: 'test',
  request: { body: z.string().optional(), rawBody: true },
} as const satisfies RouteDefinition;

/** A route that reads a table: what it answers when the table does not. */
const readStore = {
  operationId: 'readStore',
  method: 'GET',
  path: '/store',
  handler: 'users',
  auth: 'none',
  permission: 'public',
  summary: 'test',
  tag: 'test',
} as const satisfies RouteDefinition;

const dynamo = mockClient(DynamoDBDocumentClient);
const doc = createDocumentClient();

const routes = [createThing, getThing, failing, publicRoute, rawThing, readStore];
const received: unknown[] = [];
const handler = createHttpHandler(
  'users',
  [
    implement(createThing, ({ body, principal }) => {
      received.push(body);
      return { ...body, owner: principal.sub };
    }),
    implement(getThing, ({ params, query }) => ({ key: params.key, limit: query.limit })),
    implement(failing, ({ headers }) => {
      if (headers['x-conflict'] !== undefined) throw new ConflictError('Version 3 is stale');
      throw new Error('database password is hunter2');
    }),
    implement(publicRoute, () => new HttpResponse(204)),
    implement(rawThing, ({ body }) => ({ text: body ?? null })),
    implement(readStore, async () => {
      const out = await doc.send(new GetCommand({ TableName: 't', Key: { pk: 'p', sk: 's' } }));
      return out.Item ?? {};
    }),
  ],
  routes,
);

const developer = { sub: 'user-1', groups: ['developer'] };
const viewer = { sub: 'user-2', groups: ['viewer'] };
const json = { 'Content-Type': 'application/json' };

async function call(options: Parameters<typeof apiEvent>[0]) {
  const result = await handler(apiEvent(options), lambdaContext);
  return {
    ...result,
    json: result.body === '' ? undefined : (JSON.parse(result.body) as Record<string, unknown>),
  };
}

describe('the HTTP chain', () => {
  beforeEach(() => (received.length = 0));

  it('parses, validates and answers with the route’s success status', async () => {
    const res = await call({
      method: 'POST',
      resource: '/api/v1/things',
      headers: json,
      body: JSON.stringify({ key: 'abc', count: 3 }),
      user: developer,
    });
    expect(res.statusCode).toBe(201);
    expect(res.json).toEqual({ key: 'abc', count: 3, owner: 'user-1' });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
  });

  it('coerces and defaults query parameters and passes path parameters', async () => {
    const res = await call({ resource: '/api/v1/things/{key}', params: { key: 'abcd' }, user: viewer });
    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual({ key: 'abcd', limit: 2 });
  });

  it('answers malformed JSON with 400 VALIDATION_ERROR and the request id', async () => {
    const res = await call({
      method: 'POST',
      resource: '/api/v1/things',
      headers: json,
      body: '{"key":',
      user: developer,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json).toMatchObject({ code: 'VALIDATION_ERROR', requestId: 'req-123' });
    expect(received).toHaveLength(0);
  });

  describe('bodies refused for what they are, not as "not valid JSON" (issue 16)', () => {
    const post = (body: string) =>
      call({ method: 'POST', resource: '/api/v1/things', headers: json, body, user: developer });

    it.each([
      [
        'a __proto__ key',
        '{"key":"abc","count":1,"x":{"__proto__":{"admin":true}}}',
        'body: "__proto__" is not allowed as a key',
      ],
      [
        'a constructor holding a prototype',
        '{"key":"abc","count":1,"constructor":{"prototype":{"admin":true}}}',
        'body: "constructor" holding a "prototype" is not allowed',
      ],
      [
        'nesting past 64 levels',
        `{"key":${'['.repeat(65)}${']'.repeat(65)}}`,
        'body: nesting deeper than 64 levels',
      ],
      ['300 unclosed levels', `${'['.repeat(300)}`, 'body: nesting deeper than 64 levels'],
    ])('%s', async (_label, body, message) => {
      const res = await post(body);
      expect(res.statusCode).toBe(400);
      expect(res.json).toMatchObject({ code: 'VALIDATION_ERROR', message });
      expect(received).toHaveLength(0);
    });

    it('counts only structure: brackets inside strings, and 64 levels, are fine', async () => {
      const deep = `${'['.repeat(63)}${']'.repeat(63)}`;
      const res = await post(`{"key":"abc","count":1,"deep":${deep},"s":"${'['.repeat(100)}\\"{"}`);
      // Parsed and handed to validation, which names the unknown fields.
      expect(res.statusCode).toBe(400);
      expect(res.json?.message).not.toMatch(/nesting|JSON/);
    });

    it('says why text is not JSON', async () => {
      const res = await post('{"key":');
      expect(res.json?.message).toMatch(/^Request body is not valid JSON: .+/);
    });
  });

  it('names the field and the reason of a validation failure', async () => {
    const res = await call({
      method: 'POST',
      resource: '/api/v1/things',
      headers: json,
      body: JSON.stringify({ key: 'ABC', count: 1.5, extra: true }),
      user: developer,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json?.code).toBe('VALIDATION_ERROR');
    const paths = (res.json?.details as { issues: { path: string }[] }).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['body.key', 'body.count', 'body']));
    expect(String(res.json?.message)).toMatch(/^body\./);
  });

  it('validates path and query parameters', async () => {
    const short = await call({ resource: '/api/v1/things/{key}', params: { key: 'ab' }, user: viewer });
    expect(short.statusCode).toBe(400);
    expect(short.json?.message).toMatch(/^params\.key/);
    const big = await call({
      resource: '/api/v1/things/{key}',
      params: { key: 'abcd' },
      query: { limit: '50' },
      user: viewer,
    });
    expect(big.statusCode).toBe(400);
    expect(big.json?.message).toMatch(/^query\.limit/);
  });

  it('refuses a body that is not JSON with 415', async () => {
    const res = await call({
      method: 'POST',
      resource: '/api/v1/things',
      headers: { 'Content-Type': 'text/plain' },
      body: 'key=abc',
      user: developer,
    });
    expect(res.statusCode).toBe(415);
    expect(res.json?.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('refuses a body over the limit with 413 before parsing it', async () => {
    const res = await call({
      method: 'POST',
      resource: '/api/v1/things',
      headers: json,
      body: JSON.stringify({ key: 'a'.repeat(2000), count: 1 }),
      user: developer,
    });
    expect(res.statusCode).toBe(413);
    expect(res.json?.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers 401 when a Cognito route arrives without verified claims', async () => {
    const res = await call({ resource: '/api/v1/things/{key}', params: { key: 'abcd' } });
    expect(res.statusCode).toBe(401);
    expect(res.json?.code).toBe('UNAUTHORIZED');
  });

  it('answers 401 to a verified token the platform refuses: no exp, iat in the future', async () => {
    for (const [token, message] of [
      [{ exp: undefined }, 'Invalid credentials: the token has no exp'],
      [{ iat: Math.floor(Date.now() / 1000) + 600 }, 'Invalid credentials: iat is in the future'],
    ] as const) {
      const res = await call({
        resource: '/api/v1/things/{key}',
        params: { key: 'abcd' },
        user: { sub: 'x', groups: ['admin'], token },
      });
      expect(res.statusCode).toBe(401);
      expect(res.json).toEqual({ code: 'UNAUTHORIZED', message, requestId: 'req-123' });
    }
  });

  it('takes each group name whole: "viewer admin" is no role', async () => {
    const res = await call({
      resource: '/api/v1/things/{key}',
      params: { key: 'abcd' },
      user: { sub: 'x', groups: ['viewer admin'] },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json?.message).toMatch(/no role/);
  });

  it('answers 403 naming the refused action when the role lacks the permission', async () => {
    const res = await call({
      method: 'POST',
      resource: '/api/v1/things',
      headers: json,
      body: JSON.stringify({ key: 'abc', count: 3 }),
      user: viewer,
    });
    expect(res.statusCode).toBe(403);
    expect(res.json).toMatchObject({
      code: 'FORBIDDEN',
      message: 'Role viewer may read but not create flags',
    });
    expect(received).toHaveLength(0);
  });

  it('answers 403 to a user in no group, even for reads', async () => {
    const res = await call({
      resource: '/api/v1/things/{key}',
      params: { key: 'abcd' },
      user: { sub: 'x' },
    });
    expect(res.statusCode).toBe(403);
  });

  it('lets the strongest of several groups decide', async () => {
    const res = await call({
      method: 'POST',
      resource: '/api/v1/things',
      headers: json,
      body: JSON.stringify({ key: 'abc', count: 3 }),
      user: { sub: 'x', groups: ['viewer', 'developer'] },
    });
    expect(res.statusCode).toBe(201);
  });

  it('maps domain errors and hides everything about unexpected ones', async () => {
    const res = await call({ method: 'DELETE', resource: '/api/v1/things/{key}', user: viewer });
    expect(res.statusCode).toBe(500);
    expect(res.json).toEqual({ code: 'INTERNAL_ERROR', message: 'Internal error', requestId: 'req-123' });
    expect(res.body).not.toContain('hunter2');
    const conflict = await call({
      method: 'DELETE',
      resource: '/api/v1/things/{key}',
      headers: { 'X-Conflict': '1' },
      user: viewer,
    });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json).toEqual({ code: 'CONFLICT', message: 'Version 3 is stale', requestId: 'req-123' });
  });

  it('hands a route that reads its own body the text, malformed or absent, still refusing non-JSON types', async () => {
    const raw = (body?: string, headers: Record<string, string> = json) =>
      call({
        method: 'POST',
        resource: '/api/v1/raw',
        headers,
        user: developer,
        ...(body === undefined ? {} : { body }),
      });
    expect((await raw('{"key":')).json).toEqual({ text: '{"key":' });
    expect((await raw()).json).toEqual({ text: null });
    const base64 = await handler(
      {
        ...apiEvent({
          method: 'POST',
          resource: '/api/v1/raw',
          headers: json,
          user: developer,
          body: 'eyJhIjoxfQ==',
        }),
        isBase64Encoded: true,
      },
      lambdaContext,
    );
    expect(JSON.parse(base64.body)).toEqual({ text: '{"a":1}' });
    expect((await raw('{}', { 'Content-Type': 'text/plain' })).statusCode).toBe(415);
  });

  describe('a store that is down or throttling (the SDK gave up retrying): 503 with Retry-After, not 500', () => {
    const meta = { $metadata: { httpStatusCode: 500 } };
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED' });
    it.each([
      ['nothing listening (DynamoDB unreachable)', refused, '5'],
      [
        'every address refused (happy eyeballs)',
        new AggregateError([
          refused,
          Object.assign(new Error('connect ECONNREFUSED ::1:8000'), { code: 'ECONNREFUSED' }),
        ]),
        '5',
      ],
      ['a 500 from the service', new InternalServerError({ message: 'internal', ...meta }), '5'],
      [
        'a 503 from the service',
        Object.assign(new Error('unavailable'), {
          name: 'ServiceUnavailable',
          $fault: 'server',
          $metadata: { httpStatusCode: 503 },
        }),
        '5',
      ],
      ['a timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' }), '5'],
      [
        'throttling',
        new ProvisionedThroughputExceededException({
          message: 'slow down',
          $metadata: { httpStatusCode: 400 },
        }),
        '1',
      ],
      [
        'a transaction cancelled by throttling',
        new TransactionCanceledException({
          message: 'cancelled',
          $metadata: { httpStatusCode: 400 },
          CancellationReasons: [{ Code: 'ThrottlingError' }, { Code: 'None' }],
        }),
        '1',
      ],
    ])('%s', async (_label, error, retryAfter) => {
      dynamo.reset();
      dynamo.on(GetCommand).rejects(error);
      const res = await call({ resource: '/store' });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe(retryAfter);
      expect(res.json).toEqual({
        code: 'SERVICE_UNAVAILABLE',
        message: expect.stringMatching(/send the request again shortly$/),
        requestId: 'req-123',
      });
      expect(res.body).not.toMatch(/127\.0\.0\.1|8000/);
    });

    it.each([
      [
        'a missing table (a deployment bug)',
        new ResourceNotFoundException({ message: 'no table', $metadata: {} }),
      ],
      [
        'a request DynamoDB refuses (a bug)',
        Object.assign(new Error('bad key'), {
          name: 'ValidationException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
        }),
      ],
      [
        'a condition that failed',
        new TransactionCanceledException({
          message: 'cancelled',
          $metadata: {},
          CancellationReasons: [{ Code: 'ConditionalCheckFailed' }],
        }),
      ],
    ])('but %s stays a 500 INTERNAL_ERROR', async (_label, error) => {
      dynamo.reset();
      dynamo.on(GetCommand).rejects(error);
      const res = await call({ resource: '/store' });
      expect(res.statusCode).toBe(500);
      expect(res.headers['retry-after']).toBeUndefined();
      expect(res.json).toEqual({ code: 'INTERNAL_ERROR', message: 'Internal error', requestId: 'req-123' });
    });

    it('answers a service’s own ServiceUnavailableError with its details and wait', async () => {
      dynamo.reset();
      dynamo.on(GetCommand).rejects(new ServiceUnavailableError('stream down', 7, { refused: [] }));
      const res = await call({ resource: '/store' });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('7');
      expect(res.json).toEqual({
        code: 'SERVICE_UNAVAILABLE',
        message: 'stream down',
        details: { refused: [] },
        requestId: 'req-123',
      });
    });
  });

  it('decorates success and error responses with security headers and the stage’s CORS origin', async () => {
    const headers = { ...json, Origin: 'https://app.example.com' };
    const ok = await call({ resource: '/public', headers });
    const err = await call({
      method: 'POST',
      resource: '/api/v1/things',
      headers,
      body: '{',
      user: developer,
    });
    for (const res of [ok, err]) {
      expect(res.headers['Access-Control-Allow-Origin']).toBe('https://app.example.com');
      // Browsers read only the headers the actual answer exposes (ETag for revalidation, Retry-After on 429).
      expect(res.headers['Access-Control-Expose-Headers']).toBe('ETag,Retry-After');
      expect(res.headers['X-Content-Type-Options']).toBe('nosniff');
      expect(res.headers['Strict-Transport-Security']).toBeDefined();
    }
    const foreign = await call({ resource: '/public', headers: { Origin: 'https://evil.example' } });
    expect(foreign.headers['Access-Control-Allow-Origin']).not.toBe('https://evil.example');
  });

  it('answers 204 with an empty body', async () => {
    const res = await call({ resource: '/public' });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
  });

  it('answers 404 for a route the function does not serve', async () => {
    const res = await call({ resource: '/api/v1/unknown' });
    expect(res.statusCode).toBe(404);
    expect(res.json?.code).toBe('NOT_FOUND');
  });

  it('refuses at cold start a handler that does not implement its routes', () => {
    expect(() =>
      createHttpHandler('users', [implement(publicRoute, () => new HttpResponse(204))], routes),
    ).toThrow(/createThing, getThing, failing, rawThing, readStore/);
  });
});
