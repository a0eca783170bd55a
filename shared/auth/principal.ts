import { z } from 'zod';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { parseGroupsClaim, strongestRole, type Role } from './roles';

/** Who is calling: a person signed in through Cognito. (SDK callers with API keys come later.) */
export interface UserPrincipal {
  readonly kind: 'user';
  readonly sub: string;
  readonly username: string;
  readonly email: string | null;
  readonly groups: readonly string[];
  readonly role: Role | null;
}
export type Principal = UserPrincipal;

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
