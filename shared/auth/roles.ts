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

/**
 * `cognito:groups` arrives as a JSON array in a raw token, but API Gateway's Cognito authorizer hands it
 * to the Lambda as a string ("admin,developer" or "[admin developer]"). Accept all three shapes.
 */
export function parseGroupsClaim(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.filter((g): g is string => typeof g === 'string');
  if (typeof claim !== 'string') return [];
  return claim
    .replace(/^\[|\]$/g, '')
    .split(/[,\s]+/)
    .map((g) => g.trim())
    .filter((g) => g.length > 0);
}
