import { AnalyticsStore } from '../../shared/analytics/store';
import { userChange } from '../../shared/audit/actor';
import { createDynamoClient } from '../../shared/aws/clients';
import { versionedChange } from '../../shared/config/versioning';
import { functionEnv } from '../../shared/functions';
import { createHttpHandler, implement } from '../../shared/http/handler';
import {
  getFlagSafetyConfigRoute,
  getSafetyReportRoute,
  getSafetySettingsRoute,
  listRollbacksRoute,
  putFlagSafetyConfigRoute,
  putSafetySettingsRoute,
  rollBackFlagRoute,
} from '../../shared/http/routes';
import { flagHealth } from '../../shared/safety/monitor';
import { safetyService } from '../../shared/safety/wiring';

const env = functionEnv('safety');
const store = new AnalyticsStore(createDynamoClient(), env.TABLE_ANALYTICS);
// The report shows each monitored flag's health as the monitor sees it now.
const service = safetyService(env, { health: (monitored) => flagHealth(store, monitored, new Date()) });

export const handler = createHttpHandler('safety', [
  implement(getSafetySettingsRoute, () => service.settings()),
  implement(putSafetySettingsRoute, ({ body: { version, ...fields }, ...input }) =>
    service.putSettings(fields, versionedChange(input, version)),
  ),
  implement(getFlagSafetyConfigRoute, ({ params }) => service.flagConfig(params.key)),
  implement(putFlagSafetyConfigRoute, ({ body: { version, ...fields }, ...input }) =>
    service.putFlagConfig(input.params.key, fields, versionedChange(input, version)),
  ),
  implement(rollBackFlagRoute, ({ params, body, principal, requestId }) =>
    service.rollBackByHand(params.key, body.reason, {
      context: userChange(principal, requestId),
      principal,
    }),
  ),
  implement(listRollbacksRoute, ({ query }) => service.listRollbacks(query)),
  implement(getSafetyReportRoute, () => service.report()),
]);
