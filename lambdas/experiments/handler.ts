import { userChange } from '../../shared/audit/actor';
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
  implement(route, ({ params, body, principal, requestId, headers }) =>
    service.transition(params.key, action, {
      context: userChange(principal, requestId),
      version: body?.version,
      ifMatch: headers['if-match'],
    }),
  );

export const handler = createHttpHandler('experiments', [
  implement(listExperimentsRoute, ({ query }) => service.list(query)),
  implement(createExperimentRoute, ({ body, principal, requestId }) =>
    service.create(body, userChange(principal, requestId)),
  ),
  implement(getExperimentRoute, ({ params }) => service.get(params.key)),
  implement(
    replaceExperimentRoute,
    ({ params, body: { version, ...fields }, principal, requestId, headers }) =>
      service.update(
        params.key,
        fields,
        { context: userChange(principal, requestId), version, ifMatch: headers['if-match'] },
        true,
      ),
  ),
  implement(patchExperimentRoute, ({ params, body: { version, ...fields }, principal, requestId, headers }) =>
    service.update(params.key, fields, {
      context: userChange(principal, requestId),
      version,
      ifMatch: headers['if-match'],
    }),
  ),
  implement(deleteExperimentRoute, async ({ params, principal, requestId, headers }) => {
    await service.remove(params.key, {
      context: userChange(principal, requestId),
      ifMatch: headers['if-match'],
    });
    return new HttpResponse(204);
  }),
  transitionRoute(startExperimentRoute, 'start'),
  transitionRoute(pauseExperimentRoute, 'pause'),
  transitionRoute(resumeExperimentRoute, 'resume'),
  transitionRoute(completeExperimentRoute, 'complete'),
  transitionRoute(archiveExperimentRoute, 'archive'),
  implement(
    scheduleExperimentRoute,
    ({ params, body: { version, startAt, endAt }, principal, requestId, headers }) =>
      service.schedule(
        params.key,
        { startAt, endAt },
        { context: userChange(principal, requestId), version, ifMatch: headers['if-match'] },
      ),
  ),
]);
