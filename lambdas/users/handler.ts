import { userChange } from '../../shared/audit/actor';
import { AuditRepository } from '../../shared/audit/repository';
import { createDocumentClient } from '../../shared/aws/clients';
import { functionEnv } from '../../shared/functions';
import { createHttpHandler, implement } from '../../shared/http/handler';
import {
  createUserRoute,
  disableUserRoute,
  enableUserRoute,
  getCurrentUserRoute,
  getUserRoute,
  listUsersRoute,
  setUserRoleRoute,
} from '../../shared/http/routes';
import { currentUser, UsersService } from '../../shared/users/service';
import { userDirectory } from '../../shared/users/wiring';

const env = functionEnv('users');
const users = new UsersService(
  userDirectory(env),
  new AuditRepository(createDocumentClient(), env.TABLE_AUDIT),
);

export const handler = createHttpHandler('users', [
  implement(getCurrentUserRoute, ({ principal }) => currentUser(principal)),
  implement(listUsersRoute, ({ query }) => users.list(query)),
  implement(createUserRoute, ({ body, principal, requestId }) =>
    users.create(body.email, body.role, userChange(principal, requestId)),
  ),
  implement(getUserRoute, ({ params }) => users.get(params.id)),
  implement(setUserRoleRoute, ({ params, body, principal, requestId }) =>
    users.setRole(params.id, body.role, userChange(principal, requestId)),
  ),
  implement(disableUserRoute, ({ params, principal, requestId }) =>
    users.setEnabled(params.id, false, userChange(principal, requestId)),
  ),
  implement(enableUserRoute, ({ params, principal, requestId }) =>
    users.setEnabled(params.id, true, userChange(principal, requestId)),
  ),
]);
