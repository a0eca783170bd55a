import { configRepositories } from '../../shared/config/wiring';
import { functionEnv } from '../../shared/functions';
import { createHttpHandler } from '../../shared/http/handler';
import { segmentRoutes } from '../../shared/http/routes';
import { implementVersioned } from '../../shared/http/versioned';
import { SegmentsService } from '../../shared/segments/service';

const { flags, segments, experiments } = configRepositories(functionEnv('segments'));

export const handler = createHttpHandler(
  'segments',
  implementVersioned(segmentRoutes, new SegmentsService(segments, flags, experiments)),
);
