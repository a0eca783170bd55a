import { matchRoute } from '../../../local/gateway';
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
