import { configRepositories } from '../../shared/config/wiring';
import { functionEnv } from '../../shared/functions';
import { createHttpHandler } from '../../shared/http/handler';
import { metricRoutes } from '../../shared/http/routes';
import { implementVersioned } from '../../shared/http/versioned';
import { MetricsService } from '../../shared/metrics/service';

const { metrics, experiments } = configRepositories(functionEnv('metrics'));

export const handler = createHttpHandler(
  'metrics',
  implementVersioned(metricRoutes, new MetricsService(metrics, experiments)),
);
