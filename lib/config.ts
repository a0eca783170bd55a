import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { API_KEY_TYPES, type ApiKeyType } from '../shared/api-keys/schema';

/**
 * Typed, in-code configuration of the three deployment stages. Everything that differs between dev,
 * staging and prod lives here, so constructs never read the environment and a reviewer sees the whole
 * difference between stages in one file.
 */
export const STAGE_NAMES = ['dev', 'staging', 'prod'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

export interface SearchConfig {
  /** Data node instance type, e.g. `t3.small.search`. */
  readonly dataNodeInstanceType: string;
  readonly dataNodes: number;
  /** Dedicated master nodes; 0 = none (the data nodes elect a master among themselves). */
  readonly masterNodes: number;
  readonly masterNodeInstanceType?: string;
  /** gp3 EBS volume per data node, GiB. */
  readonly ebsVolumeGiB: number;
  /** Spread the data nodes over both AZs of the VPC (needs an even number of data nodes). */
  readonly zoneAwareness: boolean;
  /** Days a daily raw-events index is kept before the ISM retention policy deletes it. */
  readonly eventRetentionDays: number;
}

export interface CacheConfig {
  /** Upper bound for stored data (ElastiCache Serverless bills what is used, this caps it). */
  readonly maxDataStorageGb: number;
  readonly maxEcpuPerSecond: number;
  /** Daily snapshots kept; 0 = no snapshots (the cache is rebuilt from DynamoDB anyway). */
  readonly snapshotRetentionDays: number;
}

export interface ApiThrottleConfig {
  /** Steady-state requests per second for the whole stage. */
  readonly rateLimit: number;
  readonly burstLimit: number;
}

export interface FirewallConfig {
  /** Attach an AWS WAF web ACL (managed common + known-bad-input rules, per-IP rate limit) to the API stage. */
  readonly enabled: boolean;
  /** Requests one client IP may make in any 5-minute window before WAF blocks it. */
  readonly rateLimitPer5Minutes: number;
}

export interface CognitoConfig {
  /** Require TOTP MFA for every user; when false MFA is optional (users may enrol a TOTP app). */
  readonly mfaRequired: boolean;
  /** Plus-plan threat protection: ENFORCED blocks risky sign-ins, AUDIT only reports them. */
  readonly threatProtection: 'ENFORCED' | 'AUDIT';
}

export interface AlarmConfig {
  /** API 5xx responses in 5 minutes that raise the alarm. */
  readonly apiServerErrors: number;
  /** p95 API latency (ms) over 5 minutes that raises the alarm. */
  readonly apiLatencyP95Ms: number;
  /** Errors of one function in 5 minutes that raise the alarm. */
  readonly lambdaErrors: number;
  /** Age of the oldest unread event record (ms) that raises the alarm. */
  readonly kinesisIteratorAgeMs: number;
  /**
   * Subscribe this address to the alarm topic (kept for existing configurations; `emails` takes a list).
   * @default - none
   */
  readonly email?: string;
  /**
   * Addresses subscribed to the alarm topic (and the safety topic), with `email`; SNS mails each a confirmation
   * link first. None = subscribe nobody (wire your own).
   * @default - none
   */
  readonly emails?: readonly string[];
}

/**
 * Per-key throttling of the SDK routes (usage plans bound by the API-key authorizer, shared/api-keys/usage-plans.ts):
 * the steady rate and burst of one key — strictly, of one usage bucket of that key type, which a few keys of the
 * type may share — beneath the stage-wide `apiThrottle`.
 */
export type ApiKeyThrottleConfig = Readonly<Record<ApiKeyType, ApiThrottleConfig>>;

/**
 * Reserved concurrency of the functions that answer SDK traffic. It both guarantees them that many concurrent
 * executions and caps them there, so a flood of SDK calls cannot starve the management API and the background
 * functions of the account's concurrency. Unset = unreserved (the account pool). Lambda refuses a reservation that
 * would leave the account fewer than 100 unreserved executions.
 */
export interface ReservedConcurrencyConfig {
  /** The API-key authorizer (called about once per key per cache TTL, not per request). */
  readonly apiKeyAuthorizer?: number;
  /** The evaluation function (flag evaluation, assignments, ruleset download, OFREP). */
  readonly evaluation?: number;
}

/**
 * What a stage keeps running by the hour besides its data (issue 19; `npm run cost` prices each stage). A function
 * runs in the VPC only to reach the cache or the search domain, and the VPC gets only the interface endpoints
 * those functions need (Kinesis and X-Ray with the cache; X-Ray and STS with the search domain): a stage with
 * neither runs every function outside the VPC and pays for no endpoint. docs/architecture.md lists the trade-offs.
 */
export interface FootprintConfig {
  /**
   * An OpenSearch domain for the raw events (daily indices, Dashboards). Without it the event processor writes
   * the aggregates only: results, safety and the analytics table are unchanged; raw-event search is absent.
   */
  readonly searchDomain: boolean;
  /**
   * The Valkey serverless ruleset cache (and the evaluation and publisher functions in the VPC to reach it).
   * Without it evaluation keeps its per-instance L1 copy, revalidated against DynamoDB instead of the cache.
   */
  readonly rulesetCache: boolean;
  /** A throttles alarm per function besides its errors alarm (a throttled stage also fails requests: 5xx). */
  readonly throttleAlarms: boolean;
}

/**
 * A custom domain for the web console's CloudFront distribution. Point its DNS name at the distribution (an alias
 * or CNAME to the `ConsoleDistributionDomain` output) after the deploy.
 */
export interface ConsoleDomainConfig {
  /** e.g. `console.example.com`. */
  readonly domainName: string;
  /** An ACM certificate for it, in us-east-1 (CloudFront takes certificates from that region only). */
  readonly certificateArn: string;
}

export interface StageConfig {
  readonly name: StageName;
  /** Applied to every stateful resource: prod keeps its data when the stack or resource goes away. */
  readonly removalPolicy: RemovalPolicy;
  /** DynamoDB and Cognito deletion protection. */
  readonly deletionProtection: boolean;
  readonly pointInTimeRecovery: boolean;
  readonly logRetention: RetentionDays;
  /** Powertools log level of every function. */
  readonly logLevel: 'DEBUG' | 'INFO';
  readonly kinesisShardCount: number;
  readonly kinesisRetention: Duration;
  readonly search: SearchConfig;
  readonly cache: CacheConfig;
  readonly apiThrottle: ApiThrottleConfig;
  readonly firewall: FirewallConfig;
  readonly cognito: CognitoConfig;
  /**
   * Browser origins allowed to call the API (CORS). Empty = no cross-origin access. Add the origins of
   * your console and of any web app that evaluates flags with a client key.
   */
  readonly corsAllowedOrigins: readonly string[];
  /** Largest request body the functions accept (SPEC §2.5: 1 MiB per request). */
  readonly maxBodyBytes: number;
  /** Defaults for every function; a function may ask for more. */
  readonly lambdaMemoryMb: number;
  readonly lambdaTimeout: Duration;
  readonly alarms: AlarmConfig;
  /** Per-key limits of the SDK routes (issue 16: one leaked key must not take the stage's whole budget). */
  readonly apiKeyThrottle: ApiKeyThrottleConfig;
  readonly reservedConcurrency: ReservedConcurrencyConfig;
  readonly footprint: FootprintConfig;
  /**
   * Serve the console on this domain, with TLS 1.2 or later. Unset = the distribution's own `*.cloudfront.net`
   * name with CloudFront's default certificate.
   * @default - none
   */
  readonly consoleDomain?: ConsoleDomainConfig;
}

/** Every address the stage's alarm topic (and safety topic) mails: `alarms.email` and `alarms.emails`, once each. */
export function alarmEmails(alarms: AlarmConfig): string[] {
  return [...new Set([...(alarms.email === undefined ? [] : [alarms.email]), ...(alarms.emails ?? [])])];
}

const ONE_MIB = 1024 * 1024;

const STAGES: Readonly<Record<StageName, StageConfig>> = {
  dev: {
    name: 'dev',
    removalPolicy: RemovalPolicy.DESTROY,
    deletionProtection: false,
    pointInTimeRecovery: true,
    logRetention: RetentionDays.ONE_WEEK,
    logLevel: 'DEBUG',
    kinesisShardCount: 1,
    kinesisRetention: Duration.hours(24),
    search: {
      dataNodeInstanceType: 't3.small.search',
      dataNodes: 1,
      masterNodes: 0,
      ebsVolumeGiB: 10,
      zoneAwareness: false,
      eventRetentionDays: 7,
    },
    cache: { maxDataStorageGb: 1, maxEcpuPerSecond: 5000, snapshotRetentionDays: 0 },
    apiThrottle: { rateLimit: 50, burstLimit: 100 },
    firewall: { enabled: false, rateLimitPer5Minutes: 2000 },
    cognito: { mfaRequired: false, threatProtection: 'AUDIT' },
    corsAllowedOrigins: ['http://localhost:3000', 'http://localhost:5173'],
    maxBodyBytes: ONE_MIB,
    lambdaMemoryMb: 512,
    lambdaTimeout: Duration.seconds(10),
    alarms: { apiServerErrors: 10, apiLatencyP95Ms: 3000, lambdaErrors: 5, kinesisIteratorAgeMs: 300_000 },
    apiKeyThrottle: { server: { rateLimit: 25, burstLimit: 50 }, client: { rateLimit: 10, burstLimit: 20 } },
    // None in dev: a new account's concurrency limit (often 10) cannot spare a reservation and keep 100 unreserved.
    reservedConcurrency: {},
    // ≤ $25 a month idle: no search domain, no cache, nothing in the VPC, no endpoints (docs/architecture.md).
    footprint: { searchDomain: false, rulesetCache: false, throttleAlarms: false },
  },
  staging: {
    name: 'staging',
    removalPolicy: RemovalPolicy.DESTROY,
    deletionProtection: false,
    pointInTimeRecovery: true,
    logRetention: RetentionDays.ONE_MONTH,
    logLevel: 'INFO',
    kinesisShardCount: 1,
    kinesisRetention: Duration.hours(24),
    search: {
      dataNodeInstanceType: 't3.medium.search',
      dataNodes: 2,
      masterNodes: 0,
      ebsVolumeGiB: 20,
      zoneAwareness: true,
      eventRetentionDays: 14,
    },
    cache: { maxDataStorageGb: 1, maxEcpuPerSecond: 10000, snapshotRetentionDays: 1 },
    apiThrottle: { rateLimit: 200, burstLimit: 400 },
    firewall: { enabled: true, rateLimitPer5Minutes: 5000 },
    cognito: { mfaRequired: false, threatProtection: 'ENFORCED' },
    corsAllowedOrigins: [],
    maxBodyBytes: ONE_MIB,
    lambdaMemoryMb: 512,
    lambdaTimeout: Duration.seconds(10),
    alarms: { apiServerErrors: 5, apiLatencyP95Ms: 2000, lambdaErrors: 3, kinesisIteratorAgeMs: 120_000 },
    apiKeyThrottle: {
      server: { rateLimit: 100, burstLimit: 200 },
      client: { rateLimit: 50, burstLimit: 100 },
    },
    reservedConcurrency: { apiKeyAuthorizer: 5, evaluation: 50 },
    footprint: { searchDomain: true, rulesetCache: true, throttleAlarms: true },
  },
  prod: {
    name: 'prod',
    removalPolicy: RemovalPolicy.RETAIN,
    deletionProtection: true,
    pointInTimeRecovery: true,
    logRetention: RetentionDays.SIX_MONTHS,
    logLevel: 'INFO',
    kinesisShardCount: 2,
    kinesisRetention: Duration.days(3),
    search: {
      dataNodeInstanceType: 'm6g.large.search',
      // Two AZs (the most an environment-agnostic VPC gets) need an even number of data nodes.
      dataNodes: 2,
      masterNodes: 3,
      masterNodeInstanceType: 'm6g.large.search',
      ebsVolumeGiB: 100,
      zoneAwareness: true,
      eventRetentionDays: 90,
    },
    cache: { maxDataStorageGb: 5, maxEcpuPerSecond: 50000, snapshotRetentionDays: 7 },
    apiThrottle: { rateLimit: 1000, burstLimit: 2000 },
    firewall: { enabled: true, rateLimitPer5Minutes: 20000 },
    cognito: { mfaRequired: true, threatProtection: 'ENFORCED' },
    corsAllowedOrigins: [],
    maxBodyBytes: ONE_MIB,
    lambdaMemoryMb: 1024,
    lambdaTimeout: Duration.seconds(10),
    alarms: { apiServerErrors: 5, apiLatencyP95Ms: 1500, lambdaErrors: 1, kinesisIteratorAgeMs: 60_000 },
    apiKeyThrottle: {
      server: { rateLimit: 400, burstLimit: 800 },
      client: { rateLimit: 200, burstLimit: 400 },
    },
    reservedConcurrency: { apiKeyAuthorizer: 20, evaluation: 300 },
    footprint: { searchDomain: true, rulesetCache: true, throttleAlarms: true },
  },
};

export function isStageName(value: string): value is StageName {
  return (STAGE_NAMES as readonly string[]).includes(value);
}

/** The configuration of one stage; throws on a name that is not dev, staging or prod. */
export function stageConfig(name: string): StageConfig {
  if (!isStageName(name)) {
    throw new Error(
      `Unknown stage "${name}": expected one of ${STAGE_NAMES.join(', ')} (cdk synth -c stage=dev)`,
    );
  }
  const config = STAGES[name];
  validateStageConfig(config);
  return config;
}

/** Throws listing every inconsistency in a stage configuration (exported for tests). */
export function validateStageConfig(config: StageConfig): void {
  const problems: string[] = [];
  const { search } = config;
  if (search.dataNodes < 1) problems.push('search.dataNodes must be at least 1');
  if (search.zoneAwareness && search.dataNodes % 2 !== 0) {
    problems.push('search.dataNodes must be even when zoneAwareness spreads them over two AZs');
  }
  if (!search.zoneAwareness && search.dataNodes > 1) {
    problems.push('search.zoneAwareness must be on when there is more than one data node');
  }
  if (search.masterNodes !== 0 && search.masterNodes !== 3 && search.masterNodes !== 5) {
    problems.push('search.masterNodes must be 0, 3 or 5');
  }
  if (search.masterNodes > 0 && !search.masterNodeInstanceType) {
    problems.push('search.masterNodeInstanceType is required with dedicated master nodes');
  }
  if (!Number.isInteger(search.eventRetentionDays) || search.eventRetentionDays < 1) {
    problems.push('search.eventRetentionDays must be a whole number of days, at least 1');
  }
  if (config.kinesisShardCount < 1) problems.push('kinesisShardCount must be at least 1');
  if (config.apiThrottle.burstLimit < config.apiThrottle.rateLimit) {
    problems.push('apiThrottle.burstLimit must be at least apiThrottle.rateLimit');
  }
  for (const type of API_KEY_TYPES) {
    const perKey = config.apiKeyThrottle[type];
    if (perKey.rateLimit <= 0 || perKey.burstLimit < perKey.rateLimit) {
      problems.push(`apiKeyThrottle.${type}: rateLimit must be positive and burstLimit at least rateLimit`);
    }
    if (
      perKey.rateLimit > config.apiThrottle.rateLimit ||
      perKey.burstLimit > config.apiThrottle.burstLimit
    ) {
      problems.push(
        `apiKeyThrottle.${type} must not exceed the stage's apiThrottle (a key cannot outrun its stage)`,
      );
    }
  }
  for (const [fn, reserved] of Object.entries(config.reservedConcurrency)) {
    if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < 1)) {
      problems.push(`reservedConcurrency.${fn} must be a whole number of at least 1 (0 would disable it)`);
    }
  }
  for (const email of alarmEmails(config.alarms)) {
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email))
      problems.push(`alarms: "${email}" is not an e-mail address`);
  }
  for (const origin of config.corsAllowedOrigins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s,]+$/.test(origin)) {
      problems.push(`corsAllowedOrigins: "${origin}" is not an origin (scheme://host[:port], no path)`);
    }
  }
  if (config.consoleDomain !== undefined) {
    const { domainName, certificateArn } = config.consoleDomain;
    if (!/^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/.test(domainName)) {
      problems.push(`consoleDomain.domainName: "${domainName}" is not a lowercase DNS name`);
    }
    if (!/^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[\w-]+$/.test(certificateArn)) {
      problems.push('consoleDomain.certificateArn must be an ACM certificate ARN in us-east-1 (CloudFront)');
    }
  }
  if (config.maxBodyBytes <= 0 || config.maxBodyBytes > 10 * 1024 * 1024) {
    problems.push('maxBodyBytes must be in (0, 10 MiB] (API Gateway refuses larger payloads)');
  }
  if (config.lambdaTimeout.toSeconds() > 29) {
    problems.push('lambdaTimeout must be at most 29 s (API Gateway integration timeout)');
  }
  if (problems.length > 0) {
    throw new Error(`Invalid configuration for stage "${config.name}":\n- ${problems.join('\n- ')}`);
  }
}
