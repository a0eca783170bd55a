import { userChange } from '../../shared/audit/actor';
import { deleteChange, versionedChange } from '../../shared/config/versioning';
import { ConfigRepository } from '../../shared/config/repository';
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
import type { StoredFlagSafety } from '../../shared/safety/repository';
import { userDirectory } from '../../shared/users/wiring';

const env = functionEnv('feature-flags');
const { flags, segments, experiments, rollouts, doc, audit } = configRepositories(env);
const service = new FlagsService(
  flags,
  segments,
  experiments,
  rollouts,
  (keys) => lastEvaluated(doc, env.TABLE_ANALYTICS, keys),
  userDirectory(env),
  // A flag's safety overrides go with it.
  [new ConfigRepository<StoredFlagSafety>(doc, env.TABLE_CONFIG, audit, 'safetyConfig')],
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
