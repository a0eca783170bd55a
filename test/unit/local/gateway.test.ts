import { GATEWAY_MAX_HEADER_BYTES, LocalGateway, matchRoute } from '../../../local/gateway';
import type { LocalIdentity } from '../../../local/identity';
import type { LambdaHttpResult } from '../../../shared/http/response';
import type { RouteDefinition } from '../../../shared/http/routes';

const route = (method: RouteDefinition['method'], path: string): RouteDefinition => ({
  operationId: `${method} ${path}`,
  method,
  path,
  handler: 'users',
  auth: 'none',
  permission: 'public',
  summary: '',
  tag: '',
});

describe('local route matching', () => {
  const routes = [
    route('GET', '/api/v1/users/{id}'),
    route('GET', '/api/v1/users/me'),
    route('POST', '/api/v1/users/{id}/role'),
  ];

  it('prefers literal segments over parameters, as API Gateway does', () => {
    expect(matchRoute('GET', '/api/v1/users/me', routes)?.route.path).toBe('/api/v1/users/me');
    expect(matchRoute('GET', '/api/v1/users/abc', routes)).toEqual({
      route: routes[0],
      pathParameters: { id: 'abc' },
    });
  });

  it('decodes path parameters and tolerates bad escapes', () => {
    expect(matchRoute('POST', '/api/v1/users/a%40b.c/role', routes)?.pathParameters).toEqual({ id: 'a@b.c' });
    expect(matchRoute('POST', '/api/v1/users/%E0%A4%A/role', routes)?.pathParameters).toEqual({
      id: '%E0%A4%A',
    });
  });

  it('finds nothing for unknown paths or methods', () => {
    expect(matchRoute('DELETE', '/api/v1/users/me', routes)).toBeNull();
    expect(matchRoute('GET', '/api/v1/users', routes)).toBeNull();
    expect(matchRoute('GET', '/api/v1/users/a/b/c', routes)).toBeNull();
  });
});

describe('the local gateway’s own answers', () => {
  const served: string[] = [];
  const handler = async (event: { path: string }): Promise<LambdaHttpResult> => {
    served.push(event.path);
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' };
  };
  const gateway = new LocalGateway({
    identity: {} as unknown as LocalIdentity,
    functions: { get: (() => handler) as never },
    stage: 'test',
    corsAllowedOrigins: [],
    routes: [route('GET', '/api/v1/things')],
  });
  let url = '';
  beforeAll(async () => {
    url = `http://127.0.0.1:${await gateway.listen(0, '127.0.0.1')}`;
  });
  afterAll(() => gateway.close());

  const errorBody = (code: string) => ({ code, message: expect.any(String), requestId: expect.any(String) });

  it('answers a request line and headers over 10 KB with 431 and the Error JSON, as API Gateway limits them', async () => {
    const res = await fetch(`${url}/api/v1/things?q=${'x'.repeat(16 * 1024)}`);
    expect(res.status).toBe(431);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual(errorBody('HEADERS_TOO_LARGE'));
    const header = await fetch(`${url}/api/v1/things`, {
      headers: { 'x-big': 'y'.repeat(GATEWAY_MAX_HEADER_BYTES) },
    });
    expect(header.status).toBe(431);
    expect(served).toEqual([]);
  });

  it('lets a request under the limit through', async () => {
    const res = await fetch(`${url}/api/v1/things?q=${'x'.repeat(8 * 1024)}`);
    expect(res.status).toBe(200);
    expect(served).toEqual(['/api/v1/things']);
  });

  it('answers an unknown route with 404 and the Error JSON', async () => {
    const res = await fetch(`${url}/api/v1/nothing`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual(errorBody('NOT_FOUND'));
  });
});
