import { userChange } from '../../shared/audit/actor';
import { configRepositories } from '../../shared/config/wiring';
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

const { flags, segments } = configRepositories();
const service = new SegmentsService(segments, flags);

export const handler = createHttpHandler('segments', [
  implement(listSegmentsRoute, ({ query }) => service.list(query)),
  implement(createSegmentRoute, ({ body, principal, requestId }) =>
    service.create(body, userChange(principal, requestId)),
  ),
  implement(getSegmentRoute, ({ params }) => service.get(params.key)),
  implement(replaceSegmentRoute, ({ params, body: { version, ...fields }, principal, requestId, headers }) =>
    service.update(params.key, fields, {
      context: userChange(principal, requestId),
      version,
      ifMatch: headers['if-match'],
    }),
  ),
  implement(patchSegmentRoute, ({ params, body: { version, ...fields }, principal, requestId, headers }) =>
    service.update(params.key, fields, {
      context: userChange(principal, requestId),
      version,
      ifMatch: headers['if-match'],
    }),
  ),
  implement(deleteSegmentRoute, async ({ params, principal, requestId, headers }) => {
    await service.remove(params.key, {
      context: userChange(principal, requestId),
      ifMatch: headers['if-match'],
    });
    return new HttpResponse(204);
  }),
]);
