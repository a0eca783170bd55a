import { z } from 'zod';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { API_KEY_TYPES, type ApiKeyType } from '../api-keys/schema';
import { parseGroupsClaim, strongestRole, type Role } from './roles';

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

/** The claims API Gateway's Cognito authorizer places in `requestContext.authorizer.claims`. */
const cognitoClaimsSchema = z.looseObject({
  sub: z.string().min(1),
  'cognito:username': z.string().optional(),
  email: z.string().optional(),
  'cognito:groups': z.unknown().optional(),
});

/** The caller of a Cognito-authorized route, or null when the event carries no verified claims. */
export function userFromEvent(event: APIGatewayProxyEvent): UserPrincipal | null {
  const parsed = cognitoClaimsSchema.safeParse(event.requestContext.authorizer?.claims);
  if (!parsed.success) return null;
  const claims = parsed.data;
  const groups = parseGroupsClaim(claims['cognito:groups']);
  return {
    kind: 'user',
    sub: claims.sub,
    username: claims['cognito:username'] ?? claims.sub,
    email: claims.email ?? null,
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
