import * as fs from 'node:fs';
import * as path from 'node:path';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SecurityGroup, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Role } from 'aws-cdk-lib/aws-iam';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Domain } from 'aws-cdk-lib/aws-opensearchservice';
import { DASHBOARDS_BUNDLE, SearchSetup } from '../../lib/constructs/search-setup';
import { FUNCTIONS } from '../../shared/functions';
import { SwitchyardFunction, type SwitchyardFunctionProps } from '../../lib/constructs/switchyard-function';
import { eventsIndexTemplate, eventsRetentionPolicy } from '../../shared/events/search-index';
import { onlyResource, resourcesOf, stageOf, testApp } from './synth';

const BUNDLE = fs.readFileSync(path.join(__dirname, '../..', DASHBOARDS_BUNDLE), 'utf8');

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

function statementsOf(template: Template, policyPrefix: RegExp): Statement[] {
  return Object.entries(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter(([id]) => policyPrefix.test(id))
    .flatMap(([, policy]) => (policy.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);
}

// dev builds no search domain (lib/config.ts footprint): staging is the smaller stage that has one.
describe.each(['staging', 'prod'] as const)('search setup custom resource (%s)', (name) => {
  const { api, stateful, config } = stageOf(name);
  const resource = onlyResource(api, 'Custom::SwitchyardSearchSetup');
  const props = resource.Properties!;

  it('carries the index template, the stage retention and the Dashboards bundle as its properties', () => {
    expect(JSON.parse(props.IndexTemplate as string)).toEqual(
      eventsIndexTemplate({ replicas: config.search.dataNodes > 1 ? 1 : 0 }),
    );
    expect(JSON.parse(props.RetentionPolicy as string)).toEqual(
      eventsRetentionPolicy(config.search.eventRetentionDays),
    );
    expect(props.Dashboards).toBe(BUNDLE);
    expect(JSON.stringify(props.DomainUrl)).toMatch(/https:\/\/.*SearchDomain/);
    expect(JSON.stringify(props.AdminRoleArn)).toMatch(/SearchAdminRole/);
    // Far inside CloudFormation's template limits (1 MB via S3); the 4 KB limit is the response's.
    expect(JSON.stringify(props).length).toBeLessThan(20_000);
  });

  it('runs its handler in the VPC with the Lambda security group, allowed to assume the admin role only', () => {
    const functions = resourcesOf(api, 'AWS::Lambda::Function');
    const [handlerId, handler] = Object.entries(functions).find(([id]) =>
      id.startsWith('SearchSetupHandler'),
    )!;
    expect(handler.Properties!.Timeout).toBe(300);
    expect(JSON.stringify(handler.Properties!.VpcConfig)).toMatch(/LambdaSecurityGroup/);

    const statements = statementsOf(api, /^SearchSetupHandlerServiceRoleDefaultPolicy/);
    const assume = statements.filter((s) => actionsOf(s).includes('sts:AssumeRole'));
    expect(assume).toHaveLength(1);
    expect(JSON.stringify(assume[0]!.Resource)).toMatch(/SearchAdminRole/);
    // It reaches the domain as the admin role, never with its own identity.
    expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('es:'))).toEqual([]);

    // The provider framework's function may invoke this handler and nothing else.
    const invokes = Object.entries(resourcesOf(api, 'AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('SearchSetupProvider'))
      .flatMap(([, p]) => (p.Properties!.PolicyDocument as { Statement: Statement[] }).Statement)
      .filter((s) => actionsOf(s).includes('lambda:InvokeFunction'));
    expect(invokes.length).toBeGreaterThan(0);
    for (const statement of invokes) expect(JSON.stringify(statement.Resource)).toContain(handlerId);
  });

  it('has an STS endpoint in the VPC, through which the handler assumes the role', () => {
    stateful.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface',
      ServiceName: Match.objectLike({
        'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('\\.sts$')])],
      }),
      PrivateDnsEnabled: true,
    });
  });
});

describe('SearchSetup.bindIndexer', () => {
  const functionProps: Omit<SwitchyardFunctionProps, 'entry'> = {
    stage: 'test',
    logRetention: RetentionDays.ONE_WEEK,
    logRemovalPolicy: RemovalPolicy.DESTROY,
    logLevel: 'INFO',
  };

  function build(options: { inVpc?: boolean } = {}) {
    const stack = new Stack(testApp(), 'Test');
    const vpc = new Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
    const securityGroup = new SecurityGroup(stack, 'Functions', { vpc });
    const domain = Domain.fromDomainEndpoint(
      stack,
      'Domain',
      'https://vpc-search-abc.eu-west-1.es.amazonaws.com',
    );
    const search = new SearchSetup(stack, 'Search', {
      function: functionProps,
      vpc,
      securityGroup,
      domain,
      adminRole: Role.fromRoleArn(stack, 'Admin', 'arn:aws:iam::123456789012:role/search-admin'),
      eventRetentionDays: 3,
      replicas: 0,
      logRetention: RetentionDays.ONE_WEEK,
      logRemovalPolicy: RemovalPolicy.DESTROY,
    });
    const processor = new SwitchyardFunction(stack, 'Processor', {
      ...functionProps,
      entry: FUNCTIONS['event-processor'].entry,
      ...(options.inVpc === false ? {} : { vpc, securityGroup }),
    });
    return { stack, search, processor };
  }

  it('grants _bulk only, passes the signed endpoint, maps the role as a writer and deploys after the setup', () => {
    const { stack, search, processor } = build();
    search.bindIndexer(processor);
    const template = Template.fromStack(stack);

    const statements = statementsOf(template, /^ProcessorServiceRoleDefaultPolicy/).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('es:')),
    );
    expect(statements).toHaveLength(1);
    expect(actionsOf(statements[0]!).sort()).toEqual(['es:ESHttpPost', 'es:ESHttpPut']);
    // The domain ARN plus `/_bulk`: no index path, no wildcard.
    expect(JSON.stringify(statements[0]!.Resource)).toMatch(/:domain\/vpc-search\/_bulk"\]\]\}$/);

    const [, fn] = Object.entries(resourcesOf(template, 'AWS::Lambda::Function')).find(([id]) =>
      id.startsWith('ProcessorFunction'),
    )!;
    expect((fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
      OPENSEARCH_URL: 'https://vpc-search-abc.eu-west-1.es.amazonaws.com',
      OPENSEARCH_AUTH: 'aws-sigv4',
    });
    const setup = onlyResource(template, 'Custom::SwitchyardSearchSetup');
    expect(fn.DependsOn).toContain(setup.logicalId);
    expect(JSON.stringify(setup.Properties!.WriterRoleArns)).toMatch(/ProcessorServiceRole/);
    expect(JSON.parse(setup.Properties!.RetentionPolicy as string)).toEqual(eventsRetentionPolicy(3));
  });

  it('leaves the writer list empty until a function indexes events', () => {
    const { stack } = build();
    const setup = onlyResource(Template.fromStack(stack), 'Custom::SwitchyardSearchSetup');
    expect(setup.Properties!.WriterRoleArns).toEqual([]);
  });

  it('refuses a function outside the VPC (the domain is VPC-only)', () => {
    const { search, processor } = build({ inVpc: false });
    expect(() => search.bindIndexer(processor)).toThrow(/needs a function in the VPC/);
  });
});
