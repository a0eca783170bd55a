import type { UserPrincipal } from '../../shared/auth/principal';

/** A signed-in admin, as the services' unit tests act. */
export const admin: UserPrincipal = {
  kind: 'user',
  sub: 'admin-1',
  username: 'admin',
  email: null,
  groups: ['admin'],
  role: 'admin',
};
