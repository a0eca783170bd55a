import * as z from 'zod';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { API_KEY_TYPES, type ApiKeyType } from '../api-keys/schema';
import { UnauthorizedError } from '../errors';
import { strongestRole, type Role } from './roles';
import { decodeJwtPayload, groupsOfToken, tokenTimeProblem } from './token';

/** Who is calling a management route: a person signed in through Cognito. */
export interface UserPrincipal {
  readonly kind: 'user';
  readonly sub: string;
  readonly username: string;
  readonly email: string | null;
  readonly groups: readonly string[];
  readonly role: Role | null;
}

/** Who is calling an SDK route: an application, through an API key the REQUEST authorizer accepted. */
export interface ApiKeyPrincipal {
  readonly kind: 'apiKey';
  readonly keyId: string;
  readonly keyType: ApiKeyType;
}

export type Principal = UserPrincipal | ApiKeyPrincipal;

/** What the SDK services need to know about the caller: client keys see only client-side flags (SPEC §2.1). */
export type SdkCaller = Pick<ApiKeyPrincipal, 'keyType'>;

/** The claims API Gateway's Cognito authorizer places in `requestContext.authorizer.claims` (all strings). */
const cognitoClaimsSchema = z.looseObject({
  sub: z.string().min(1),
  jti: z.string().optional(),
  origin_jti: z.string().optional(),
  event_id: z.string().optional(),
});

/** Claims that identify one token: the payload read from the header must carry the verified token's values. */
const TOKEN_IDENTITY_CLAIMS = ['sub', 'jti', 'origin_jti', 'event_id'] as const;

/** The one `Authorization` header of the request, or null when there is none or more than one. */
function authorizationHeader(event: APIGatewayProxyEvent): string | null {
  const multi = event.multiValueHeaders ?? {};
  const values = Object.entries(multi)
    .filter(([name]) => name.toLowerCase() === 'authorization')
    .flatMap(([, v]) => v ?? []);
  if (values.length > 1) return null;
  const single = Object.entries(event.headers ?? {}).filter(
    ([name]) => name.toLowerCase() === 'authorization',
  );
  if (single.length !== 1) return null;
  const value = single[0]![1];
  return value === undefined || value.trim() === '' ? null : value.trim();
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The caller of a Cognito-authorized route, or null when the event carries no verified claims.
 *
 * API Gateway's Cognito authorizer verifies the token in the `Authorization` header (signature, issuer, audience,
 * expiry) and hands the function its claims flattened to strings: `cognito:groups` becomes one string of names
 * joined by commas or spaces, in which a group named `"viewer admin"` cannot be told from two groups. So the
 * principal is read from the token itself (shared/auth/token.ts), once it is shown to be the verified one: the
 * only `Authorization` header of the request, carrying the same subject and token ids as the claims. Then
 * `exp` is required and `iat`/`nbf`/`auth_time` may not be in the future (60 s of skew) — checks the authorizer
 * does not make — and the groups are Cognito's array, each name whole. A token that fails them → 401.
 */
export function userFromEvent(event: APIGatewayProxyEvent, nowMs: number = Date.now()): UserPrincipal | null {
  const parsed = cognitoClaimsSchema.safeParse(event.requestContext.authorizer?.claims);
  if (!parsed.success) return null;
  const claims = parsed.data;
  const header = authorizationHeader(event);
  const payload = header === null ? null : decodeJwtPayload(header.replace(/^Bearer\s+/i, ''));
  if (payload === null) throw new UnauthorizedError('Invalid credentials: one Bearer token is required');
  for (const name of TOKEN_IDENTITY_CLAIMS) {
    const verified = claims[name];
    if (verified !== undefined && payload[name] !== verified) {
      throw new UnauthorizedError('Invalid credentials: the token is not the one the authorizer verified');
    }
  }
  const problem = tokenTimeProblem(payload, Math.floor(nowMs / 1000));
  if (problem !== null) throw new UnauthorizedError(`Invalid credentials: ${problem}`);
  const groups = groupsOfToken(payload);
  return {
    kind: 'user',
    sub: claims.sub,
    username: optionalString(payload['cognito:username']) ?? claims.sub,
    email: optionalString(payload.email) ?? null,
    groups,
    role: strongestRole(groups),
  };
}

/**
 * The context the API-key authorizer returned (shared/api-keys/authorizer.ts), as API Gateway places it in
 * `requestContext.authorizer`: every value a string, next to the `principalId` it adds.
 */
const apiKeyContextSchema = z.looseObject({
  keyId: z.string().min(1),
  keyType: z.enum(API_KEY_TYPES),
});

/** The caller of an API-key route, or null when the event carries no authorizer context. */
export function apiKeyFromEvent(event: APIGatewayProxyEvent): ApiKeyPrincipal | null {
  const parsed = apiKeyContextSchema.safeParse(event.requestContext.authorizer);
  if (!parsed.success) return null;
  return { kind: 'apiKey', keyId: parsed.data.keyId, keyType: parsed.data.keyType };
}
