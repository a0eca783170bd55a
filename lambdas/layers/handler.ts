import { configRepositories } from '../../shared/config/wiring';
import { functionEnv } from '../../shared/functions';
import { createHttpHandler } from '../../shared/http/handler';
import { layerRoutes } from '../../shared/http/routes';
import { implementVersioned } from '../../shared/http/versioned';
import { LayersService } from '../../shared/layers/service';

const { layers, experiments } = configRepositories(functionEnv('layers'));

export const handler = createHttpHandler(
  'layers',
  implementVersioned(layerRoutes, new LayersService(layers, experiments)),
);
