import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { STAGE_NAMES, stageConfig } from '../../lib/config';
import { ApiKeyAuthorizer } from '../../lib/constructs/api-key-authorizer';
import { SwitchyardTable } from '../../lib/constructs/switchyard-table';
import { SwitchyardStage } from '../../lib/stages/switchyard-stage';
import { TABLES } from '../../shared/db/tables';
import { ROUTES, type RouteDefinition } from '../../shared/http/routes';
import { awsSolutionsFindings, staleAcknowledgements } from './nag';
import { resourcesOf, synthesizeStage, testApp } from './synth';

/** No SDK route exists yet (the evaluation API brings them): a stand-in makes the stack build the authorizer. */
const sdkRoute: RouteDefinition = {
  operationId: 'sdkProbe',
  method: 'POST',
  path: '/api/v1/sdk-probe',
  handler: 'system',
  auth: 'apiKey',
  permission: 'public',
  summary: 'A route that needs an API key (test only)',
  tag: 'sdk',
};
const routes = [...ROUTES.filter((r) => r.auth !== 'apiKey'), sdkRoute];

type Statement = { Action: string | string[]; Effect: string; Resource: unknown; Condition?: unknown };
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const API_KEYS_TABLE = /GetAttapiKeys[0-9A-F]+Arn/;

describe.each(STAGE_NAMES)('the API-key authorizer (%s)', (name) => {
  const { api } = synthesizeStage(name, { routes });
  const functions = resourcesOf(api, 'AWS::Lambda::Function');
  const [authorizerFnId, authorizerFn] = Object.entries(functions).find(([id]) =>
    id.startsWith('ApiKeyAuthorizerHandler'),
  )!;
  const requestAuthorizers = Object.entries(resourcesOf(api, 'AWS::ApiGateway::Authorizer')).filter(
    ([, a]) => a.Properties?.Type === 'REQUEST',
  );

  it('is a REQUEST authorizer on the Authorization header, caching answers for 300 s, backed by its function', () => {
    expect(requestAuthorizers).toHaveLength(1);
    const [, authorizer] = requestAuthorizers[0]!;
    expect(authorizer.Properties).toMatchObject({
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 300,
    });
    expect(JSON.stringify(authorizer.Properties!.AuthorizerUri)).toContain(`"${authorizerFnId}"`);
  });

  it('guards the SDK routes, and only them', () => {
    const [authorizerId] = requestAuthorizers[0]!;
    const guarded = Object.values(resourcesOf(api, 'AWS::ApiGateway::Method')).filter(
      (m) => JSON.stringify(m.Properties!.AuthorizerId) === JSON.stringify({ Ref: authorizerId }),
    );
    expect(guarded).toHaveLength(1);
    expect(guarded[0]!.Properties).toMatchObject({ AuthorizationType: 'CUSTOM', OperationName: 'sdkProbe' });
  });

  it('may be invoked by API Gateway for this API only', () => {
    const permissions = Object.values(resourcesOf(api, 'AWS::Lambda::Permission')).filter((p) =>
      JSON.stringify(p.Properties!.FunctionName).includes(`"${authorizerFnId}"`),
    );
    expect(permissions).toHaveLength(1);
    expect(permissions[0]!.Properties).toMatchObject({
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
    });
    expect(JSON.stringify(permissions[0]!.Properties!.SourceArn)).toContain('/authorizers/');
  });

  it('runs outside the VPC and finds only the apiKeys table in its environment', () => {
    expect(authorizerFn.Properties!.VpcConfig).toBeUndefined();
    const env = (authorizerFn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(env).filter((k) => k.startsWith('TABLE_'))).toEqual(['TABLE_API_KEYS']);
  });

  it('may GetItem a key and UpdateItem nothing but lastUsedAt, on the table itself (not its index), and nothing else', () => {
    const statements = Object.entries(resourcesOf(api, 'AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('ApiKeyAuthorizerHandler'))
      .flatMap(([, p]) => (p.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);
    const data = statements.filter((s) => actionsOf(s).some((a) => !/^(logs|xray):/.test(a)));
    expect(data.map((s) => actionsOf(s))).toEqual([['dynamodb:GetItem'], ['dynamodb:UpdateItem']]);
    for (const statement of data) {
      expect(JSON.stringify(statement.Resource)).toMatch(API_KEYS_TABLE);
      expect(JSON.stringify(statement.Resource)).not.toContain('/index/');
      expect(statement.Effect).toBe('Allow');
    }
    expect(data[0]!.Condition).toBeUndefined();
    expect(data[1]!.Condition).toEqual({
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'lastUsedAt'] },
    });
  });

  it('is watched by the error and throttle alarms like every function', () => {
    const alarmsOnIt = Object.values(resourcesOf(api, 'AWS::CloudWatch::Alarm')).filter((a) =>
      JSON.stringify(a.Properties!.Dimensions ?? []).includes(`"${authorizerFnId}"`),
    );
    const expected = stageConfig(name).footprint.throttleAlarms ? ['Errors', 'Throttles'] : ['Errors'];
    expect(alarmsOnIt.map((a) => a.Properties!.MetricName).sort()).toEqual(expected);
  });
});

describe.each(STAGE_NAMES)('cdk-nag with an SDK route (%s)', (name) => {
  it('reports nothing unacknowledged and no stale acknowledgement', () => {
    const app = testApp();
    new SwitchyardStage(app, name, { config: stageConfig(name), routes });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
    expect(awsSolutionsFindings(app)).toEqual([]);
    expect(staleAcknowledgements(app)).toEqual([]);
  });
});

describe('ApiKeyAuthorizer', () => {
  const build = (resultsCacheTtl?: Duration) => {
    const stack = new Stack(testApp(), 'Test');
    const table = new SwitchyardTable(stack, 'apiKeys', {
      definition: TABLES.apiKeys,
      removalPolicy: RemovalPolicy.DESTROY,
      deletionProtection: false,
    });
    return new ApiKeyAuthorizer(stack, 'ApiKeyAuthorizer', {
      function: {
        stage: 'test',
        logRetention: RetentionDays.ONE_DAY,
        logRemovalPolicy: RemovalPolicy.DESTROY,
        logLevel: 'INFO',
      },
      table,
      resultsCacheTtl,
    });
  };

  it.each([
    ['0 s (no cache: every identity source would become optional)', Duration.seconds(0)],
    ['more than 5 minutes (SPEC: revocation within 5 minutes)', Duration.seconds(301)],
  ])('refuses a results cache TTL of %s', (_what, ttl) => {
    expect(() => build(ttl)).toThrow(/resultsCacheTtl must be between 1 and 300 seconds/);
  });

  it('accepts a shorter TTL', () => {
    expect(() => build(Duration.minutes(1))).not.toThrow();
  });

  it('refuses another table than apiKeys', () => {
    const stack = new Stack(testApp(), 'Test');
    const audit = new SwitchyardTable(stack, 'audit', {
      definition: TABLES.audit,
      removalPolicy: RemovalPolicy.DESTROY,
      deletionProtection: false,
    });
    expect(
      () =>
        new ApiKeyAuthorizer(stack, 'A', {
          function: {
            stage: 'test',
            logRetention: RetentionDays.ONE_DAY,
            logRemovalPolicy: RemovalPolicy.DESTROY,
            logLevel: 'INFO',
          },
          table: audit,
        }),
    ).toThrow('verifiesApiKeys needs the apiKeys table, got audit');
  });
});
