import { Duration } from 'aws-cdk-lib';
import { IdentitySource, RequestAuthorizer } from 'aws-cdk-lib/aws-apigateway';
import { Construct } from 'constructs';
import { API_KEY_AUTHORIZER } from '../../shared/api-keys/authorizer';
import { SwitchyardFunction, type SwitchyardFunctionProps } from './switchyard-function';
import type { SwitchyardTable } from './switchyard-table';

/** SPEC §2.8: a revoked key must stop working within five minutes. */
const MAX_CACHE_TTL = Duration.seconds(API_KEY_AUTHORIZER.resultsCacheSeconds);

export interface ApiKeyAuthorizerProps {
  /** Settings of the authorizer function; its entry is fixed (lambdas/api-key-authorizer/handler.ts). */
  readonly function: Omit<SwitchyardFunctionProps, 'entry' | 'handler'>;
  /** The apiKeys table: the function reads keys by hash and records when they were last used. */
  readonly table: SwitchyardTable;
  /**
   * How long API Gateway reuses an answer for the same Authorization header: also how long a revoked key
   * keeps working. Between 1 second and 5 minutes.
   * @default Duration.minutes(5)
   */
  readonly resultsCacheTtl?: Duration;
}

/**
 * The Lambda REQUEST authorizer of the SDK (`apiKey`) routes: a SwitchyardFunction that may only look keys up
 * and touch their `lastUsedAt`, behind an API Gateway authorizer that caches each answer per Authorization
 * header (the only identity source: see shared/api-keys/authorizer.ts for why not X-API-Key too).
 */
export class ApiKeyAuthorizer extends Construct {
  public readonly handler: SwitchyardFunction;
  public readonly authorizer: RequestAuthorizer;

  constructor(scope: Construct, id: string, props: ApiKeyAuthorizerProps) {
    super(scope, id);
    const ttl = props.resultsCacheTtl ?? MAX_CACHE_TTL;
    if (ttl.toSeconds() < 1 || ttl.toSeconds() > MAX_CACHE_TTL.toSeconds()) {
      throw new Error(
        `${this.node.path}: resultsCacheTtl must be between 1 and ${MAX_CACHE_TTL.toSeconds()} seconds ` +
          `(revocation must take effect within 5 minutes, and 0 would make every identity source optional), got ${ttl.toSeconds()}`,
      );
    }
    this.handler = new SwitchyardFunction(this, 'Handler', {
      ...props.function,
      entry: API_KEY_AUTHORIZER.entry,
    }).verifiesApiKeys(props.table);
    this.authorizer = new RequestAuthorizer(this, 'Authorizer', {
      handler: this.handler.function,
      identitySources: API_KEY_AUTHORIZER.identityHeaders.map((name) => IdentitySource.header(name)),
      resultsCacheTtl: ttl,
    });
  }
}
