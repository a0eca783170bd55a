import { userChange } from '../../shared/audit/actor';
import { deleteChange, versionedChange } from '../../shared/config/versioning';
import { configRepositories } from '../../shared/config/wiring';
import { functionEnv } from '../../shared/functions';
import { createHttpHandler, implement } from '../../shared/http/handler';
import { HttpResponse } from '../../shared/http/response';
import {
  createMetricRoute,
  deleteMetricRoute,
  getMetricRoute,
  listMetricsRoute,
  patchMetricRoute,
  replaceMetricRoute,
} from '../../shared/http/routes';
import { MetricsService } from '../../shared/metrics/service';

const { metrics, experiments } = configRepositories(functionEnv('metrics'));
const service = new MetricsService(metrics, experiments);

export const handler = createHttpHandler('metrics', [
  implement(listMetricsRoute, ({ query }) => service.list(query)),
  implement(createMetricRoute, ({ body, principal, requestId }) =>
    service.create(body, userChange(principal, requestId)),
  ),
  implement(getMetricRoute, ({ params }) => service.get(params.key)),
  implement(replaceMetricRoute, ({ body: { version, ...fields }, ...input }) =>
    service.update(input.params.key, fields, versionedChange(input, version), true),
  ),
  implement(patchMetricRoute, ({ body: { version, ...fields }, ...input }) =>
    service.update(input.params.key, fields, versionedChange(input, version)),
  ),
  implement(deleteMetricRoute, async (input) => {
    await service.remove(input.params.key, deleteChange(input));
    return new HttpResponse(204);
  }),
]);
