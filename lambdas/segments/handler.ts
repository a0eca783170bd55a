import { userChange } from '../../shared/audit/actor';
import { deleteChange, versionedChange } from '../../shared/config/versioning';
import { configRepositories } from '../../shared/config/wiring';
import { functionEnv } from '../../shared/functions';
import { createHttpHandler, implement } from '../../shared/http/handler';
import { HttpResponse } from '../../shared/http/response';
import {
  createSegmentRoute,
  deleteSegmentRoute,
  getSegmentRoute,
  listSegmentsRoute,
  patchSegmentRoute,
  replaceSegmentRoute,
} from '../../shared/http/routes';
import { SegmentsService } from '../../shared/segments/service';

const { flags, segments, experiments } = configRepositories(functionEnv('segments'));
const service = new SegmentsService(segments, flags, experiments);

export const handler = createHttpHandler('segments', [
  implement(listSegmentsRoute, ({ query }) => service.list(query)),
  implement(createSegmentRoute, ({ body, principal, requestId }) =>
    service.create(body, userChange(principal, requestId)),
  ),
  implement(getSegmentRoute, ({ params }) => service.get(params.key)),
  implement(replaceSegmentRoute, ({ body: { version, ...fields }, ...input }) =>
    service.update(input.params.key, fields, versionedChange(input, version)),
  ),
  implement(patchSegmentRoute, ({ body: { version, ...fields }, ...input }) =>
    service.update(input.params.key, fields, versionedChange(input, version)),
  ),
  implement(deleteSegmentRoute, async (input) => {
    await service.remove(input.params.key, deleteChange(input));
    return new HttpResponse(204);
  }),
]);
