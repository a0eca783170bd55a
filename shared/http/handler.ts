import { createGroupHandler, type RouteImplementation } from './chain';
import { ROUTES, type HandlerGroup, type RouteDefinition } from './routes';

export { implement, type RouteImplementation, type RouteInput, type RouteResult } from './chain';

/**
 * A route group's handler, checked against THE route table (shared/http/routes.ts): see `createGroupHandler`
 * (shared/http/chain.ts) for the chain. A function whose cold start matters and that serves a few routes (the
 * evaluation group) calls `createGroupHandler` with its own routes instead, so the whole table's schemas are not
 * in its bundle.
 */
export function createHttpHandler(
  group: HandlerGroup,
  implementations: readonly RouteImplementation[],
  routes: readonly RouteDefinition[] = ROUTES,
) {
  return createGroupHandler(group, routes, implementations);
}
