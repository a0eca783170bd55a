import { configRepositories } from '../../shared/config/wiring';
import { versionedChange } from '../../shared/config/versioning';
import { functionEnv } from '../../shared/functions';
import { createHttpHandler, implement } from '../../shared/http/handler';
import {
  advanceRolloutRoute,
  pauseRolloutRoute,
  resumeRolloutRoute,
  rolloutRoutes,
} from '../../shared/http/routes';
import { implementVersioned } from '../../shared/http/versioned';
import { RolloutExactTime } from '../../shared/rollouts/exact-time';
import { RolloutsService } from '../../shared/rollouts/service';
import { oneTimeSchedulesFromEnv } from '../../shared/schedules/one-time';

const { rollouts, flags } = configRepositories(functionEnv('rollout-schedules'));
// Creates, moves and deletes each rollout's exact-time schedule after each change (none on the local platform).
const service = new RolloutsService(rollouts, flags, new RolloutExactTime(oneTimeSchedulesFromEnv()));

export const handler = createHttpHandler('rollout-schedules', [
  ...implementVersioned(rolloutRoutes, service),
  implement(advanceRolloutRoute, ({ body, ...input }) =>
    service.advance(input.params.id, versionedChange(input, body?.version)),
  ),
  implement(pauseRolloutRoute, ({ body, ...input }) =>
    service.pause(input.params.id, versionedChange(input, body?.version)),
  ),
  implement(resumeRolloutRoute, ({ body, ...input }) =>
    service.resume(input.params.id, versionedChange(input, body?.version)),
  ),
]);
