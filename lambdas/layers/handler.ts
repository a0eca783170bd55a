import { userChange } from '../../shared/audit/actor';
import { deleteChange, versionedChange } from '../../shared/config/versioning';
import { configRepositories } from '../../shared/config/wiring';
import { functionEnv } from '../../shared/functions';
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

const { layers, experiments } = configRepositories(functionEnv('layers'));
const service = new LayersService(layers, experiments);

export const handler = createHttpHandler('layers', [
  implement(listLayersRoute, ({ query }) => service.list(query)),
  implement(createLayerRoute, ({ body, principal, requestId }) =>
    service.create(body, userChange(principal, requestId)),
  ),
  implement(getLayerRoute, ({ params }) => service.get(params.key)),
  implement(replaceLayerRoute, ({ body: { version, ...fields }, ...input }) =>
    service.update(input.params.key, fields, versionedChange(input, version), true),
  ),
  implement(patchLayerRoute, ({ body: { version, ...fields }, ...input }) =>
    service.update(input.params.key, fields, versionedChange(input, version)),
  ),
  implement(deleteLayerRoute, async (input) => {
    await service.remove(input.params.key, deleteChange(input));
    return new HttpResponse(204);
  }),
]);
