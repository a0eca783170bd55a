import { ApiKey, UsagePlan, type RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Construct } from 'constructs';
import { API_KEY_TYPES, type ApiKeyType } from '../../shared/api-keys/schema';
import { USAGE_BUCKETS_PER_TYPE, usageBucketKeyValue } from '../../shared/api-keys/usage-plans';
import type { ApiKeyThrottleConfig } from '../config';

export interface SdkUsagePlansProps {
  /** The API whose deployment stage the plans throttle; its key source must be AUTHORIZER. */
  readonly restApi: RestApi;
  /** The deployment stage's name, as in the method ARNs the authorizer receives. */
  readonly stageName: string;
  /** Steady rate and burst of one usage bucket (one key, unless it shares the bucket), per key type. */
  readonly throttle: ApiKeyThrottleConfig;
}

/**
 * Per-key throttling of the SDK routes: one usage plan per Switchyard key type, each holding
 * USAGE_BUCKETS_PER_TYPE API Gateway keys (the buckets). The API-key authorizer answers with the bucket a
 * Switchyard key hashes to (`usageIdentifierKey`), so API Gateway throttles each bucket at the plan's limits and
 * answers 429 (THROTTLED, with Retry-After) beyond them. Why buckets rather than one API Gateway key per Switchyard
 * key: shared/api-keys/usage-plans.ts.
 */
export class SdkUsagePlans extends Construct {
  public readonly plans: Readonly<Record<ApiKeyType, UsagePlan>>;

  constructor(scope: Construct, id: string, props: SdkUsagePlansProps) {
    super(scope, id);
    const plans = {} as Record<ApiKeyType, UsagePlan>;
    for (const type of API_KEY_TYPES) {
      const { rateLimit, burstLimit } = props.throttle[type];
      const plan = new UsagePlan(this, `${pascal(type)}Keys`, {
        description: `Switchyard ${props.stageName}: per-key limits of ${type} API keys (${rateLimit}/s, burst ${burstLimit})`,
        apiStages: [{ api: props.restApi, stage: props.restApi.deploymentStage }],
        throttle: { rateLimit, burstLimit },
      });
      for (let bucket = 0; bucket < USAGE_BUCKETS_PER_TYPE; bucket++) {
        const key = new ApiKey(this, `${pascal(type)}Bucket${bucket}`, {
          description: `Usage bucket ${bucket} of Switchyard ${type} keys: named by the API-key authorizer, not a credential`,
          value: usageBucketKeyValue(props.restApi.restApiId, props.stageName, type, bucket),
          enabled: true,
        });
        plan.addApiKey(key);
      }
      plans[type] = plan;
    }
    this.plans = plans;
  }
}

function pascal(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}
