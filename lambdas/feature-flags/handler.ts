import { userChange } from '../../shared/audit/actor';
import { deleteChange, versionedChange } from '../../shared/config/versioning';
import { configRepositories } from '../../shared/config/wiring';
import { lastEvaluated } from '../../shared/evaluation/usage';
import { FlagsService } from '../../shared/flags/service';
import { functionEnv } from '../../shared/functions';
import { createHttpHandler, implement } from '../../shared/http/handler';
import { HttpResponse } from '../../shared/http/response';
import {
  createFlagRoute,
  deleteFlagRoute,
  getFlagRoute,
  listFlagsRoute,
  patchFlagRoute,
  replaceFlagRoute,
  toggleFlagRoute,
  transferFlagOwnerRoute,
} from '../../shared/http/routes';
import { userDirectory } from '../../shared/users/wiring';

const env = functionEnv('feature-flags');
const { flags, segments, experiments, rollouts, doc } = configRepositories(env);
const service = new FlagsService(
  flags,
  segments,
  experiments,
  rollouts,
  (keys) => lastEvaluated(doc, env.TABLE_ANALYTICS, keys),
  userDirectory(env),
);

export const handler = createHttpHandler('feature-flags', [
  implement(listFlagsRoute, ({ query }) => service.list(query)),
  implement(createFlagRoute, ({ body, principal, requestId }) =>
    service.create(body, principal, userChange(principal, requestId)),
  ),
  implement(getFlagRoute, ({ params }) => service.get(params.key)),
  implement(replaceFlagRoute, ({ body: { version, ...fields }, ...input }) =>
    service.replace(input.params.key, fields, versionedChange(input, version)),
  ),
  implement(patchFlagRoute, ({ body: { version, ...fields }, ...input }) =>
    service.update(input.params.key, fields, versionedChange(input, version)),
  ),
  implement(deleteFlagRoute, async (input) => {
    await service.remove(input.params.key, deleteChange(input));
    return new HttpResponse(204);
  }),
  implement(toggleFlagRoute, ({ body, ...input }) =>
    service.toggle(input.params.key, body.enabled, versionedChange(input, body.version)),
  ),
  implement(transferFlagOwnerRoute, ({ body, ...input }) =>
    service.transferOwner(input.params.key, body.owner, versionedChange(input, body.version)),
  ),
]);
