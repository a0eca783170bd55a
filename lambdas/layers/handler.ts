import { userChange } from '../../shared/audit/actor';
import { configRepositories } from '../../shared/config/wiring';
import { createHttpHandler, implement } from '../../shared/http/handler';
import { HttpResponse } from '../../shared/http/response';
import {
  createLayerRoute,
  deleteLayerRoute,
  getLayerRoute,
  listLayersRoute,
  patchLayerRoute,
  replaceLayerRoute,
} from '../../shared/http/routes';
import { LayersService } from '../../shared/layers/service';

const { layers, experiments } = configRepositories();
const service = new LayersService(layers, experiments);

export const handler = createHttpHandler('layers', [
  implement(listLayersRoute, ({ query }) => service.list(query)),
  implement(createLayerRoute, ({ body, principal, requestId }) =>
    service.create(body, userChange(principal, requestId)),
  ),
  implement(getLayerRoute, ({ params }) => service.get(params.key)),
  implement(replaceLayerRoute, ({ params, body: { version, ...fields }, principal, requestId, headers }) =>
    service.update(
      params.key,
      fields,
      { context: userChange(principal, requestId), version, ifMatch: headers['if-match'] },
      true,
    ),
  ),
  implement(patchLayerRoute, ({ params, body: { version, ...fields }, principal, requestId, headers }) =>
    service.update(params.key, fields, {
      context: userChange(principal, requestId),
      version,
      ifMatch: headers['if-match'],
    }),
  ),
  implement(deleteLayerRoute, async ({ params, principal, requestId, headers }) => {
    await service.remove(params.key, {
      context: userChange(principal, requestId),
      ifMatch: headers['if-match'],
    });
    return new HttpResponse(204);
  }),
]);
