import { createHttpHandler, implement } from '../../shared/http/handler';
import { getCurrentUserRoute } from '../../shared/http/routes';
import { currentUser } from '../../shared/users/service';

export const handler = createHttpHandler('users', [
  implement(getCurrentUserRoute, ({ principal }) => currentUser(principal)),
]);
