import { versionedChange } from '../../shared/config/versioning';
import { configRepositories } from '../../shared/config/wiring';
import { lastEvaluated } from '../../shared/evaluation/usage';
import { FlagsService } from '../../shared/flags/service';
import { functionEnv } from '../../shared/functions';
import { createHttpHandler, implement } from '../../shared/http/handler';
import { flagRoutes, toggleFlagRoute, transferFlagOwnerRoute } from '../../shared/http/routes';
import { implementVersioned } from '../../shared/http/versioned';
import { userDirectory } from '../../shared/users/wiring';

const env = functionEnv('feature-flags');
const { flags, segments, experiments, rollouts, safetyConfigs, doc } = configRepositories(env);
const service = new FlagsService(
  flags,
  segments,
  experiments,
  rollouts,
  (keys) => lastEvaluated(doc, env.TABLE_ANALYTICS, keys),
  userDirectory(env),
  // A flag's safety overrides go with it.
  [safetyConfigs],
);

export const handler = createHttpHandler('feature-flags', [
  ...implementVersioned(flagRoutes, service),
  implement(toggleFlagRoute, ({ body, ...input }) =>
    service.toggle(input.params.key, body.enabled, versionedChange(input, body.version)),
  ),
  implement(transferFlagOwnerRoute, ({ body, ...input }) =>
    service.transferOwner(input.params.key, body.owner, versionedChange(input, body.version)),
  ),
]);
