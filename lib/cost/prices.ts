/**
 * THE price table of the cost model (lib/cost/model.ts): AWS list prices in us-east-1, on demand, without the free
 * tier, in US dollars. Read from the public pricing pages named in `source`, as of 2026 (this machine has no
 * internet access: re-check them before quoting a figure, and change them only here).
 */
export const PRICES_AS_OF = '2026, us-east-1 list prices, no free tier';

export interface Price {
  readonly usd: number;
  /** What one `usd` buys. */
  readonly per: string;
  /** The AWS pricing page the figure is from. */
  readonly source: string;
}

const HOURS_PER_MONTH = 730;

const price = (usd: number, per: string, source: string): Price => ({ usd, per, source });

const PRIVATELINK = 'https://aws.amazon.com/privatelink/pricing/';
const VPC = 'https://aws.amazon.com/vpc/pricing/';
const OPENSEARCH = 'https://aws.amazon.com/opensearch-service/pricing/';
const KINESIS = 'https://aws.amazon.com/kinesis/data-streams/pricing/';
const ELASTICACHE = 'https://aws.amazon.com/elasticache/pricing/';
const CLOUDWATCH = 'https://aws.amazon.com/cloudwatch/pricing/';
const KMS = 'https://aws.amazon.com/kms/pricing/';
const WAF = 'https://aws.amazon.com/waf/pricing/';
const SECRETS = 'https://aws.amazon.com/secrets-manager/pricing/';
const COGNITO = 'https://aws.amazon.com/cognito/pricing/';
const API_GATEWAY = 'https://aws.amazon.com/api-gateway/pricing/';
const LAMBDA = 'https://aws.amazon.com/lambda/pricing/';
const DYNAMODB = 'https://aws.amazon.com/dynamodb/pricing/on-demand/';
const DYNAMODB_PROVISIONED = 'https://aws.amazon.com/dynamodb/pricing/provisioned/';
const SQS = 'https://aws.amazon.com/sqs/pricing/';
const XRAY = 'https://aws.amazon.com/xray/pricing/';

export const PRICES = {
  interfaceEndpointAzHour: price(0.01, 'interface VPC endpoint per AZ-hour', PRIVATELINK),
  natGatewayHour: price(0.045, 'NAT gateway-hour', VPC),
  /** On-demand instance-hours by instance type; a type missing here is reported as unpriced. */
  opensearchInstanceHour: {
    't3.small.search': price(0.036, 'instance-hour', OPENSEARCH),
    't3.medium.search': price(0.073, 'instance-hour', OPENSEARCH),
    'm6g.large.search': price(0.128, 'instance-hour', OPENSEARCH),
    'm7g.large.search': price(0.139, 'instance-hour', OPENSEARCH),
    'r6g.large.search': price(0.167, 'instance-hour', OPENSEARCH),
    'c6g.large.search': price(0.113, 'instance-hour', OPENSEARCH),
  } as Readonly<Record<string, Price>>,
  opensearchEbsGbMonth: {
    gp2: price(0.135, 'GB-month of EBS gp2', OPENSEARCH),
    gp3: price(0.122, 'GB-month of EBS gp3', OPENSEARCH),
  } as Readonly<Record<string, Price>>,
  kinesisShardHour: price(0.015, 'provisioned shard-hour', KINESIS),
  kinesisExtendedRetentionShardHour: price(
    0.02,
    'shard-hour of retention beyond 24 h (up to 7 days)',
    KINESIS,
  ),
  kinesisPutPayloadUnits: price(0.014, 'million PUT payload units (25 KB each, provisioned)', KINESIS),
  kinesisOnDemandStreamHour: price(0.04, 'on-demand stream-hour', KINESIS),
  kinesisOnDemandIngestGb: price(0.08, 'GB written (on demand)', KINESIS),
  kinesisOnDemandRetrievalGb: price(0.04, 'GB read (on demand)', KINESIS),
  /** Valkey serverless bills at least 100 MB of data stored. */
  valkeyServerlessGbHour: price(0.084, 'GB-hour of data stored (Valkey serverless)', ELASTICACHE),
  valkeyServerlessMinimumGb: price(0.1, 'GB: the smallest storage Valkey serverless bills', ELASTICACHE),
  redisServerlessGbHour: price(0.125, 'GB-hour of data stored (Redis OSS serverless)', ELASTICACHE),
  redisServerlessMinimumGb: price(1, 'GB: the smallest storage Redis OSS serverless bills', ELASTICACHE),
  valkeyEcpuMillion: price(0.0023, 'million ECPUs (Valkey serverless)', ELASTICACHE),
  alarmMonth: price(0.1, 'standard-resolution alarm metric-month', CLOUDWATCH),
  highResolutionAlarmMonth: price(0.3, 'high-resolution alarm metric-month', CLOUDWATCH),
  dashboardMonth: price(3, 'dashboard-month', CLOUDWATCH),
  customMetricMonth: price(0.3, 'custom metric-month (billed only in months it receives data)', CLOUDWATCH),
  logsIngestGb: price(0.5, 'GB of logs ingested', CLOUDWATCH),
  kmsKeyMonth: price(1, 'customer managed key-month', KMS),
  wafWebAclMonth: price(5, 'web ACL-month', WAF),
  wafRuleMonth: price(1, 'rule (or managed rule group)-month', WAF),
  wafRequestsMillion: price(0.6, 'million requests inspected', WAF),
  secretMonth: price(0.4, 'secret-month', SECRETS),
  cognitoPlusMau: price(0.02, 'monthly active user (Plus plan, no free tier)', COGNITO),
  cognitoEssentialsMau: price(0.015, 'monthly active user (Essentials, beyond 10,000 free)', COGNITO),
  restApiRequestsMillion: price(3.5, 'million REST API requests (first 333 million)', API_GATEWAY),
  httpApiRequestsMillion: price(1, 'million HTTP API requests (first 300 million)', API_GATEWAY),
  lambdaRequestsMillion: price(0.2, 'million Lambda requests', LAMBDA),
  lambdaArmGbSecond: price(0.0000133334, 'GB-second on arm64', LAMBDA),
  lambdaX86GbSecond: price(0.0000166667, 'GB-second on x86_64', LAMBDA),
  dynamodbWriteUnitsMillion: price(0.625, 'million write request units (on demand)', DYNAMODB),
  dynamodbReadUnitsMillion: price(0.125, 'million read request units (on demand)', DYNAMODB),
  dynamodbWcuHour: price(0.00065, 'provisioned WCU-hour', DYNAMODB_PROVISIONED),
  dynamodbRcuHour: price(0.00013, 'provisioned RCU-hour', DYNAMODB_PROVISIONED),
  sqsRequestsMillion: price(0.4, 'million SQS requests', SQS),
  xrayTracesMillion: price(5, 'million traces recorded', XRAY),
} as const;

/** A price per hour as the price of a 730-hour month. */
export function monthly(hourly: Price): number {
  return hourly.usd * HOURS_PER_MONTH;
}

export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;
