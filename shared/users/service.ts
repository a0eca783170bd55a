import type { UserPrincipal } from '../auth/principal';
import type { CurrentUser } from './schema';

export function currentUser(principal: UserPrincipal): CurrentUser {
  return {
    sub: principal.sub,
    username: principal.username,
    email: principal.email,
    role: principal.role,
    groups: [...principal.groups],
  };
}
