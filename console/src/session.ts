import { isGranted, type Action, type Resource } from '../../shared/auth/permissions';
import { strongestRole, type Role } from '../../shared/auth/roles';

/**
 * The signed-in user: the ID token and what the console reads of its claims. The token is kept in
 * sessionStorage only (gone with the tab), and nothing else is stored: API keys' secrets are shown once and
 * never kept. The console reads claims to hide what a role may not do; the API verifies the token and
 * enforces the same matrix (shared/auth/permissions.ts) on every request.
 */
export interface Session {
  readonly token: string;
  readonly email: string;
  readonly role: Role | null;
  readonly expiresAt: number;
}

const STORAGE_KEY = 'switchyard.session';

function claimsOf(token: string): Record<string, unknown> | null {
  const payload = token.split('.')[1];
  if (payload === undefined) return null;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const claims: unknown = JSON.parse(json);
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function sessionOf(token: string): Session | null {
  const claims = claimsOf(token);
  if (claims === null) return null;
  const groups = Array.isArray(claims['cognito:groups'])
    ? claims['cognito:groups'].filter((g): g is string => typeof g === 'string')
    : [];
  const username = claims['cognito:username'];
  const email =
    typeof claims.email === 'string' ? claims.email : typeof username === 'string' ? username : '';
  const exp = typeof claims.exp === 'number' ? claims.exp * 1000 : 0;
  return { token, email, role: strongestRole(groups), expiresAt: exp };
}

export function loadSession(now = Date.now()): Session | null {
  const token = sessionStorage.getItem(STORAGE_KEY);
  const session = token === null ? null : sessionOf(token);
  return session !== null && session.expiresAt > now ? session : null;
}

export function saveSession(session: Session | null): void {
  if (session === null) sessionStorage.removeItem(STORAGE_KEY);
  else sessionStorage.setItem(STORAGE_KEY, session.token);
}

export function can(session: Session, resource: Resource, action: Action): boolean {
  return isGranted(session.role, { resource, action });
}
