/** The four Cognito groups, strongest first: a user in several groups gets the first one listed here. */
export const ROLES = ['admin', 'developer', 'analyst', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** The strongest role among the caller's groups, or null when the caller is in none of the four. */
export function strongestRole(groups: readonly string[]): Role | null {
  return ROLES.find((role) => groups.includes(role)) ?? null;
}
