import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnTable } from 'aws-cdk-lib/aws-dynamodb';
import { SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { stageConfig } from '../../lib/config';
import { SwitchyardFunction, type SwitchyardFunctionProps } from '../../lib/constructs/switchyard-function';
import { SwitchyardTable } from '../../lib/constructs/switchyard-table';
import { SwitchyardStage } from '../../lib/stages/switchyard-stage';
import { TABLES, tableEnvName } from '../../shared/db/tables';
import { EVENTS_ENV } from '../../shared/environment';
import { handlerEntry } from '../../shared/http/routes';
import { awsSolutionsFindings, staleAcknowledgements } from './nag';
import { testApp } from './synth';

const baseProps: SwitchyardFunctionProps = {
  entry: handlerEntry('system'),
  stage: 'test',
  logRetention: RetentionDays.ONE_WEEK,
  logRemovalPolicy: RemovalPolicy.DESTROY,
  logLevel: 'INFO',
};

function envOf(template: Template): Record<string, unknown> {
  const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
  return (fn as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties
    .Environment.Variables;
}

describe('SwitchyardFunction', () => {
  it('has the platform defaults and its own log group with the given retention', () => {
    const stack = new Stack(testApp(), 'Test');
    new SwitchyardFunction(stack, 'Fn', baseProps);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      MemorySize: 512,
      Timeout: 10,
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^FnLogGroup') } },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    expect(envOf(template)).toEqual({
      STAGE: 'test',
      POWERTOOLS_SERVICE_NAME: 'switchyard',
      POWERTOOLS_METRICS_NAMESPACE: 'Switchyard',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    });
    // The role may write its log group and send traces; nothing else, and no AWS managed policy.
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FnLogGroup'), 'Arn'] },
          }),
        ]),
      },
    });
  });

  it('readsTable and writesTable grant through grant* and pass the table name as TABLE_<ID>', () => {
    const stack = new Stack(testApp(), 'Test');
    const config = new SwitchyardTable(stack, 'config', {
      definition: TABLES.config,
      removalPolicy: RemovalPolicy.DESTROY,
      deletionProtection: false,
    });
    const apiKeys = new SwitchyardTable(stack, 'apiKeys', {
      definition: TABLES.apiKeys,
      removalPolicy: RemovalPolicy.DESTROY,
      deletionProtection: false,
    });
    new SwitchyardFunction(stack, 'Fn', baseProps).readsTable(config).writesTable(apiKeys);
    const template = Template.fromStack(stack);
    expect(envOf(template)).toMatchObject({
      [tableEnvName('config')]: { Ref: stack.getLogicalId(config.node.defaultChild as CfnTable) },
      TABLE_API_KEYS: { Ref: stack.getLogicalId(apiKeys.node.defaultChild as CfnTable) },
    });
    const statements = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(statements).toContain('dynamodb:Query');
    expect(statements).toContain('dynamodb:PutItem');
  });

  it('writesEvents grants Kinesis writes and passes EVENTS_STREAM_NAME', () => {
    const app = testApp();
    const stage = new SwitchyardStage(app, 'dev', { config: stageConfig('dev') });
    stage.api.functions.users.writesEvents(stage.stateful.eventsStream);
    const template = Template.fromStack(stage.api);
    const env = Object.values(template.findResources('AWS::Lambda::Function')).map(
      (fn) => (fn as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties,
    );
    expect(env.some((props) => EVENTS_ENV.streamName in props.Environment.Variables)).toBe(true);
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).toContain('kinesis:PutRecords');
  });

  it('keeps cdk-nag clean when grants cross stacks (the index wildcard is acknowledged by its export name)', () => {
    const app = testApp();
    const stage = new SwitchyardStage(app, 'dev', { config: stageConfig('dev') });
    const { users } = stage.api.functions;
    const { tables } = stage.stateful;
    // Tables with indexes (config, audit) and without (rulesets): no finding left, no acknowledgement stale.
    users.readsTable(tables.config).writesTable(tables.audit).readsTable(tables.rulesets);
    users.writesEvents(stage.stateful.eventsStream);
    app.synth();
    expect(awsSolutionsFindings(app)).toEqual([]);
    expect(staleAcknowledgements(app)).toEqual([]);
  });

  it('runs in the isolated subnets with the given security group, and keeps cdk-nag clean', () => {
    const app = testApp();
    const stack = new Stack(app, 'Test');
    const vpc = new Vpc(stack, 'Vpc', {
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: SubnetType.PRIVATE_ISOLATED }],
    });
    const securityGroup = new SecurityGroup(stack, 'Sg', { vpc, description: 'test functions' });
    new SwitchyardFunction(stack, 'Fn', { ...baseProps, vpc, securityGroup, timeout: Duration.seconds(20) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 20,
      VpcConfig: {
        SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Sg'), 'GroupId'] }],
        SubnetIds: Match.arrayWith([{ Ref: Match.stringLikeRegexp('^VpcisolatedSubnet') }]),
      },
    });
    app.synth();
    const findings = awsSolutionsFindings(app).filter((f) => f.path.startsWith('Test/Fn'));
    expect(findings).toEqual([]);
  });

  it.each([
    ['an entry that does not exist', { entry: 'lambdas/nope/handler.ts' }, /entry file .* does not exist/],
    ['a reserved environment variable', { environment: { STAGE: 'x' } }, /environment may not set STAGE/],
    ['memory out of range', { memorySize: 64 }, /memorySize must be an integer between 128 and 10240/],
    ['a timeout over 15 minutes', { timeout: Duration.minutes(16) }, /timeout must be between 1 and 900/],
    ['a security group without a VPC', { securityGroup: {} as never }, /securityGroup needs vpc/],
  ] as const)('refuses %s', (_what, override, message) => {
    const stack = new Stack(testApp(), 'Test');
    expect(() => new SwitchyardFunction(stack, 'Fn', { ...baseProps, ...override })).toThrow(message);
  });
});
