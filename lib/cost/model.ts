import { PRICES, PRICES_AS_OF, SECONDS_PER_MONTH, monthly, type Price } from './prices';

/**
 * The cost model: prices a stage from its synthesized CloudFormation templates (plain JSON; no CDK here) at the
 * list prices of lib/cost/prices.ts. Two halves:
 *
 * - **fixed**: what bills by the hour or the month whether or not anyone calls the API (endpoints, search nodes,
 *   shards, the cache minimum, alarms, dashboards, keys, web ACLs, secrets, the scheduled jobs' invocations);
 * - **usage**: the per-request paths (remote evaluation, assignment, event ingestion and processing, ruleset
 *   polling for local evaluation) for a traffic profile, from the memory and architecture the templates give
 *   the functions on those paths and the durations in ASSUMPTIONS.
 *
 * Every resource is accounted for: priced, known to cost nothing at idle (with the reason), or listed as
 * unpriced — an unknown type is never dropped silently.
 */

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
}

export interface CfnTemplate {
  readonly Resources?: Readonly<Record<string, CfnResource>>;
}

export interface CostInput {
  readonly stage: string;
  readonly templates: readonly CfnTemplate[];
  /** Logical IDs of the functions on the per-request paths. */
  readonly paths: {
    readonly evaluation: string;
    readonly events: string;
    readonly eventProcessor: string;
    readonly authorizer?: string;
  };
}

/** Monthly traffic. */
export interface TrafficProfile {
  /** Remote flag evaluations (one API request each). */
  readonly evaluations: number;
  /** Experiment assignments (one API request and one exposure event each). */
  readonly assignments: number;
  /** Events sent by SDKs (batched onto POST /events). */
  readonly events: number;
  /** Console users signing in during the month (Cognito MAU). */
  readonly users: number;
  /** SDK instances evaluating locally (each polls the ruleset). */
  readonly localSdkInstances: number;
}

export const IDLE: TrafficProfile = {
  evaluations: 0,
  assignments: 0,
  events: 0,
  users: 0,
  localSdkInstances: 0,
};

/**
 * What the templates cannot say, stated once. Durations are warm invocations measured on the order of the local
 * benchmarks (bench/), rounded up; change them here and the README's table with `npm run cost`.
 */
export const ASSUMPTIONS = {
  evaluationMs: 30,
  /** A ruleset poll answered 304 (ETag unchanged) from the L1 copy. */
  rulesetPollMs: 10,
  eventsIngestMs: 40,
  eventsPerIngestRequest: 10,
  /** One event-processor invocation: reads unit states, one or a few transactions, a `_bulk`. */
  processorMsPerBatch: 500,
  eventsPerProcessorBatch: 100,
  authorizerMs: 20,
  /** The API-key authorizer's results are cached 5 minutes per key: 1 % of requests is a generous miss rate. */
  authorizerInvocationsPerRequest: 0.01,
  scheduledJobMs: 300,
  /** X-Ray default sampling: 1 request a second, then 5 % (a scheduled job, at most once a minute, is always traced). */
  tracedShare: 0.05,
  /** START, END, REPORT and one structured line. */
  logBytesPerInvocation: 500,
  accessLogBytesPerRequest: 400,
  eventBytes: 1024,
  /** Per event: its unit state read (strongly consistent, 1 RRU) and written in a transaction (2 WRU). */
  readUnitsPerEvent: 1,
  writeUnitsPerEvent: 2,
  sdkPollIntervalSeconds: 30,
} as const;

export interface CostLine {
  readonly category: string;
  readonly item: string;
  /** Template resources this line prices (0 for a usage line that is not one resource's). */
  readonly resources: number;
  readonly quantity: string;
  readonly usdPerMonth: number;
}

export interface UnpricedResource {
  readonly logicalId: string;
  readonly type: string;
  readonly reason: string;
}

export interface CostReport {
  readonly stage: string;
  readonly pricesAsOf: string;
  readonly profile: TrafficProfile;
  readonly fixed: readonly CostLine[];
  readonly fixedTotal: number;
  readonly usage: readonly CostLine[];
  readonly usageTotal: number;
  readonly total: number;
  /** Marginal cost per million, at the stage's settings. */
  readonly perMillion: {
    readonly remoteEvaluations: number;
    /** Local evaluation: no request per evaluation; its cost is the polling below. */
    readonly localEvaluations: number;
    readonly assignments: number;
    readonly events: number;
  };
  /** What one SDK instance evaluating locally costs a month (ruleset polling). */
  readonly localSdkInstancePerMonth: number;
  /** The events stream at this profile in each capacity mode. */
  readonly kinesis: {
    readonly mode: 'provisioned' | 'on-demand';
    readonly provisionedPerMonth: number;
    readonly onDemandPerMonth: number;
  };
  /** Priced resources by type (fixed costs), for checking against the template. */
  readonly pricedResources: Readonly<Record<string, number>>;
  readonly unpriced: readonly UnpricedResource[];
}

/** Types that cost nothing by themselves, or only per use (priced in the usage half). */
const NO_FIXED_COST: Readonly<Record<string, string>> = {
  'AWS::ApiGateway::Account': 'no charge',
  'AWS::ApiGateway::Authorizer': 'per use: the authorizer function (usage)',
  'AWS::ApiGateway::Deployment': 'no charge',
  'AWS::ApiGateway::GatewayResponse': 'no charge',
  'AWS::ApiGateway::Method': 'no charge',
  'AWS::ApiGateway::RequestValidator': 'no charge',
  'AWS::ApiGateway::Resource': 'no charge',
  'AWS::ApiGateway::RestApi': 'per request (usage)',
  'AWS::ApiGateway::Stage': 'per request (usage); access logs per GB',
  'AWS::ApiGateway::UsagePlan': 'no charge',
  'AWS::ApiGateway::UsagePlanKey': 'no charge',
  'AWS::ApiGateway::ApiKey': 'no charge',
  'AWS::Cognito::UserPool': 'per monthly active user (usage)',
  'AWS::Cognito::UserPoolClient': 'no charge',
  'AWS::Cognito::UserPoolGroup': 'no charge',
  'AWS::Cognito::UserPoolDomain': 'no charge (hosted UI sign-ins count as monthly active users)',
  'AWS::CloudFront::Distribution':
    'per request and GB out (usage; a console stays within the always-free 1 TB and 10 M requests a month)',
  'AWS::CloudFront::Function': 'per invocation (usage; 2 M a month free)',
  'AWS::CloudFront::OriginAccessControl': 'no charge',
  'AWS::CloudFront::ResponseHeadersPolicy': 'no charge',
  'AWS::Lambda::LayerVersion': 'no charge (the AWS CLI layer of the console deployment)',
  'AWS::DynamoDB::Table': 'on demand: per request (usage); storage and backups per GB',
  'AWS::EC2::FlowLog': 'per GB of logs (none at idle)',
  'AWS::EC2::RouteTable': 'no charge',
  'AWS::EC2::SecurityGroup': 'no charge',
  'AWS::EC2::SecurityGroupIngress': 'no charge',
  'AWS::EC2::SecurityGroupEgress': 'no charge',
  'AWS::EC2::Subnet': 'no charge',
  'AWS::EC2::SubnetRouteTableAssociation': 'no charge',
  'AWS::EC2::VPC': 'no charge',
  'AWS::Events::EventBus': 'per custom event published (none at idle)',
  'AWS::IAM::Policy': 'no charge',
  'AWS::IAM::Role': 'no charge',
  'AWS::KMS::Alias': 'no charge',
  'AWS::Kinesis::StreamConsumer': 'enhanced fan-out is not used',
  'AWS::Lambda::EventSourceMapping': 'no charge (Kinesis and DynamoDB Streams polling by Lambda is free)',
  'AWS::S3::Bucket':
    'per GB stored and per request (the failures bucket: empty unless a batch fails for good)',
  'AWS::S3::BucketPolicy': 'no charge',
  'AWS::Lambda::Function': 'per invocation (usage, and the scheduled jobs)',
  'AWS::Lambda::Permission': 'no charge',
  'AWS::Logs::LogGroup': 'per GB ingested and stored (usage)',
  'AWS::Logs::ResourcePolicy': 'no charge',
  'AWS::Logs::SubscriptionFilter': 'no charge',
  'AWS::SNS::Subscription': 'per notification (none at idle)',
  'AWS::SNS::Topic': 'per notification (none at idle)',
  'AWS::SNS::TopicPolicy': 'no charge',
  'AWS::SQS::Queue': 'per request (empty at idle)',
  'AWS::SQS::QueuePolicy': 'no charge',
  'AWS::Scheduler::Schedule': 'first 14 million invocations a month free',
  'AWS::Scheduler::ScheduleGroup': 'no charge',
  'AWS::WAFv2::WebACLAssociation': 'no charge (the web ACL is priced)',
  'AWS::WAFv2::LoggingConfiguration': 'per GB of logs',
  'AWS::CDK::Metadata': 'no charge',
};

/** Custom resources run at deploy time only. */
const CUSTOM_RESOURCE = /^(Custom::|AWS::CloudFormation::CustomResource$)/;

interface FunctionSettings {
  readonly memoryGb: number;
  readonly gbSecond: Price;
  readonly traced: boolean;
}

interface Resource extends CfnResource {
  readonly logicalId: string;
}

export function estimateCost(input: CostInput, profile: TrafficProfile): CostReport {
  const resources: Resource[] = input.templates.flatMap((template) =>
    Object.entries(template.Resources ?? {}).map(([logicalId, resource]) => ({ ...resource, logicalId })),
  );
  const byId = new Map(resources.map((resource) => [resource.logicalId, resource]));
  const fixed = new FixedCosts();
  const unpriced: UnpricedResource[] = [];

  const functionSettings = (logicalId: string): FunctionSettings => {
    const props = byId.get(logicalId)?.Properties;
    if (props === undefined) throw new Error(`no function ${logicalId} in the templates`);
    const architectures = props.Architectures;
    const arm = Array.isArray(architectures) && architectures.includes('arm64');
    const tracing = props.TracingConfig as { Mode?: string } | undefined;
    return {
      memoryGb: (typeof props.MemorySize === 'number' ? props.MemorySize : 128) / 1024,
      gbSecond: arm ? PRICES.lambdaArmGbSecond : PRICES.lambdaX86GbSecond,
      traced: tracing?.Mode === 'Active',
    };
  };
  /** One invocation of `logicalId` lasting `ms`: request, GB-seconds, its log lines, its trace share. */
  const invocation = (
    logicalId: string,
    ms: number,
    tracedShare: number = ASSUMPTIONS.tracedShare,
  ): number => {
    const fn = functionSettings(logicalId);
    return (
      PRICES.lambdaRequestsMillion.usd / 1e6 +
      fn.memoryGb * (ms / 1000) * fn.gbSecond.usd +
      (ASSUMPTIONS.logBytesPerInvocation / 1e9) * PRICES.logsIngestGb.usd +
      (fn.traced ? (tracedShare * PRICES.xrayTracesMillion.usd) / 1e6 : 0)
    );
  };

  let kinesisMode: 'provisioned' | 'on-demand' = 'provisioned';
  let kinesisShards = 0;
  let kinesisExtendedRetention = false;
  const metrics = new Set<string>();
  let metricFilters = 0;

  for (const resource of resources) {
    const props = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::EC2::VPCEndpoint': {
        // Gateway endpoints (DynamoDB, S3) cost nothing.
        if (props.VpcEndpointType !== 'Interface') break;
        const zones = Array.isArray(props.SubnetIds) ? props.SubnetIds.length : 1;
        fixed.add(
          'Network',
          'Interface VPC endpoint AZ-hours',
          resource,
          zones,
          'AZ',
          monthly(PRICES.interfaceEndpointAzHour),
        );
        break;
      }
      case 'AWS::EC2::NatGateway':
        fixed.add('Network', 'NAT gateways', resource, 1, 'gateway', monthly(PRICES.natGatewayHour));
        break;
      case 'AWS::OpenSearchService::Domain': {
        const cluster = (props.ClusterConfig ?? {}) as Record<string, unknown>;
        const dataType = String(cluster.InstanceType);
        const dataCount = Number(cluster.InstanceCount ?? 1);
        const masterType =
          cluster.DedicatedMasterEnabled === true ? String(cluster.DedicatedMasterType) : undefined;
        const masterCount = masterType === undefined ? 0 : Number(cluster.DedicatedMasterCount ?? 3);
        const ebs = (props.EBSOptions ?? {}) as Record<string, unknown>;
        const volumeType = typeof ebs.VolumeType === 'string' ? ebs.VolumeType : 'gp2';
        const nodePrices = [dataType, ...(masterType ? [masterType] : [])].map(
          (type) => PRICES.opensearchInstanceHour[type],
        );
        const ebsPrice = PRICES.opensearchEbsGbMonth[volumeType];
        if (nodePrices.some((p) => p === undefined) || (ebs.EBSEnabled === true && ebsPrice === undefined)) {
          unpriced.push({
            logicalId: resource.logicalId,
            type: resource.Type,
            reason: `no price for ${[dataType, masterType, volumeType].filter(Boolean).join(', ')} in lib/cost/prices.ts`,
          });
          break;
        }
        const dataHour = PRICES.opensearchInstanceHour[dataType]!;
        fixed.add(
          'Search',
          `OpenSearch data nodes (${dataType})`,
          resource,
          dataCount,
          'node',
          monthly(dataHour),
        );
        if (masterType !== undefined) {
          const masterHour = PRICES.opensearchInstanceHour[masterType]!;
          fixed.add(
            'Search',
            `OpenSearch master nodes (${masterType})`,
            undefined,
            masterCount,
            'node',
            monthly(masterHour),
          );
        }
        if (ebs.EBSEnabled === true && ebsPrice !== undefined) {
          const gib = Number(ebs.VolumeSize ?? 10) * dataCount;
          fixed.add('Search', `OpenSearch EBS ${volumeType}`, undefined, gib, 'GB', ebsPrice.usd);
        }
        break;
      }
      case 'AWS::Kinesis::Stream': {
        const mode = (props.StreamModeDetails as { StreamMode?: string } | undefined)?.StreamMode;
        kinesisExtendedRetention = Number(props.RetentionPeriodHours ?? 24) > 24;
        if (mode === 'ON_DEMAND') {
          kinesisMode = 'on-demand';
          fixed.add(
            'Events',
            'Kinesis on-demand stream-hours',
            resource,
            1,
            'stream',
            monthly(PRICES.kinesisOnDemandStreamHour),
          );
        } else {
          kinesisShards += Number(props.ShardCount ?? 1);
          const perShard =
            monthly(PRICES.kinesisShardHour) +
            (kinesisExtendedRetention ? monthly(PRICES.kinesisExtendedRetentionShardHour) : 0);
          const item = kinesisExtendedRetention ? 'Kinesis shards (with retention > 24 h)' : 'Kinesis shards';
          fixed.add('Events', item, resource, Number(props.ShardCount ?? 1), 'shard', perShard);
        }
        break;
      }
      case 'AWS::ElastiCache::ServerlessCache': {
        const valkey = props.Engine === 'valkey';
        const gbHour = valkey ? PRICES.valkeyServerlessGbHour : PRICES.redisServerlessGbHour;
        const minimum = valkey ? PRICES.valkeyServerlessMinimumGb : PRICES.redisServerlessMinimumGb;
        fixed.add(
          'Cache',
          `ElastiCache serverless minimum (${minimum.usd} GB)`,
          resource,
          1,
          'cache',
          monthly(gbHour) * minimum.usd,
        );
        break;
      }
      case 'AWS::CloudWatch::Alarm': {
        const highResolution = Number(props.Period ?? 60) < 60;
        const metricCount = Array.isArray(props.Metrics) ? Math.max(1, props.Metrics.length) : 1;
        fixed.add(
          'Monitoring',
          highResolution ? 'CloudWatch high-resolution alarm metrics' : 'CloudWatch alarm metrics',
          resource,
          metricCount,
          'metric',
          (highResolution ? PRICES.highResolutionAlarmMonth : PRICES.alarmMonth).usd,
        );
        break;
      }
      case 'AWS::CloudWatch::Dashboard':
        fixed.add('Monitoring', 'CloudWatch dashboards', resource, 1, 'dashboard', PRICES.dashboardMonth.usd);
        break;
      case 'AWS::Logs::MetricFilter': {
        metricFilters += 1;
        for (const t of (props.MetricTransformations ?? []) as {
          MetricNamespace?: unknown;
          MetricName?: unknown;
        }[]) {
          metrics.add(`${JSON.stringify(t.MetricNamespace)}/${String(t.MetricName)}`);
        }
        fixed.priced(resource);
        break;
      }
      case 'AWS::KMS::Key':
        fixed.add('Security', 'KMS customer managed keys', resource, 1, 'key', PRICES.kmsKeyMonth.usd);
        break;
      case 'AWS::WAFv2::WebACL': {
        const rules = Array.isArray(props.Rules) ? props.Rules.length : 0;
        fixed.add('Security', 'WAF web ACLs', resource, 1, 'web ACL', PRICES.wafWebAclMonth.usd);
        fixed.add(
          'Security',
          'WAF rules and managed rule groups',
          undefined,
          rules,
          'rule',
          PRICES.wafRuleMonth.usd,
        );
        break;
      }
      case 'AWS::SecretsManager::Secret':
        fixed.add('Security', 'Secrets Manager secrets', resource, 1, 'secret', PRICES.secretMonth.usd);
        break;
      case 'AWS::Events::Rule': {
        const perMonth = scheduledRuns(props.ScheduleExpression);
        const targets = (props.Targets ?? []) as { Arn?: unknown }[];
        const functionIds = targets.flatMap((target) => {
          const getAtt = (target.Arn as { 'Fn::GetAtt'?: unknown[] } | undefined)?.['Fn::GetAtt'];
          const id = getAtt?.[0];
          return typeof id === 'string' && byId.get(id)?.Type === 'AWS::Lambda::Function' ? [id] : [];
        });
        // Event-pattern rules and other targets cost nothing at idle.
        if (perMonth === undefined || functionIds.length === 0) break;
        const perRun = functionIds.reduce(
          (sum, id) => sum + invocation(id, ASSUMPTIONS.scheduledJobMs, 1),
          0,
        );
        fixed.add(
          'Jobs',
          'Scheduled job invocations (Lambda, logs, traces)',
          resource,
          perMonth,
          'run',
          perRun,
        );
        break;
      }
      default:
        // Known to cost nothing at idle (NO_FIXED_COST says why): accounted for, not priced.
        if (!(resource.Type in NO_FIXED_COST) && !CUSTOM_RESOURCE.test(resource.Type)) {
          unpriced.push({
            logicalId: resource.logicalId,
            type: resource.Type,
            reason: 'type unknown to lib/cost/model.ts: add a pricer or a NO_FIXED_COST reason',
          });
        }
    }
  }
  if (metricFilters > 0) {
    // Billed only in months the filters match (none at idle); an upper bound is shown in the quantity.
    fixed.addLine({
      category: 'Monitoring',
      item: 'Custom metrics from log filters (only when they match)',
      resources: 0,
      quantity: `${metrics.size} metric(s), ≤ $${(metrics.size * PRICES.customMetricMonth.usd).toFixed(2)}`,
      usdPerMonth: 0,
    });
  }

  // ---- The per-request paths.
  const restApi = resources.some((r) => r.Type === 'AWS::ApiGateway::RestApi');
  const firewall = resources.some((r) => r.Type === 'AWS::WAFv2::WebACLAssociation');
  const accessLogs = resources.some(
    (r) => r.Type === 'AWS::ApiGateway::Stage' && r.Properties?.AccessLogSetting !== undefined,
  );
  const apiRequest =
    (restApi ? PRICES.restApiRequestsMillion.usd : PRICES.httpApiRequestsMillion.usd) / 1e6 +
    (firewall ? PRICES.wafRequestsMillion.usd / 1e6 : 0) +
    (accessLogs ? (ASSUMPTIONS.accessLogBytesPerRequest / 1e9) * PRICES.logsIngestGb.usd : 0);
  const { paths } = input;
  const authorizer =
    paths.authorizer === undefined
      ? 0
      : ASSUMPTIONS.authorizerInvocationsPerRequest *
        (invocation(paths.authorizer, ASSUMPTIONS.authorizerMs) +
          (0.5 * PRICES.dynamodbReadUnitsMillion.usd) / 1e6);
  const sdkRequest = apiRequest + authorizer;

  const eventGb = ASSUMPTIONS.eventBytes / 1e9;
  const putUnits = Math.ceil(ASSUMPTIONS.eventBytes / 25_600);
  const kinesisPerEvent =
    kinesisMode === 'on-demand'
      ? eventGb * (PRICES.kinesisOnDemandIngestGb.usd + PRICES.kinesisOnDemandRetrievalGb.usd)
      : (putUnits * PRICES.kinesisPutPayloadUnits.usd) / 1e6;
  const processedEvent =
    kinesisPerEvent +
    invocation(paths.eventProcessor, ASSUMPTIONS.processorMsPerBatch) / ASSUMPTIONS.eventsPerProcessorBatch +
    (ASSUMPTIONS.readUnitsPerEvent * PRICES.dynamodbReadUnitsMillion.usd +
      ASSUMPTIONS.writeUnitsPerEvent * PRICES.dynamodbWriteUnitsMillion.usd) /
      1e6;
  const remoteEvaluation = sdkRequest + invocation(paths.evaluation, ASSUMPTIONS.evaluationMs);
  const assignment = remoteEvaluation + processedEvent;
  const event =
    (sdkRequest + invocation(paths.events, ASSUMPTIONS.eventsIngestMs)) / ASSUMPTIONS.eventsPerIngestRequest +
    processedEvent;
  const pollsPerMonth = SECONDS_PER_MONTH / ASSUMPTIONS.sdkPollIntervalSeconds;
  const localSdkInstance =
    pollsPerMonth * (sdkRequest + invocation(paths.evaluation, ASSUMPTIONS.rulesetPollMs));

  const usage: CostLine[] = [];
  const usageLine = (item: string, count: number, unit: string, each: number): void => {
    if (count > 0) {
      usage.push({
        category: 'Traffic',
        item,
        resources: 0,
        quantity: `${formatCount(count)} ${unit}`,
        usdPerMonth: count * each,
      });
    }
  };
  usageLine('Remote evaluations (API, WAF, Lambda, logs)', profile.evaluations, 'requests', remoteEvaluation);
  usageLine('Assignments (as evaluations + one exposure event)', profile.assignments, 'requests', assignment);
  usageLine('Events (ingest, Kinesis, processing, DynamoDB)', profile.events, 'events', event);
  usageLine(
    'Local-evaluation SDKs (ruleset polling)',
    profile.localSdkInstances,
    'instances',
    localSdkInstance,
  );
  const pool = resources.find((r) => r.Type === 'AWS::Cognito::UserPool');
  if (pool !== undefined) {
    const plus = pool.Properties?.UserPoolTier === 'PLUS';
    usageLine(
      `Cognito ${plus ? 'Plus' : 'Essentials'} monthly active users`,
      profile.users,
      'users',
      (plus ? PRICES.cognitoPlusMau : PRICES.cognitoEssentialsMau).usd,
    );
  }

  // ---- The events stream in both capacity modes, at this profile.
  const streamGb = (profile.events + profile.assignments) * eventGb;
  const streamRecords = profile.events + profile.assignments;
  const shards = Math.max(1, kinesisShards);
  const provisionedPerMonth =
    shards *
      (monthly(PRICES.kinesisShardHour) +
        (kinesisExtendedRetention ? monthly(PRICES.kinesisExtendedRetentionShardHour) : 0)) +
    (streamRecords * putUnits * PRICES.kinesisPutPayloadUnits.usd) / 1e6;
  const onDemandPerMonth =
    monthly(PRICES.kinesisOnDemandStreamHour) +
    streamGb * (PRICES.kinesisOnDemandIngestGb.usd + PRICES.kinesisOnDemandRetrievalGb.usd);

  const fixedTotal = sum(fixed.lines.map((line) => line.usdPerMonth));
  const usageTotal = sum(usage.map((line) => line.usdPerMonth));
  return {
    stage: input.stage,
    pricesAsOf: PRICES_AS_OF,
    profile,
    fixed: fixed.lines,
    fixedTotal,
    usage,
    usageTotal,
    total: fixedTotal + usageTotal,
    perMillion: {
      remoteEvaluations: remoteEvaluation * 1e6,
      localEvaluations: 0,
      assignments: assignment * 1e6,
      events: event * 1e6,
    },
    localSdkInstancePerMonth: localSdkInstance,
    kinesis: { mode: kinesisMode, provisionedPerMonth, onDemandPerMonth },
    pricedResources: fixed.counts,
    unpriced,
  };
}

/** Collects the fixed lines, one per item (resources of the same kind add up). */
class FixedCosts {
  public readonly counts: Record<string, number> = {};
  private readonly items = new Map<string, { line: CostLine; count: number; unit: string; each: number }>();
  private readonly extra: CostLine[] = [];

  get lines(): CostLine[] {
    return [
      ...[...this.items.values()].map(({ line, count, unit, each }) => ({
        ...line,
        quantity: `${formatCount(count)} ${unit} × $${formatPrice(each)}`,
      })),
      ...this.extra,
    ];
  }

  add(
    category: string,
    item: string,
    resource: Resource | undefined,
    count: number,
    unit: string,
    each: number,
  ): void {
    if (resource !== undefined) this.priced(resource);
    const previous = this.items.get(item);
    const total = (previous?.count ?? 0) + count;
    this.items.set(item, {
      count: total,
      unit,
      each,
      line: {
        category,
        item,
        resources: (previous?.line.resources ?? 0) + (resource === undefined ? 0 : 1),
        quantity: '',
        usdPerMonth: (previous?.line.usdPerMonth ?? 0) + count * each,
      },
    });
  }

  addLine(line: CostLine): void {
    this.extra.push(line);
  }

  priced(resource: Resource): void {
    this.counts[resource.Type] = (this.counts[resource.Type] ?? 0) + 1;
  }
}

/** Runs a month of `rate(…)` or a `cron(…)` firing once a day or more; undefined for anything else. */
function scheduledRuns(expression: unknown): number | undefined {
  if (typeof expression !== 'string') return undefined;
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate !== null) {
    const seconds = { minute: 60, hour: 3600, day: 86_400 }[
      rate[2]!.replace(/s$/, '') as 'minute' | 'hour' | 'day'
    ];
    return SECONDS_PER_MONTH / (Number(rate[1]) * seconds);
  }
  if (expression.startsWith('cron(')) return SECONDS_PER_MONTH / 86_400;
  return undefined;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function formatPrice(value: number): string {
  return value >= 0.01 ? value.toFixed(2) : value.toPrecision(2);
}
