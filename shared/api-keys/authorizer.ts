import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { FUNCTIONS } from '../functions';
import type { ApiKeyType } from './schema';
import { usageIdentifierKey } from './usage-plans';

/**
 * The API-key REQUEST authorizer, described once for the CDK app (lib/constructs/api-key-authorizer.ts) and
 * the local gateway (local/gateway.ts), as the route table describes the routes.
 *
 * Identity source: the `Authorization` header only. With a results cache, API Gateway answers 401 itself,
 * without calling the function, whenever any identity source is missing — so declaring both `Authorization`
 * and `X-API-Key` would make every SDK send both headers, and declaring only one while the function also
 * reads the other would let a cached Allow outlive the header that earned it. SDKs therefore send
 * `Authorization: Bearer sy_…`; a request with only `X-API-Key` is refused by the gateway, in AWS and
 * locally alike. (The function still accepts `X-API-Key` when there is no Authorization header at all,
 * which only matters if the cache is turned off.)
 */
export const API_KEY_AUTHORIZER = {
  entry: FUNCTIONS['api-key-authorizer'].entry,
  /** Request headers API Gateway requires and caches on. */
  identityHeaders: ['Authorization'],
  /**
   * SPEC §2.8: a revoked key stops working within this many seconds. API Gateway reuses an Allow for the same
   * Authorization header this long without calling the function, so this is also the worst-case revocation
   * latency (docs/operations.md).
   */
  resultsCacheSeconds: 300,
} as const;

/** What the authorizer passes on to the integration as `requestContext.authorizer`. */
export interface ApiKeyAuthorizerContext {
  readonly keyId: string;
  readonly keyType: ApiKeyType;
}

function header(headers: Readonly<Record<string, string | undefined>> | null, name: string) {
  if (headers === null) return undefined;
  const lower = name.toLowerCase();
  return Object.entries(headers).find(([key]) => key.toLowerCase() === lower)?.[1];
}

/**
 * The Switchyard secret the caller presents, or null: `Authorization: Bearer sy_…`, else (no Authorization
 * header at all) `X-API-Key: sy_…`. An Authorization header that carries anything else — a Cognito JWT, a
 * Basic credential — is not an API key, and X-API-Key is then not consulted.
 */
export function presentedSecret(headers: Readonly<Record<string, string | undefined>> | null): string | null {
  const authorization = header(headers, 'authorization')?.trim();
  if (authorization !== undefined && authorization !== '') {
    return /^Bearer\s+(sy_\S+)$/i.exec(authorization)?.[1] ?? null;
  }
  const apiKey = header(headers, 'x-api-key')?.trim();
  return apiKey?.startsWith('sy_') ? apiKey : null;
}

/**
 * `arn:aws:execute-api:<region>:<account>:<api>/<stage>/*` from the ARN of the method being called. The
 * cached policy is reused for every method the same identity calls next, so it must allow them all.
 */
export function stageWildcard(methodArn: string): string {
  const [api, stage] = methodArn.split('/');
  if (api === undefined || stage === undefined || stage === '') {
    throw new Error(`Not an execute-api method ARN: ${methodArn}`);
  }
  return `${api}/${stage}/*`;
}

/**
 * The Allow answer for a verified key: every method of the stage, the key's id and type for the integration, and
 * the usage-plan bucket API Gateway throttles it in (shared/api-keys/usage-plans.ts).
 */
export function allowPolicy(
  key: { readonly id: string; readonly type: ApiKeyType },
  methodArn: string,
): APIGatewayAuthorizerResult & { context: ApiKeyAuthorizerContext; usageIdentifierKey: string } {
  return {
    principalId: key.id,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: stageWildcard(methodArn) }],
    },
    context: { keyId: key.id, keyType: key.type },
    usageIdentifierKey: usageIdentifierKey(key, methodArn),
  };
}
