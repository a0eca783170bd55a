import { RemovalPolicy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { STAGE_NAMES, stageConfig, validateStageConfig, type StageConfig } from '../../lib/config';
import { SwitchyardStage } from '../../lib/stages/switchyard-stage';
import { API_KEY_TYPES } from '../../shared/api-keys/schema';
import { USAGE_BUCKETS_PER_TYPE } from '../../shared/api-keys/usage-plans';
import { onlyResource, resourcesOf, stageOf, testApp } from './synth';

/** Issue 16, items 5 (abuse) and 6 (operations), as the templates show them. */

type Statement = {
  Sid?: string;
  Action: string | string[];
  Effect: string;
  Principal?: unknown;
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const ref = (logicalId: string) => ({ Ref: logicalId });

describe.each(STAGE_NAMES)('WAF logging (%s)', (name) => {
  const { api, config } = stageOf(name);

  if (!config.firewall.enabled) {
    it('has no web ACL, hence nothing to log', () => {
      api.resourceCountIs('AWS::WAFv2::WebACL', 0);
      api.resourceCountIs('AWS::WAFv2::LoggingConfiguration', 0);
    });
    return;
  }

  const webAcl = onlyResource(api, 'AWS::WAFv2::WebACL');
  const logging = onlyResource(api, 'AWS::WAFv2::LoggingConfiguration');
  const logGroups = resourcesOf(api, 'AWS::Logs::LogGroup');
  const [wafLogGroupId, wafLogGroup] = Object.entries(logGroups).find(([id]) =>
    id.startsWith('FirewallLogs'),
  )!;

  it('logs the web ACL to a CloudWatch Logs group named aws-waf-logs-…, with the stage retention', () => {
    const logGroupName = wafLogGroup.Properties!.LogGroupName as string;
    expect(logGroupName).toMatch(/^aws-waf-logs-[A-Za-z0-9_\-.]+$/);
    expect(logGroupName.length).toBeLessThanOrEqual(512);
    expect(wafLogGroup.Properties!.RetentionInDays).toBe(config.logRetention);
    expect(wafLogGroup.DeletionPolicy).toBe(name === 'prod' ? 'Retain' : 'Delete');
    expect(logging.Properties!.ResourceArn).toEqual({ 'Fn::GetAtt': [webAcl.logicalId, 'Arn'] });
    // The group's ARN without the trailing `:*` (WAF refuses that form).
    const destinations = logging.Properties!.LogDestinationConfigs as unknown[];
    expect(destinations).toHaveLength(1);
    const destination = JSON.stringify(destinations[0]);
    expect(destination).toContain(':log-group:');
    expect(destination).toContain(`{"Ref":"${wafLogGroupId}"}`);
    expect(destination).not.toContain(':*');
    expect(logging.DependsOn).toContain(wafLogGroupId);
  });

  it('redacts the Authorization header (Cognito tokens and API keys) from the logs', () => {
    expect(logging.Properties!.RedactedFields).toEqual([{ SingleHeader: { Name: 'authorization' } }]);
  });
});

describe.each(STAGE_NAMES)('the alarm topic (%s)', (name) => {
  const { api, config } = stageOf(name);
  const topics = resourcesOf(api, 'AWS::SNS::Topic');
  const [topicId, topic] = Object.entries(topics).find(([id]) => id.startsWith('MonitoringAlarmTopic'))!;
  const keys = resourcesOf(api, 'AWS::KMS::Key');
  const [keyId, key] = Object.entries(keys).find(([id]) => id.startsWith('MonitoringAlarmTopicKey'))!;
  const keyStatements = (key.Properties!.KeyPolicy as { Statement: Statement[] }).Statement;

  it('is encrypted with its own customer-managed key, rotated, kept as the stage keeps data', () => {
    expect(topic.Properties!.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(key.Properties!.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe(config.removalPolicy === RemovalPolicy.RETAIN ? 'Retain' : 'Delete');
  });

  it('lets CloudWatch alarms encrypt their notifications with the key, and nothing else', () => {
    const forCloudWatch = keyStatements.filter(
      (s) => JSON.stringify(s.Principal) === JSON.stringify({ Service: 'cloudwatch.amazonaws.com' }),
    );
    expect(forCloudWatch).toHaveLength(1);
    expect(actionsOf(forCloudWatch[0]!).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(forCloudWatch[0]!.Effect).toBe('Allow');
    // Only the account (CDK's default administration statement) and CloudWatch are named.
    const principals = keyStatements.map((s) => JSON.stringify(s.Principal));
    expect(principals.filter((p) => !p.includes('cloudwatch.amazonaws.com'))).toEqual(
      principals.filter((p) => p.includes(':root')),
    );
  });

  it("admits this account's alarms in its policy, over TLS only", () => {
    const policies = Object.values(resourcesOf(api, 'AWS::SNS::TopicPolicy')).filter((p) =>
      JSON.stringify(p.Properties!.Topics).includes(`"${topicId}"`),
    );
    expect(policies).toHaveLength(1);
    const statements = (policies[0]!.Properties!.PolicyDocument as { Statement: Statement[] }).Statement;
    const publish = statements.find((s) => s.Sid === 'AllowCloudWatchAlarmsOfThisAccount')!;
    expect(publish).toMatchObject({
      Action: 'sns:Publish',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Resource: ref(topicId),
    });
    expect(publish.Condition!.StringEquals).toEqual({ 'aws:SourceAccount': ref('AWS::AccountId') });
    expect(JSON.stringify(publish.Condition!.ArnLike)).toContain(':alarm:*');
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('every alarm notifies it', () => {
    const alarms = Object.values(resourcesOf(api, 'AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) expect(alarm.Properties!.AlarmActions).toEqual([ref(topicId)]);
  });
});

describe('alarm subscriptions from the stage config', () => {
  it('subscribes nobody when the stage names no address', () => {
    for (const name of STAGE_NAMES) {
      const alarms = stageConfig(name).alarms;
      expect(alarms.email ?? alarms.emails ?? []).toEqual([]);
    }
    expect(resourcesOf(stageOf('dev').api, 'AWS::SNS::Subscription')).toEqual({});
  });

  it('subscribes each address of `email` and `emails` once, to the alarm topic and the safety topic', () => {
    const base = stageConfig('dev');
    const config: StageConfig = {
      ...base,
      alarms: {
        ...base.alarms,
        email: 'oncall@example.org',
        emails: ['oncall@example.org', 'ops@example.org'],
      },
    };
    validateStageConfig(config);
    const api = Template.fromStack(new SwitchyardStage(testApp(), 'dev', { config }).api);
    const subscriptions = Object.values(resourcesOf(api, 'AWS::SNS::Subscription'));
    const topics = resourcesOf(api, 'AWS::SNS::Topic');
    const alarmTopicId = Object.keys(topics).find((id) => id.startsWith('MonitoringAlarmTopic'))!;
    const safetyTopicId = Object.keys(topics).find((id) => id.startsWith('SafetyNotificationsTopic'))!;
    const endpoints = (topicId: string) =>
      subscriptions
        .filter((s) => JSON.stringify(s.Properties!.TopicArn) === JSON.stringify(ref(topicId)))
        .map((s) => {
          expect(s.Properties!.Protocol).toBe('email');
          return s.Properties!.Endpoint as string;
        })
        .sort();
    expect(endpoints(alarmTopicId)).toEqual(['oncall@example.org', 'ops@example.org']);
    expect(endpoints(safetyTopicId)).toEqual(['oncall@example.org', 'ops@example.org']);
  });

  it('refuses an address that is not one', () => {
    const base = stageConfig('dev');
    expect(() => validateStageConfig({ ...base, alarms: { ...base.alarms, emails: ['oncall'] } })).toThrow(
      /alarms: "oncall" is not an e-mail address/,
    );
  });
});

describe.each(STAGE_NAMES)('per-key throttling of the SDK routes (%s)', (name) => {
  const { api, config } = stageOf(name);
  const restApi = onlyResource(api, 'AWS::ApiGateway::RestApi');
  const stage = onlyResource(api, 'AWS::ApiGateway::Stage');
  const plans = resourcesOf(api, 'AWS::ApiGateway::UsagePlan');
  const apiKeys = resourcesOf(api, 'AWS::ApiGateway::ApiKey');
  const planKeys = Object.values(resourcesOf(api, 'AWS::ApiGateway::UsagePlanKey'));
  const methods = Object.values(resourcesOf(api, 'AWS::ApiGateway::Method'));

  it('takes API keys from the authorizer only, never from an X-API-Key header', () => {
    expect(restApi.Properties!.ApiKeySourceType).toBe('AUTHORIZER');
  });

  it('requires a key on every SDK (custom-authorized) route, and on no other', () => {
    const sdk = methods.filter((m) => m.Properties!.AuthorizationType === 'CUSTOM');
    expect(sdk.length).toBeGreaterThan(0);
    for (const method of methods) {
      expect([method.Properties!.OperationName, method.Properties!.ApiKeyRequired === true]).toEqual([
        method.Properties!.OperationName,
        method.Properties!.AuthorizationType === 'CUSTOM',
      ]);
    }
  });

  it('has one usage plan per key type on the stage, throttled at the per-key limits of the stage config', () => {
    expect(Object.keys(plans)).toHaveLength(API_KEY_TYPES.length);
    for (const type of API_KEY_TYPES) {
      const limits = config.apiKeyThrottle[type];
      const matching = Object.entries(plans).filter(([, plan]) =>
        (plan.Properties!.Description as string).includes(`of ${type} API keys`),
      );
      expect(matching).toHaveLength(1);
      const [planId, plan] = matching[0]!;
      expect(plan.Properties).toMatchObject({
        Throttle: { RateLimit: limits.rateLimit, BurstLimit: limits.burstLimit },
        ApiStages: [{ ApiId: ref(restApi.logicalId), Stage: ref(stage.logicalId) }],
      });
      expect(plan.Properties!.Quota).toBeUndefined();
      // Its buckets: USAGE_BUCKETS_PER_TYPE API keys, `switchyard-<api>-<stage>-<type>-<n>`.
      const keysOfPlan = planKeys
        .filter((k) => JSON.stringify(k.Properties!.UsagePlanId) === JSON.stringify(ref(planId)))
        .map((k) => (k.Properties!.KeyId as { Ref: string }).Ref);
      expect(keysOfPlan).toHaveLength(USAGE_BUCKETS_PER_TYPE);
      const values = keysOfPlan.map((id) => apiKeys[id]!.Properties!.Value);
      expect(values).toEqual(
        Array.from({ length: USAGE_BUCKETS_PER_TYPE }, (_, bucket) => ({
          'Fn::Join': ['', ['switchyard-', ref(restApi.logicalId), `-${name}-${type}-${bucket}`]],
        })),
      );
      for (const id of keysOfPlan) expect(apiKeys[id]!.Properties!.Enabled).toBe(true);
    }
    expect(Object.keys(apiKeys)).toHaveLength(API_KEY_TYPES.length * USAGE_BUCKETS_PER_TYPE);
  });

  it('keeps each key beneath the stage-wide throttle', () => {
    const stageThrottle = (stage.Properties!.MethodSettings as { ThrottlingRateLimit?: number }[])[0]!;
    expect(stageThrottle.ThrottlingRateLimit).toBe(config.apiThrottle.rateLimit);
    for (const type of API_KEY_TYPES) {
      expect(config.apiKeyThrottle[type].rateLimit).toBeLessThanOrEqual(config.apiThrottle.rateLimit);
      expect(config.apiKeyThrottle[type].burstLimit).toBeLessThanOrEqual(config.apiThrottle.burstLimit);
    }
  });

  it('answers a throttled request 429 with Retry-After', () => {
    const throttled = Object.values(resourcesOf(api, 'AWS::ApiGateway::GatewayResponse')).filter(
      (r) => r.Properties!.ResponseType === 'THROTTLED',
    );
    expect(throttled).toHaveLength(1);
    expect(throttled[0]!.Properties).toMatchObject({
      StatusCode: '429',
      ResponseParameters: expect.objectContaining({ 'gatewayresponse.header.Retry-After': "'1'" }),
    });
  });
});

describe('per-key limits in the stage config', () => {
  it('refuses a key limit above the stage limit, or a burst below the rate', () => {
    const base = stageConfig('prod');
    expect(() =>
      validateStageConfig({
        ...base,
        apiKeyThrottle: { ...base.apiKeyThrottle, client: { rateLimit: 5000, burstLimit: 5000 } },
      }),
    ).toThrow(/apiKeyThrottle.client must not exceed the stage's apiThrottle/);
    expect(() =>
      validateStageConfig({
        ...base,
        apiKeyThrottle: { ...base.apiKeyThrottle, server: { rateLimit: 10, burstLimit: 5 } },
      }),
    ).toThrow(/apiKeyThrottle.server: rateLimit must be positive and burstLimit at least rateLimit/);
  });

  it('refuses a reserved concurrency of 0 or a fraction', () => {
    const base = stageConfig('prod');
    expect(() => validateStageConfig({ ...base, reservedConcurrency: { evaluation: 0 } })).toThrow(
      /reservedConcurrency.evaluation must be a whole number of at least 1/,
    );
    expect(() => validateStageConfig({ ...base, reservedConcurrency: { apiKeyAuthorizer: 1.5 } })).toThrow(
      /reservedConcurrency.apiKeyAuthorizer/,
    );
  });
});

describe.each(STAGE_NAMES)('reserved concurrency (%s)', (name) => {
  const { api, config } = stageOf(name);
  const functions = resourcesOf(api, 'AWS::Lambda::Function');
  const reservedOf = (prefix: string) => {
    const matching = Object.entries(functions).filter(([id]) => id.startsWith(prefix));
    expect(matching).toHaveLength(1);
    return matching[0]![1].Properties!.ReservedConcurrentExecutions;
  };

  it('reserves what the stage config says for the authorizer and the evaluation function', () => {
    expect(reservedOf('ApiKeyAuthorizerHandler')).toBe(config.reservedConcurrency.apiKeyAuthorizer);
    expect(reservedOf('EvaluationHandler')).toBe(config.reservedConcurrency.evaluation);
  });

  it('reserves for those two only', () => {
    const reserved = Object.entries(functions)
      .filter(([, fn]) => fn.Properties!.ReservedConcurrentExecutions !== undefined)
      .map(([id]) => id.replace(/Function[0-9A-F]{8}$/, '').replace(/[0-9A-F]{8}$/, ''));
    const expected = [
      ...(config.reservedConcurrency.apiKeyAuthorizer === undefined ? [] : ['ApiKeyAuthorizerHandler']),
      ...(config.reservedConcurrency.evaluation === undefined ? [] : ['EvaluationHandler']),
    ];
    expect(reserved.sort()).toEqual(expected.sort());
  });
});

describe('reserved concurrency per stage', () => {
  it('none in dev (a new account cannot spare it), some in staging, most in prod', () => {
    expect(stageConfig('dev').reservedConcurrency).toEqual({});
    const staging = stageConfig('staging').reservedConcurrency;
    const prod = stageConfig('prod').reservedConcurrency;
    expect(staging.evaluation).toBeGreaterThan(0);
    expect(staging.apiKeyAuthorizer).toBeGreaterThan(0);
    expect(prod.evaluation!).toBeGreaterThan(staging.evaluation!);
    expect(prod.apiKeyAuthorizer!).toBeGreaterThan(staging.apiKeyAuthorizer!);
  });
});
