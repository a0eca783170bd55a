import { AnalyticsStore } from '../../shared/analytics/store';
import { versionedChange } from '../../shared/config/versioning';
import { createDynamoClient } from '../../shared/aws/clients';
import { configRepositories } from '../../shared/config/wiring';
import type { ExperimentAction } from '../../shared/experiments/lifecycle';
import { ExperimentExactTime } from '../../shared/experiments/exact-time';
import { ExperimentsService } from '../../shared/experiments/service';
import { functionEnv } from '../../shared/functions';
import { createHttpHandler, implement } from '../../shared/http/handler';
import {
  archiveExperimentRoute,
  completeExperimentRoute,
  experimentRoutes,
  getExperimentResultsRoute,
  pauseExperimentRoute,
  resumeExperimentRoute,
  scheduleExperimentRoute,
  startExperimentRoute,
} from '../../shared/http/routes';
import { implementVersioned } from '../../shared/http/versioned';
import { DynamoBoundStore } from '../../shared/results/bounds';
import { ResultsService } from '../../shared/results/service';
import { oneTimeSchedulesFromEnv } from '../../shared/schedules/one-time';

const env = functionEnv('experiments');
const { experiments, layers, flags, metrics, segments } = configRepositories(env);
// Creates, moves and deletes the exact-time start/end schedules after each change (none on the local platform).
const service = new ExperimentsService(
  experiments,
  layers,
  flags,
  metrics,
  segments,
  new ExperimentExactTime(oneTimeSchedulesFromEnv()),
);
const dynamo = createDynamoClient();
// Reads the aggregates; keeps the running bounds of the always-valid figures next to them.
const results = new ResultsService(
  experiments,
  metrics,
  new AnalyticsStore(dynamo, env.TABLE_ANALYTICS),
  new DynamoBoundStore(dynamo, env.TABLE_ANALYTICS),
);

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
  implement(getExperimentResultsRoute, ({ params, query }) =>
    results.results(params.key, {
      cuped: query.cuped === true,
      ...(query.dailyUnits === undefined ? {} : { dailyUnits: query.dailyUnits }),
    }),
  ),
  ...implementVersioned(experimentRoutes, service),
  transitionRoute(startExperimentRoute, 'start'),
  transitionRoute(pauseExperimentRoute, 'pause'),
  transitionRoute(resumeExperimentRoute, 'resume'),
  transitionRoute(completeExperimentRoute, 'complete'),
  transitionRoute(archiveExperimentRoute, 'archive'),
  implement(scheduleExperimentRoute, ({ body: { version, startAt, endAt }, ...input }) =>
    service.schedule(input.params.key, { startAt, endAt }, versionedChange(input, version)),
  ),
]);
