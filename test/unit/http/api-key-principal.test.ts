import { z } from 'zod';
import type { ApiKeyPrincipal } from '../../../shared/auth/principal';
import { createHttpHandler, implement } from '../../../shared/http/handler';
import type { RouteDefinition } from '../../../shared/http/routes';
import { apiEvent, lambdaContext, setHttpEnv } from '../../support/api-event';

setHttpEnv();

/** A stand-in SDK route: none exists in the route table yet. */
const evaluateThing = {
  operationId: 'evaluateThing',
  method: 'POST',
  path: '/api/v1/evaluate-thing',
  handler: 'system',
  auth: 'apiKey',
  permission: 'public',
  summary: 'test',
  tag: 'test',
  request: { body: z.strictObject({ flag: z.string() }) },
} as const satisfies RouteDefinition;

const seen: ApiKeyPrincipal[] = [];
const handler = createHttpHandler(
  'system',
  [
    implement(evaluateThing, ({ principal, body }) => {
      // RouteInput types the principal of an apiKey route as ApiKeyPrincipal (this would not compile otherwise).
      const typed: ApiKeyPrincipal = principal;
      // @ts-expect-error an API key has no user subject
      void principal.sub;
      seen.push(typed);
      return { flag: body.flag, keyType: principal.keyType };
    }),
  ],
  [evaluateThing],
);

async function call(authorizer: Record<string, unknown> | undefined) {
  const event = apiEvent({
    method: 'POST',
    resource: '/api/v1/evaluate-thing',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ flag: 'checkout' }),
  });
  event.requestContext.authorizer = authorizer;
  const result = await handler(event, lambdaContext);
  return { status: result.statusCode, json: JSON.parse(result.body) as Record<string, unknown> };
}

describe('the principal of API-key routes', () => {
  beforeEach(() => (seen.length = 0));

  it('is the key the authorizer accepted, from its context (values arrive as strings)', async () => {
    const res = await call({
      keyId: 'key-1',
      keyType: 'client',
      principalId: 'key-1',
      integrationLatency: 12,
    });
    expect(res).toEqual({ status: 200, json: { flag: 'checkout', keyType: 'client' } });
    expect(seen).toEqual([{ kind: 'apiKey', keyId: 'key-1', keyType: 'client' }]);
  });

  it.each([
    ['no authorizer context', undefined],
    ['Cognito claims instead of a key', { claims: { sub: 'user-1', 'cognito:groups': 'admin' } }],
    ['a context without keyId', { keyType: 'server' }],
    ['an unknown key type', { keyId: 'key-1', keyType: 'admin' }],
    ['an empty key id', { keyId: '', keyType: 'server' }],
  ])('answers 401 with %s (defence in depth behind the authorizer)', async (_what, authorizer) => {
    const res = await call(authorizer);
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ code: 'UNAUTHORIZED', message: 'Missing or invalid API key' });
    expect(seen).toEqual([]);
  });
});
