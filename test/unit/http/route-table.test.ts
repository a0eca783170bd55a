import * as routeModule from '../../../shared/http/routes';
import { HANDLER_GROUPS, ROUTES, routeKey } from '../../../shared/http/routes';

/** Every export of the route module that has the shape of a route definition. */
const exportedRoutes = Object.entries(routeModule).filter(
  ([, value]) =>
    typeof value === 'object' &&
    value !== null &&
    'operationId' in value &&
    'method' in value &&
    'path' in value &&
    'handler' in value,
);

describe('the route table', () => {
  it('finds the route definitions among the exports', () => {
    expect(exportedRoutes.length).toBeGreaterThanOrEqual(ROUTES.length);
  });

  // A route left out of ROUTES is never deployed, served locally, documented or access-tested.
  it.each(exportedRoutes.map(([name, route]) => [name, route] as const))(
    '%s is in ROUTES',
    (_name, route) => {
      expect(ROUTES).toContain(route);
    },
  );

  it('lists each route once, with a unique method and path and a unique operationId', () => {
    expect(new Set(ROUTES).size).toBe(ROUTES.length);
    expect(new Set(ROUTES.map((r) => routeKey(r.method, r.path))).size).toBe(ROUTES.length);
    expect(new Set(ROUTES.map((r) => r.operationId)).size).toBe(ROUTES.length);
  });

  it('sends every route to a registered route group, and every group serves a route', () => {
    for (const route of ROUTES) expect(HANDLER_GROUPS).toContain(route.handler);
    for (const group of HANDLER_GROUPS) expect(ROUTES.some((r) => r.handler === group)).toBe(true);
  });
});
