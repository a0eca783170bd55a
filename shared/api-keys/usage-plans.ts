import { createHash } from 'node:crypto';
import type { ApiKeyType } from './schema';

/**
 * Per-key throttling of the SDK routes through API Gateway usage plans, described once for the CDK app
 * (lib/constructs/sdk-usage-plans.ts) and the authorizer (shared/api-keys/authorizer.ts).
 *
 * A usage plan throttles per *API Gateway* API key, and API Gateway keys are deploy-time resources, while
 * Switchyard keys are created at run time (POST /api/v1/api-keys, stored hashed in DynamoDB). Mirroring each
 * Switchyard key into API Gateway would put a control-plane call (CreateApiKey, CreateUsagePlanKey, and their
 * deletion on revocation) on the key routes, with its own failure modes and account quotas. Instead each key
 * type has a fixed set of USAGE_BUCKETS_PER_TYPE API Gateway keys, each in its type's usage plan, and the
 * authorizer answers with the bucket a key hashes to (`usageIdentifierKey`, the API's key source being
 * AUTHORIZER). So the per-key limits of the stage config apply to a bucket: a leaked key can exhaust its own
 * bucket — the keys of its type that share it, about 1/USAGE_BUCKETS_PER_TYPE of them — and never the other
 * buckets, the other type, or the management API.
 *
 * The bucket keys are not credentials: with the AUTHORIZER key source, API Gateway takes a key only from the
 * authorizer's answer, never from a request header, so a caller cannot choose its bucket. Their values are
 * therefore derived (API id, stage, type, bucket) rather than kept secret, and the authorizer needs no
 * environment, secret or API call to name them.
 */
// Each bucket costs two CloudFormation resources (ApiKey, UsagePlanKey) in the API stack, which is near the
// 500-resource limit in dev (CORS preflight methods): 4 buckets isolate a leaked key from 3/4 of its type's keys.
export const USAGE_BUCKETS_PER_TYPE = 4;

/** The API Gateway key value of one bucket (20–128 characters; unique per API and stage, as values must be). */
export function usageBucketKeyValue(
  restApiId: string,
  stageName: string,
  type: ApiKeyType,
  bucket: number,
): string {
  return `switchyard-${restApiId}-${stageName}-${type}-${bucket}`;
}

/** The bucket of a Switchyard key, in [0, USAGE_BUCKETS_PER_TYPE): stable for the key's life. */
export function usageBucket(keyId: string): number {
  return createHash('sha256').update(keyId).digest().readUInt32BE(0) % USAGE_BUCKETS_PER_TYPE;
}

/**
 * The `usageIdentifierKey` for `key` on the API and stage of `methodArn`
 * (`arn:aws:execute-api:<region>:<account>:<api>/<stage>/<method>/<path>`).
 */
export function usageIdentifierKey(
  key: { readonly id: string; readonly type: ApiKeyType },
  methodArn: string,
): string {
  const apiPart = methodArn.split(':')[5];
  const [restApiId, stageName] = apiPart?.split('/') ?? [];
  if (restApiId === undefined || restApiId === '' || stageName === undefined || stageName === '') {
    throw new Error(`Not an execute-api method ARN: ${methodArn}`);
  }
  return usageBucketKeyValue(restApiId, stageName, key.type, usageBucket(key.id));
}
