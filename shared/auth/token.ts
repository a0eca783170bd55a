/**
 * What Switchyard requires of a Cognito ID token beyond its signature, issuer, audience and use (which the
 * verifier checks: API Gateway's Cognito authorizer in AWS, aws-jwt-verify on the local platform), checked in
 * both places with this one code:
 *
 * - `exp` is required (a token without one would never expire) and must not have passed — no leeway, as
 *   API Gateway's Cognito authorizer and aws-jwt-verify by default: a token is not used past its expiry;
 * - `iat`, `nbf` and `auth_time`, when present, must be numbers no later than now — each within
 *   {@link CLOCK_SKEW_SECONDS} of clock skew (the issuer's clock may run ahead of ours);
 * - the groups come from `cognito:groups` as Cognito issues it, an array of names, never split: a group named
 *   `"viewer admin"` or `"viewer,admin"` is that one group and grants no role.
 */
export const CLOCK_SKEW_SECONDS = 60;

/** The payload of a compact JWS, or null when it is not one. Never a verification: only for a verified token. */
export function decodeJwtPayload(token: string): Record<string, unknown> | null {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined || parts[1] === '') return null;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload)
      ? (payload as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

const TIME_CLAIMS_NOT_AFTER_NOW = ['iat', 'nbf', 'auth_time'] as const;

/**
 * Why the token's times make it unusable at `nowSeconds`, or null when they do not: no `exp`, an `exp` passed,
 * or an `iat`/`nbf`/`auth_time` in the future (each with {@link CLOCK_SKEW_SECONDS} of skew; `exp` with none).
 */
export function tokenTimeProblem(
  payload: Readonly<Record<string, unknown>>,
  nowSeconds: number,
  skewSeconds: number = CLOCK_SKEW_SECONDS,
): string | null {
  const exp = payload.exp;
  if (exp === undefined) return 'the token has no exp';
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return 'exp is not a number';
  if (exp < nowSeconds) return 'the token has expired';
  for (const claim of TIME_CLAIMS_NOT_AFTER_NOW) {
    const value = payload[claim];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) return `${claim} is not a number`;
    if (value - skewSeconds > nowSeconds) return `${claim} is in the future`;
  }
  return null;
}

/**
 * The caller's groups from `cognito:groups` as Cognito issues it: an array of group names, each taken whole.
 * Anything else (a string, a number) gives no group, so no role.
 */
export function groupsOfToken(payload: Readonly<Record<string, unknown>>): string[] {
  const claim = payload['cognito:groups'];
  if (!Array.isArray(claim)) return [];
  return claim.filter((g): g is string => typeof g === 'string' && g.length > 0);
}
