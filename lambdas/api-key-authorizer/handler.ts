import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { allowPolicy, presentedSecret } from '../../shared/api-keys/authorizer';
import { ApiKeyRepository } from '../../shared/api-keys/repository';
import { ApiKeyVerifier } from '../../shared/api-keys/verifier';
import { createDocumentClient } from '../../shared/aws/clients';
import { functionEnv } from '../../shared/functions';

/**
 * The API-key REQUEST authorizer of the SDK routes (a plain handler: API Gateway expects a policy or the
 * error "Unauthorized", not an HTTP response). API Gateway caches its answer per Authorization header for
 * the results cache TTL, so this runs about once per key per five minutes, not once per request.
 */
const env = functionEnv('api-key-authorizer');
const logger = new Logger({ serviceName: 'switchyard' });
const verifier = new ApiKeyVerifier(new ApiKeyRepository(createDocumentClient(), env.TABLE_API_KEYS));

/** The exact message API Gateway turns into 401 (any other failure is a 500). */
const UNAUTHORIZED = 'Unauthorized';

export const handler = async (
  event: APIGatewayRequestAuthorizerEvent,
  context: Context,
): Promise<APIGatewayAuthorizerResult> => {
  logger.addContext(context);
  const secret = presentedSecret(event.headers);
  // A store failure propagates: the caller gets a 500, not a 401 that would blame a good key.
  const key = secret === null ? null : await verifier.verify(secret);
  if (key === null) {
    logger.info('API key refused', {
      reason: secret === null ? 'no API key presented' : 'unknown, malformed or revoked',
    });
    throw new Error(UNAUTHORIZED);
  }
  try {
    await verifier.touch(key);
  } catch (error) {
    // lastUsedAt is informational: never refuse a valid key because it could not be recorded.
    logger.warn('Could not record the use of an API key', { keyId: key.id, error: error as Error });
  }
  logger.debug('API key accepted', { keyId: key.id, keyType: key.type });
  return allowPolicy(key, event.methodArn);
};
