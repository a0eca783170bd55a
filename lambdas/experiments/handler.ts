import { userChange, versionedChange } from '../../shared/audit/actor';
import { configRepositories } from '../../shared/config/wiring';
import type { ExperimentAction } from '../../shared/experiments/lifecycle';
import { ExperimentsService } from '../../shared/experiments/service';
import { createHttpHandler, implement } from '../../shared/http/handler';
import { HttpResponse } from '../../shared/http/response';
import {
  archiveExperimentRoute,
  completeExperimentRoute,
  createExperimentRoute,
  deleteExperimentRoute,
  getExperimentRoute,
  listExperimentsRoute,
  patchExperimentRoute,
  pauseExperimentRoute,
  replaceExperimentRoute,
  resumeExperimentRoute,
  scheduleExperimentRoute,
  startExperimentRoute,
} from '../../shared/http/routes';

const { experiments, layers, flags } = configRepositories();
const service = new ExperimentsService(experiments, layers, flags);

const transitionRoute = (
  route:
    | typeof startExperimentRoute
    | typeof pauseExperimentRoute
    | typeof resumeExperimentRoute
    | typeof completeExperimentRoute
    | typeof archiveExperimentRoute,
  action: ExperimentAction,
) =>
  implement(route, ({ body, ...input }) =>
    service.transition(input.params.key, action, versionedChange(input, body?.version)),
  );

export const handler = createHttpHandler('experiments', [
  implement(listExperimentsRoute, ({ query }) => service.list(query)),
  implement(createExperimentRoute, ({ body, principal, requestId }) =>
    service.create(body, userChange(principal, requestId)),
  ),
  implement(getExperimentRoute, ({ params }) => service.get(params.key)),
  implement(replaceExperimentRoute, ({ body: { version, ...fields }, ...input }) =>
    service.update(input.params.key, fields, versionedChange(input, version), true),
  ),
  implement(patchExperimentRoute, ({ body: { version, ...fields }, ...input }) =>
    service.update(input.params.key, fields, versionedChange(input, version)),
  ),
  implement(deleteExperimentRoute, async (input) => {
    await service.remove(input.params.key, versionedChange(input));
    return new HttpResponse(204);
  }),
  transitionRoute(startExperimentRoute, 'start'),
  transitionRoute(pauseExperimentRoute, 'pause'),
  transitionRoute(resumeExperimentRoute, 'resume'),
  transitionRoute(completeExperimentRoute, 'complete'),
  transitionRoute(archiveExperimentRoute, 'archive'),
  implement(scheduleExperimentRoute, ({ body: { version, startAt, endAt }, ...input }) =>
    service.schedule(input.params.key, { startAt, endAt }, versionedChange(input, version)),
  ),
]);
