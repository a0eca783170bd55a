import { userChange } from '../../shared/audit/actor';
import { configRepositories } from '../../shared/config/wiring';
import { deleteChange, versionedChange } from '../../shared/config/versioning';
import { functionEnv } from '../../shared/functions';
import { createHttpHandler, implement } from '../../shared/http/handler';
import { HttpResponse } from '../../shared/http/response';
import {
  advanceRolloutRoute,
  createRolloutRoute,
  deleteRolloutRoute,
  getRolloutRoute,
  listRolloutsRoute,
  pauseRolloutRoute,
  replaceRolloutRoute,
  resumeRolloutRoute,
} from '../../shared/http/routes';
import { RolloutExactTime } from '../../shared/rollouts/exact-time';
import { RolloutsService } from '../../shared/rollouts/service';
import { oneTimeSchedulesFromEnv } from '../../shared/schedules/one-time';

const { rollouts, flags } = configRepositories(functionEnv('rollout-schedules'));
// Creates, moves and deletes each rollout's exact-time schedule after each change (none on the local platform).
const service = new RolloutsService(rollouts, flags, new RolloutExactTime(oneTimeSchedulesFromEnv()));

export const handler = createHttpHandler('rollout-schedules', [
  implement(listRolloutsRoute, ({ query }) => service.list(query)),
  implement(createRolloutRoute, ({ body, principal, requestId }) =>
    service.create(body, principal, userChange(principal, requestId)),
  ),
  implement(getRolloutRoute, ({ params }) => service.get(params.id)),
  implement(replaceRolloutRoute, ({ body: { version, ...fields }, ...input }) =>
    service.replace(input.params.id, fields, versionedChange(input, version)),
  ),
  implement(deleteRolloutRoute, async (input) => {
    await service.remove(input.params.id, deleteChange(input));
    return new HttpResponse(204);
  }),
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
