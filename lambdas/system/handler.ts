import { createHttpHandler, implement } from '../../shared/http/handler';
import { buildOpenApiDocument } from '../../shared/http/openapi';
import { getHealthRoute, getOpenApiRoute } from '../../shared/http/routes';
import { health } from '../../shared/system/service';

const document = buildOpenApiDocument('1');

export const handler = createHttpHandler('system', [
  implement(getHealthRoute, () => health()),
  implement(getOpenApiRoute, () => document),
]);
