import * as routeModule from '../../../shared/http/routes';
import { EVALUATION_ROUTES, HANDLER_GROUPS, ROUTES, routeKey, routesOf } from '../../../shared/http/routes';

const isRoute = (value: unknown) =>
  typeof value === 'object' &&
  value !== null &&
  'operationId' in value &&
  'method' in value &&
  'path' in value &&
  'handler' in value;

/**
 * Every export of the route module that has the shape of a route definition, and every route of an exported
 * route set (`versionedRoutes`: an object of routes).
 */
const exportedRoutes = Object.entries(routeModule).flatMap(([name, value]): [string, unknown][] => {
  if (isRoute(value)) return [[name, value]];
  if (typeof value !== 'object' || value === null) return [];
  const members = Object.entries(value);
  return members.length > 0 && members.every(([, member]) => isRoute(member))
    ? members.map(([member, route]) => [`${name}.${member}`, route])
    : [];
});

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

  // The evaluation function checks its handlers against its own list (shared/http/evaluation-routes.ts), so that
  // it loads no other route's schemas: the list must be exactly the table's evaluation routes.
  it("lists the evaluation group's routes in EVALUATION_ROUTES, as the table does", () => {
    expect([...EVALUATION_ROUTES]).toEqual(routesOf('evaluation'));
  });
});
