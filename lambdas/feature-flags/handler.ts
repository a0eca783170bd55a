import { userChange } from '../../shared/audit/actor';
import { configRepositories } from '../../shared/config/wiring';
import { parseEnv } from '../../shared/env';
import { lastEvaluated } from '../../shared/evaluation/usage';
import { z } from 'zod';
import { FlagsService } from '../../shared/flags/service';
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

const { TABLE_ANALYTICS } = parseEnv(z.object({ TABLE_ANALYTICS: z.string().min(1) }));
const { flags, segments, doc } = configRepositories();
const service = new FlagsService(flags, segments, (keys) => lastEvaluated(doc, TABLE_ANALYTICS, keys));

export const handler = createHttpHandler('feature-flags', [
  implement(listFlagsRoute, ({ query }) => service.list(query)),
  implement(createFlagRoute, ({ body, principal, requestId }) =>
    service.create(body, principal, userChange(principal, requestId)),
  ),
  implement(getFlagRoute, ({ params }) => service.get(params.key)),
  implement(replaceFlagRoute, ({ params, body: { version, ...fields }, principal, requestId, headers }) =>
    service.replace(params.key, fields, {
      principal,
      context: userChange(principal, requestId),
      version,
      ifMatch: headers['if-match'],
    }),
  ),
  implement(patchFlagRoute, ({ params, body: { version, ...fields }, principal, requestId, headers }) =>
    service.update(params.key, fields, {
      principal,
      context: userChange(principal, requestId),
      version,
      ifMatch: headers['if-match'],
    }),
  ),
  implement(deleteFlagRoute, async ({ params, principal, requestId, headers }) => {
    await service.remove(params.key, {
      principal,
      context: userChange(principal, requestId),
      ifMatch: headers['if-match'],
    });
    return new HttpResponse(204);
  }),
  implement(toggleFlagRoute, ({ params, body, principal, requestId, headers }) =>
    service.toggle(params.key, body.enabled, {
      principal,
      context: userChange(principal, requestId),
      version: body.version,
      ifMatch: headers['if-match'],
    }),
  ),
  implement(transferFlagOwnerRoute, ({ params, body, principal, requestId, headers }) =>
    service.transferOwner(params.key, body.owner, {
      principal,
      context: userChange(principal, requestId),
      version: body.version,
      ifMatch: headers['if-match'],
    }),
  ),
]);
