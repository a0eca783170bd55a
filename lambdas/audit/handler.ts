import { AuditRepository } from '../../shared/audit/repository';
import { AuditService } from '../../shared/audit/service';
import { createDocumentClient } from '../../shared/aws/clients';
import { functionEnv } from '../../shared/functions';
import { createHttpHandler, implement } from '../../shared/http/handler';
import { HttpResponse } from '../../shared/http/response';
import { exportAuditRoute, listAuditRoute } from '../../shared/http/routes';

const env = functionEnv('audit');
const audit = new AuditService(new AuditRepository(createDocumentClient(), env.TABLE_AUDIT));

export const handler = createHttpHandler('audit', [
  implement(listAuditRoute, ({ query }) => audit.list(query)),
  implement(exportAuditRoute, async ({ query }) =>
    HttpResponse.text(200, await audit.exportNdjson(query), 'application/x-ndjson', {
      'content-disposition': 'attachment; filename="switchyard-audit.ndjson"',
    }),
  ),
]);
