import { userChange, type ChangeContext } from '../audit/actor';
import type { UserPrincipal } from '../auth/principal';
import { deleteChange, versionedChange, type PersonChange } from '../config/versioning';
import { implement, type RouteImplementation, type RouteInput, type RouteResult } from './handler';
import { HttpResponse } from './response';
import type { RouteDefinition, versionedRoutes } from './routes';

/** A versioned resource's routes, as `versionedRoutes` makes them. */
type VersionedRoutes = ReturnType<typeof versionedRoutes>;

type Body<R extends RouteDefinition> = RouteInput<R>['body'];
type Fields<R extends RouteDefinition> = Omit<NonNullable<Body<R>>, 'version'>;

/**
 * What a versioned resource's service offers its routes, typed from their schemas: `create` gets the change's
 * context and the person making it (ownership rules need who), PUT `replace`s, PATCH `update`s, each with the
 * version the caller read.
 */
type VersionedService<S extends VersionedRoutes> = {
  list(query: RouteInput<S['list']>['query']): Promise<RouteResult<S['list']>>;
  get(key: string): Promise<RouteResult<S['get']>>;
  create(
    input: Body<S['create']>,
    context: ChangeContext,
    principal: UserPrincipal,
  ): Promise<RouteResult<S['create']>>;
  replace(
    key: string,
    fields: Fields<S['replace']>,
    change: PersonChange,
  ): Promise<RouteResult<S['replace']>>;
  remove(key: string, change: PersonChange): Promise<void>;
} & (S extends { patch: infer P extends RouteDefinition }
  ? { update(key: string, fields: Fields<P>, change: PersonChange): Promise<RouteResult<P>> }
  : unknown);

/** The input of a versioned resource's route, as the handler chain builds it. */
interface VersionedInput {
  readonly params: Readonly<Record<string, string>>;
  readonly query: unknown;
  readonly body: { readonly version?: number } | undefined;
  readonly principal: UserPrincipal;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly requestId: string;
}

/** The same service, its input as the routes' schemas validated it. */
interface UntypedService {
  list(query: unknown): Promise<unknown>;
  get(key: string): Promise<unknown>;
  create(input: unknown, context: ChangeContext, principal: UserPrincipal): Promise<unknown>;
  replace(key: string, fields: object, change: PersonChange): Promise<unknown>;
  update?(key: string, fields: object, change: PersonChange): Promise<unknown>;
  remove(key: string, change: PersonChange): Promise<void>;
}

/**
 * The implementations of a versioned resource's routes (`versionedRoutes`) by its service: list, create, get,
 * PUT, PATCH (when the resource has one) and DELETE (204). Routes the resource adds beside them are implemented
 * beside this, with `implement`.
 */
export function implementVersioned<S extends VersionedRoutes>(
  routes: S,
  service: VersionedService<S>,
): RouteImplementation[] {
  const untyped = service as unknown as UntypedService;
  const serve = (route: RouteDefinition, run: (input: VersionedInput) => Promise<unknown>) =>
    implement(route, (input) => run(input as unknown as VersionedInput));
  // The resource's one path parameter: `key`, or `id` for rollout schedules.
  const [param = 'key'] = Object.keys(routes.get.request.params.shape);
  const keyOf = (input: VersionedInput) => input.params[param] ?? '';
  const edit =
    (change: (key: string, fields: object, change: PersonChange) => Promise<unknown>) =>
    (input: VersionedInput) => {
      const { version, ...fields } = input.body ?? {};
      return change(keyOf(input), fields, versionedChange(input, version));
    };
  const patch = 'patch' in routes ? (routes.patch as RouteDefinition) : undefined;
  const update = untyped.update?.bind(untyped);
  return [
    serve(routes.list, (input) => untyped.list(input.query)),
    serve(routes.create, ({ body, principal, requestId }) =>
      untyped.create(body, userChange(principal, requestId), principal),
    ),
    serve(routes.get, (input) => untyped.get(keyOf(input))),
    serve(routes.replace, edit(untyped.replace.bind(untyped))),
    ...(patch === undefined || update === undefined ? [] : [serve(patch, edit(update))]),
    serve(routes.delete, async (input) => {
      const query = input.query as { readonly version?: number };
      await untyped.remove(keyOf(input), deleteChange({ ...input, query }));
      return new HttpResponse(204);
    }),
  ];
}
