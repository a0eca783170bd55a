import { Stack, type CfnElement } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { STAGE_NAMES, stageConfig } from '../../lib/config';
import { tableEnvName, TABLES, type TableId } from '../../shared/db/tables';
import { SEARCH_ENV } from '../../shared/events/search-index';
import { STREAM_FUNCTIONS } from '../../shared/functions';
import { onlyResource, resourcesOf, stageOf, type SynthesizedStage } from './synth';

/**
 * The event processor's deployment (lib/stacks/api-stack.ts, lib/constructs/background-functions.ts): the
 * function, its Kinesis event source mapping and its role. CloudFormation values are rendered over logical ids
 * (cross-stack imports resolved to the stateful stack's exports): `<id>` is a Ref, `<id.Attr>` a GetAtt, so
 * `<config37BD09B8.Arn>/index/*` is the config table's index ARNs, and every assertion names the exact resource.
 */
const NAME = 'event-processor';

type Statement = {
  Effect: string;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Principal?: unknown;
  Condition?: unknown;
};

/** One action on one resource that an identity policy of the role allows. */
interface Permission {
  readonly action: string;
  readonly resource: string;
}

/** Logical ids of what the event processor touches (and of what it must not). */
interface Ids {
  readonly function: string;
  readonly role: string;
  readonly logGroup: string;
  readonly searchSetup: string;
  readonly tables: Readonly<Record<TableId, string>>;
  readonly stream: string;
  readonly failuresBucket: string;
  readonly domain: string;
  readonly lambdaSecurityGroup: string;
  readonly isolatedSubnets: readonly string[];
}

const TABLE_IDS = Object.keys(TABLES) as TableId[];

function logicalIdOf(construct: IConstruct): string {
  const cfn = construct.node.defaultChild as CfnElement | undefined;
  if (!cfn) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(cfn).getLogicalId(cfn);
}

/** Renders a CloudFormation value as a string, resolving `Fn::ImportValue` through `stateful`'s exports. */
function renderer(stateful: Template): (value: unknown) => string {
  const exported = new Map<string, unknown>();
  const outputs = (
    stateful.toJSON() as { Outputs?: Record<string, { Value: unknown; Export?: { Name: string } }> }
  ).Outputs;
  for (const output of Object.values(outputs ?? {}))
    if (output.Export) exported.set(output.Export.Name, output.Value);

  const render = (value: unknown): string => {
    if (typeof value === 'string') return value;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const entries = Object.entries(value);
      if (entries.length === 1) {
        const [key, arg] = entries[0]!;
        if (key === 'Ref' && typeof arg === 'string') return `<${arg}>`;
        if (key === 'Fn::GetAtt' && Array.isArray(arg) && arg.length === 2) return `<${arg[0]}.${arg[1]}>`;
        if (key === 'Fn::Join' && Array.isArray(arg) && typeof arg[0] === 'string' && Array.isArray(arg[1]))
          return (arg[1] as unknown[]).map(render).join(arg[0]);
        if (key === 'Fn::ImportValue' && typeof arg === 'string') {
          if (!exported.has(arg)) throw new Error(`no stateful export named ${arg}`);
          return render(exported.get(arg));
        }
      }
    }
    throw new Error(`cannot render ${JSON.stringify(value)}`);
  };
  return render;
}

/** Renders every intrinsic inside `value`, keeping its structure and its literal numbers and booleans. */
function renderDeep(value: unknown, render: (value: unknown) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, render));
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) return render(value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderDeep(v, render)]));
  }
  return value;
}

function idsOf({ stage }: SynthesizedStage): Ids {
  const processor = stage.api.background.functions.get(NAME);
  if (!processor) throw new Error(`no background function ${NAME}`);
  return {
    function: logicalIdOf(processor.function),
    role: logicalIdOf(processor.role),
    logGroup: logicalIdOf(processor.logGroup),
    searchSetup: logicalIdOf(stage.api.searchSetup!.resource),
    tables: Object.fromEntries(TABLE_IDS.map((id) => [id, logicalIdOf(stage.stateful.tables[id])])) as Record<
      TableId,
      string
    >,
    stream: logicalIdOf(stage.stateful.eventsStream),
    failuresBucket: logicalIdOf(stage.stateful.failuresBucket),
    domain: logicalIdOf(stage.stateful.searchDomain!),
    lambdaSecurityGroup: logicalIdOf(stage.stateful.lambdaSecurityGroup),
    isolatedSubnets: stage.stateful.vpc.isolatedSubnets.map(logicalIdOf),
  };
}

/** Every action × resource the identity policies attached to `roleId` allow; fails on forms it cannot judge. */
function permissionsOf(api: Template, roleId: string, render: (value: unknown) => string): Permission[] {
  const attached = Object.entries(resourcesOf(api, 'AWS::IAM::Policy')).filter(([, policy]) =>
    (policy.Properties!.Roles as unknown[]).some((role) => render(role) === `<${roleId}>`),
  );
  return attached.flatMap(([policyId, policy]) =>
    (policy.Properties!.PolicyDocument as { Statement: Statement[] }).Statement.flatMap((statement) => {
      if (statement.NotAction !== undefined || statement.NotResource !== undefined)
        throw new Error(`${policyId}: NotAction/NotResource cannot be judged here`);
      if (statement.Effect !== 'Allow')
        throw new Error(`${policyId}: unexpected ${statement.Effect} statement`);
      const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action!];
      const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
      return actions.flatMap((action) =>
        resources.map((resource) => ({ action, resource: render(resource) })),
      );
    }),
  );
}

const arn = (logicalId: string) => `<${logicalId}.Arn>`;
const bulkPath = (ids: Ids) => `${arn(ids.domain)}/_bulk`;
const serviceOf = (action: string) => action.toLowerCase().split(':')[0]!;
const show = (p: Permission) => `${p.action} on ${p.resource}`;
const missing = (permissions: readonly Permission[], required: readonly Permission[]) =>
  required.filter((r) => !permissions.some((p) => p.action === r.action && p.resource === r.resource));

// ---- The rules, as functions returning what breaks them, so the tests below can also show each one fails.

const SEARCH_ACTIONS = ['es:ESHttpPost', 'es:ESHttpPut'];

/** es: POST/PUT on the domain's `_bulk` path and nothing else; nothing else reaches the domain. */
function searchProblems(permissions: readonly Permission[], ids: Ids): string[] {
  const bulk = bulkPath(ids);
  const problems = permissions
    .filter((p) => serviceOf(p.action) === 'es' || p.action === '*' || p.resource.includes(ids.domain))
    .filter((p) => !SEARCH_ACTIONS.includes(p.action) || p.resource !== bulk)
    .map((p) => `search: ${show(p)}`);
  return problems.concat(
    missing(
      permissions,
      SEARCH_ACTIONS.map((action) => ({ action, resource: bulk })),
    ).map((p) => `search: missing ${show(p)}`),
  );
}

/** What DynamoDB classifies as Read (incl. the stream reads CDK's grantReadData adds on the table ARN). */
const DYNAMODB_READS = [
  'dynamodb:BatchGetItem',
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
];

/** Reads on the config table (and its indexes), reads and writes on the analytics table, no other table. */
function tableProblems(permissions: readonly Permission[], ids: Ids): string[] {
  const tableOf = (resource: string): TableId | undefined =>
    TABLE_IDS.find((id) => new RegExp(`^<${ids.tables[id]}\\.(Arn|StreamArn)>(/index/\\*)?$`).test(resource));
  const problems: string[] = [];
  for (const p of permissions) {
    const mentioned = TABLE_IDS.filter((id) => p.resource.includes(ids.tables[id]));
    if (serviceOf(p.action) !== 'dynamodb' && p.action !== '*') {
      if (mentioned.length > 0) problems.push(`tables: ${show(p)}`);
      continue;
    }
    const table = tableOf(p.resource);
    const isRead = DYNAMODB_READS.includes(p.action);
    if (table === 'config' && isRead) continue;
    if (table === 'analytics' && !p.action.includes('*')) continue;
    problems.push(`tables: ${isRead ? '' : 'write '}${show(p)}`);
  }
  const required: Permission[] = [
    { action: 'dynamodb:Query', resource: `${arn(ids.tables.config)}/index/*` },
    { action: 'dynamodb:GetItem', resource: arn(ids.tables.config) },
    { action: 'dynamodb:BatchGetItem', resource: arn(ids.tables.analytics) },
    { action: 'dynamodb:PutItem', resource: arn(ids.tables.analytics) },
    { action: 'dynamodb:UpdateItem', resource: arn(ids.tables.analytics) },
    { action: 'dynamodb:ConditionCheckItem', resource: arn(ids.tables.analytics) },
  ];
  return problems.concat(missing(permissions, required).map((p) => `tables: missing ${show(p)}`));
}

/** What Lambda's Kinesis event source mapping needs: reads only. */
const KINESIS_READS = [
  'kinesis:DescribeStream',
  'kinesis:DescribeStreamSummary',
  'kinesis:DescribeStreamConsumer',
  'kinesis:GetRecords',
  'kinesis:GetShardIterator',
  'kinesis:ListShards',
  'kinesis:ListStreams',
  'kinesis:SubscribeToShard',
];

/** Kinesis reads on the events stream only; nothing else reaches the stream. */
function streamProblems(permissions: readonly Permission[], ids: Ids): string[] {
  const stream = arn(ids.stream);
  const problems = permissions
    .filter((p) => serviceOf(p.action) === 'kinesis' || p.action === '*' || p.resource.includes(ids.stream))
    .filter((p) => !KINESIS_READS.includes(p.action) || p.resource !== stream)
    .map((p) => `stream: ${show(p)}`);
  const required = [
    'kinesis:GetRecords',
    'kinesis:GetShardIterator',
    'kinesis:DescribeStreamSummary',
    'kinesis:ListShards',
  ];
  return problems.concat(
    missing(
      permissions,
      required.map((action) => ({ action, resource: stream })),
    ).map((p) => `stream: missing ${show(p)}`),
  );
}

/**
 * Everything else: its own log group, X-Ray, and the failed batches written whole to the failures bucket (what
 * Lambda needs for an S3 on-failure destination, PutObject and ListBucket; never reading or deleting).
 */
function otherProblems(permissions: readonly Permission[], ids: Ids): string[] {
  const bucket = arn(ids.failuresBucket);
  const allowed: Record<string, { actions: string[]; resource: string }[]> = {
    logs: [{ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resource: arn(ids.logGroup) }],
    // No resource-level permissions for these two.
    xray: [{ actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resource: '*' }],
    s3: [
      {
        actions: ['s3:PutObject'],
        resource: `${bucket}/*`,
      },
      { actions: ['s3:ListBucket'], resource: bucket },
    ],
  };
  const problems = permissions
    .filter((p) => !['es', 'dynamodb', 'kinesis'].includes(serviceOf(p.action)))
    .filter(
      (p) =>
        !(allowed[serviceOf(p.action)] ?? []).some(
          (rule) => rule.actions.includes(p.action) && p.resource === rule.resource,
        ),
    )
    .map((p) => `other: ${show(p)}`);
  return problems.concat(
    missing(permissions, [
      { action: 's3:PutObject', resource: `${bucket}/*` },
      { action: 's3:ListBucket', resource: bucket },
    ]).map((p) => `other: missing ${show(p)}`),
  );
}

const definitions = STREAM_FUNCTIONS.filter((f) => f.function === NAME);

it('shared/functions.ts defines the event processor once, as a consumer of the events stream', () => {
  expect(definitions).toHaveLength(1);
  expect(definitions[0]!.source).toEqual({ kind: 'events' });
  // An accepted event exists nowhere else: retried until it would expire, then kept whole.
  expect(definitions[0]).toMatchObject({ maxAttempts: 'untilExpired', failures: 'records' });
});

/** Stages with a search domain (lib/config.ts footprint): the processor indexes into it from the VPC. */
const SEARCH_STAGES = STAGE_NAMES.filter((name) => stageConfig(name).footprint.searchDomain);

describe.each(STAGE_NAMES.filter((name) => !SEARCH_STAGES.includes(name)))(
  'event processor without a search domain (%s)',
  (name) => {
    const { stage, api } = stageOf(name);
    const processor = stage.api.background.functions.get(NAME)!;
    const fn = resourcesOf(api, 'AWS::Lambda::Function')[logicalIdOf(processor.function)]!;

    it('runs outside the VPC and gets no search endpoint: it writes the aggregates only', () => {
      expect(fn.Properties!.VpcConfig).toBeUndefined();
      const variables = (fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(Object.keys(variables)).not.toContain('OPENSEARCH_URL');
      expect(JSON.stringify(resourcesOf(api, 'AWS::IAM::Policy'))).not.toContain('es:ESHttp');
    });
  },
);

describe.each(SEARCH_STAGES)('event processor deployment (%s)', (name) => {
  const synthesized = stageOf(name);
  const { api, stateful } = synthesized;
  const definition = definitions[0]!;
  const ids = idsOf(synthesized);
  const render = renderer(stateful);
  const apiResources = (api.toJSON() as { Resources: Record<string, { Type: string }> }).Resources;
  const statefulResources = (stateful.toJSON() as { Resources: Record<string, { Type: string }> }).Resources;
  const fn = resourcesOf(api, 'AWS::Lambda::Function')[ids.function]!;
  const permissions = permissionsOf(api, ids.role, render);

  it('resolves the logical ids it checks against to resources of the expected types', () => {
    expect(apiResources[ids.function]?.Type).toBe('AWS::Lambda::Function');
    expect(apiResources[ids.role]?.Type).toBe('AWS::IAM::Role');
    expect(apiResources[ids.logGroup]?.Type).toBe('AWS::Logs::LogGroup');
    expect(apiResources[ids.searchSetup]?.Type).toBe('Custom::SwitchyardSearchSetup');
    for (const id of TABLE_IDS) expect(statefulResources[ids.tables[id]]?.Type).toBe('AWS::DynamoDB::Table');
    expect(new Set(Object.values(ids.tables)).size).toBe(TABLE_IDS.length);
    expect(statefulResources[ids.stream]?.Type).toBe('AWS::Kinesis::Stream');
    expect(statefulResources[ids.failuresBucket]?.Type).toBe('AWS::S3::Bucket');
    expect(statefulResources[ids.domain]?.Type).toBe('AWS::OpenSearchService::Domain');
    expect(statefulResources[ids.lambdaSecurityGroup]?.Type).toBe('AWS::EC2::SecurityGroup');
    expect(ids.isolatedSubnets.length).toBeGreaterThanOrEqual(2);
  });

  it('runs for up to 2 minutes, in the isolated subnets with the Lambda security group', () => {
    const props = fn.Properties!;
    expect(props.Timeout).toBe(120);
    expect(render(props.Role)).toBe(arn(ids.role));
    expect(renderDeep(props.VpcConfig, render)).toEqual({
      SecurityGroupIds: [`<${ids.lambdaSecurityGroup}.GroupId>`],
      SubnetIds: ids.isolatedSubnets.map((id) => `<${id}>`),
    });
    // Our own role: Lambda adds the VPC policy only to roles it creates.
    const role = resourcesOf(api, 'AWS::IAM::Role')[ids.role]!.Properties!;
    expect(renderDeep(role.ManagedPolicyArns, render)).toEqual([
      'arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
    ]);
    expect(role.Policies).toBeUndefined();
  });

  it('finds the search domain (signed), the config table and the analytics table in its environment', () => {
    const env = renderDeep(
      (fn.Properties!.Environment as { Variables: unknown }).Variables,
      render,
    ) as Record<string, string>;
    expect(env[SEARCH_ENV.url]).toBe(`https://<${ids.domain}.DomainEndpoint>`);
    expect(env[SEARCH_ENV.auth]).toBe('aws-sigv4');
    expect(env[tableEnvName('config')]).toBe(`<${ids.tables.config}>`);
    expect(env[tableEnvName('analytics')]).toBe(`<${ids.tables.analytics}>`);
    expect(
      Object.keys(env)
        .filter((key) => key.startsWith('TABLE_'))
        .sort(),
    ).toEqual([tableEnvName('analytics'), tableEnvName('config')].sort());
  });

  it('is mapped as the search writer and deployed (and polls) only after the search setup', () => {
    const setup = onlyResource(api, 'Custom::SwitchyardSearchSetup');
    expect(setup.logicalId).toBe(ids.searchSetup);
    expect(renderDeep(setup.Properties!.WriterRoleArns, render)).toEqual([arn(ids.role)]);
    expect((fn as { DependsOn?: string[] }).DependsOn).toContain(ids.searchSetup);
  });

  it('consumes the events stream through one mapping: STREAM_FUNCTIONS batch, retried until the record expires, bisect, partial failures, failed batches kept whole in S3', () => {
    const mappings = Object.entries(resourcesOf(api, 'AWS::Lambda::EventSourceMapping')).filter(
      ([, mapping]) => render(mapping.Properties!.FunctionName) === `<${ids.function}>`,
    );
    expect(mappings).toHaveLength(1);
    const [, mapping] = mappings[0]!;
    const { Tags: _tags, ...props } = mapping.Properties!;
    expect(renderDeep(props, render)).toEqual({
      FunctionName: `<${ids.function}>`,
      EventSourceArn: arn(ids.stream),
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: definition.batchSize,
      MaximumBatchingWindowInSeconds: 1,
      // No MaximumRetryAttempts: retried until the record is as old as the stream keeps it (Lambda: ≤ 7 days).
      MaximumRecordAgeInSeconds: Math.min(stageConfig(name).kinesisRetention.toSeconds(), 7 * 86_400),
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: arn(ids.failuresBucket) } },
    });
    expect((mapping as { DependsOn?: string[] }).DependsOn).toContain(ids.searchSetup);
  });

  it('has exactly one identity policy, on its own role, and no customer managed policy', () => {
    const attached = Object.values(resourcesOf(api, 'AWS::IAM::Policy')).filter((policy) =>
      (policy.Properties!.Roles as unknown[]).some((role) => render(role) === `<${ids.role}>`),
    );
    expect(attached).toHaveLength(1);
    expect(attached[0]!.Properties!.Roles).toEqual([{ Ref: ids.role }]);
    for (const managed of Object.values(resourcesOf(api, 'AWS::IAM::ManagedPolicy')))
      expect(JSON.stringify(managed.Properties!.Roles ?? [])).not.toContain(`"${ids.role}"`);
  });

  it('may index only through the search domain _bulk path (POST and PUT, no es:*, no other path)', () => {
    expect(searchProblems(permissions, ids)).toEqual([]);
  });

  it('may read the config table, read and write the analytics table, and touch no other table', () => {
    expect(tableProblems(permissions, ids)).toEqual([]);
  });

  it('may read the events stream, and nothing else of Kinesis', () => {
    expect(streamProblems(permissions, ids)).toEqual([]);
  });

  it('may otherwise only write its log group, send traces and write failed batches to the failures bucket', () => {
    expect(otherProblems(permissions, ids)).toEqual([]);
    expect(permissions.filter((p) => p.action.includes('*'))).toEqual([]);
    expect(new Set(permissions.filter((p) => p.resource === '*').map((p) => serviceOf(p.action)))).toEqual(
      new Set(['xray']),
    );
  });
});

describe('the grant rules catch what they are meant to', () => {
  const synthesized = stageOf('staging');
  const ids = idsOf(synthesized);
  const permissions = permissionsOf(synthesized.api, ids.role, renderer(synthesized.stateful));
  const other = '<SomethingElse1234ABCD.Arn>';
  const table = (id: TableId) => arn(ids.tables[id]);

  type Rule = (p: readonly Permission[], ids: Ids) => string[];
  const extras: [string, Rule, Permission][] = [
    ['search', searchProblems, { action: 'es:*', resource: bulkPath(ids) }],
    ['search', searchProblems, { action: 'es:ESHttpGet', resource: bulkPath(ids) }],
    ['search', searchProblems, { action: 'es:ESHttpDelete', resource: bulkPath(ids) }],
    ['search', searchProblems, { action: 'es:ESHttpPost', resource: `${arn(ids.domain)}/*` }],
    [
      'search',
      searchProblems,
      { action: 'es:ESHttpPut', resource: `${arn(ids.domain)}/switchyard-events-*` },
    ],
    ['search', searchProblems, { action: 'es:ESHttpPost', resource: '*' }],
    ['search', searchProblems, { action: 'es:DescribeDomain', resource: arn(ids.domain) }],
    ['search', searchProblems, { action: '*', resource: '*' }],
    ['tables', tableProblems, { action: 'dynamodb:PutItem', resource: table('config') }],
    ['tables', tableProblems, { action: 'dynamodb:UpdateItem', resource: table('config') }],
    ['tables', tableProblems, { action: 'dynamodb:DeleteItem', resource: `${table('config')}/index/*` }],
    ['tables', tableProblems, { action: 'dynamodb:PartiQLUpdate', resource: table('config') }],
    ['tables', tableProblems, { action: 'dynamodb:GetItem', resource: table('audit') }],
    ['tables', tableProblems, { action: 'dynamodb:PutItem', resource: table('audit') }],
    ['tables', tableProblems, { action: 'dynamodb:GetItem', resource: table('apiKeys') }],
    ['tables', tableProblems, { action: 'dynamodb:GetItem', resource: table('rulesets') }],
    ['tables', tableProblems, { action: 'dynamodb:*', resource: table('analytics') }],
    ['tables', tableProblems, { action: 'dynamodb:GetItem', resource: '*' }],
    ['tables', tableProblems, { action: 'dynamodb:Query', resource: other }],
    ['tables', tableProblems, { action: 'kms:Decrypt', resource: table('audit') }],
    ['stream', streamProblems, { action: 'kinesis:PutRecords', resource: arn(ids.stream) }],
    ['stream', streamProblems, { action: 'kinesis:*', resource: arn(ids.stream) }],
    ['stream', streamProblems, { action: 'kinesis:GetRecords', resource: '*' }],
    ['stream', streamProblems, { action: 'kinesis:GetRecords', resource: other }],
    ['other', otherProblems, { action: 's3:GetObject', resource: '*' }],
    ['other', otherProblems, { action: 's3:GetObject', resource: `${arn(ids.failuresBucket)}/*` }],
    ['other', otherProblems, { action: 's3:DeleteObject', resource: `${arn(ids.failuresBucket)}/*` }],
    ['other', otherProblems, { action: 's3:PutObject', resource: other }],
    ['other', otherProblems, { action: 'sqs:SendMessage', resource: other }],
    ['other', otherProblems, { action: 'logs:PutLogEvents', resource: '*' }],
  ];
  it.each(extras.map(([area, rule, extra]) => [area, show(extra), rule, extra] as const))(
    '%s rule refuses an extra %s',
    (_area, _label, rule, extra) => {
      expect(rule(permissions, ids)).toEqual([]);
      expect(rule([...permissions, extra], ids)).toEqual([expect.stringContaining(show(extra))]);
    },
  );

  it.each<[string, string, Rule]>([
    ['search', 'es:ESHttpPost', searchProblems],
    ['search', 'es:ESHttpPut', searchProblems],
    ['tables', 'dynamodb:PutItem', tableProblems],
    ['tables', 'dynamodb:Query', tableProblems],
    ['stream', 'kinesis:GetRecords', streamProblems],
    ['other', 's3:PutObject', otherProblems],
    ['other', 's3:ListBucket', otherProblems],
  ])('%s rule notices a missing %s', (_area, action, rule) => {
    const without = permissions.filter((p) => p.action !== action);
    expect(rule(without, ids)).toEqual([expect.stringMatching(new RegExp(`missing ${action} on`))]);
  });
});
