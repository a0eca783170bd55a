import { userChange } from '../../shared/audit/actor';
import { AuditRepository } from '../../shared/audit/repository';
import { ApiKeyRepository } from '../../shared/api-keys/repository';
import { ApiKeysService } from '../../shared/api-keys/service';
import { createDocumentClient } from '../../shared/aws/clients';
import { functionEnv } from '../../shared/functions';
import { createHttpHandler, implement } from '../../shared/http/handler';
import { createApiKeyRoute, listApiKeysRoute, revokeApiKeyRoute } from '../../shared/http/routes';

const env = functionEnv('api-keys');
const doc = createDocumentClient();
const service = new ApiKeysService(
  new ApiKeyRepository(doc, env.TABLE_API_KEYS),
  new AuditRepository(doc, env.TABLE_AUDIT),
);

export const handler = createHttpHandler('api-keys', [
  implement(listApiKeysRoute, ({ query }) => service.list(query)),
  implement(createApiKeyRoute, ({ body, principal, requestId }) =>
    service.create(body, userChange(principal, requestId)),
  ),
  implement(revokeApiKeyRoute, ({ params, principal, requestId }) =>
    service.revoke(params.id, userChange(principal, requestId)),
  ),
]);
