import { Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { ISecurityGroup, IVpc } from 'aws-cdk-lib/aws-ec2';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import type { IDomain } from 'aws-cdk-lib/aws-opensearchservice';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { TableId } from '../../shared/db/tables';
import {
  HANDLER_GROUPS,
  handlerEntry,
  ROUTES,
  type HandlerGroup,
  type RouteDefinition,
} from '../../shared/http/routes';
import { alarmEmails, type StageConfig } from '../config';
import { SCHEDULED_FUNCTIONS, STREAM_FUNCTIONS, type FunctionName } from '../../shared/functions';
import { ApiFirewall } from '../constructs/api-firewall';
import { BackgroundFunctions } from '../constructs/background-functions';
import { ExperimentScheduler } from '../constructs/experiment-scheduler';
import { ApiKeyAuthorizer } from '../constructs/api-key-authorizer';
import { Monitoring } from '../constructs/monitoring';
import { SafetyNotifications } from '../constructs/safety-notifications';
import { SdkUsagePlans } from '../constructs/sdk-usage-plans';
import { SearchSetup } from '../constructs/search-setup';
import { SwitchyardApi } from '../constructs/switchyard-api';
import { SwitchyardFunction, type SwitchyardFunctionProps } from '../constructs/switchyard-function';
import type { SwitchyardTable } from '../constructs/switchyard-table';

export interface ApiStackProps extends StackProps {
  readonly config: StageConfig;
  readonly vpc: IVpc;
  readonly lambdaSecurityGroup: ISecurityGroup;
  readonly tables: Readonly<Record<TableId, SwitchyardTable>>;
  readonly eventsStream: IStream;
  readonly deadLetterQueue: IQueue;
  /** The events stream's failure store (S3 on-failure destination, records kept whole). */
  readonly failuresBucket: IBucket;
  /** Where the evaluation function stores rulesets too large for a response (shared/rulesets/objects.ts). */
  readonly rulesetsBucket: IBucket;
  readonly userPool: IUserPool;
  /** Absent when the stage has no search domain: the event processor then writes the aggregates only. */
  readonly searchDomain?: IDomain;
  /** The search domain's master user: the search setup assumes it to install roles, templates and dashboards. */
  readonly searchAdminRole?: IRole;
  /** `rediss://…` of the shared cache, for functions that use it; absent when the stage has no cache. */
  readonly cacheUrl?: string;
  /**
   * The routes to serve. The API-key authorizer is built when one of them needs it (an unattached API Gateway
   * authorizer cannot be synthesized).
   * @default ROUTES from shared/http/routes.ts
   */
  readonly routes?: readonly RouteDefinition[];
}

interface HandlerSettings {
  readonly description: string;
  /** Runs in the VPC to reach the cache, when the stage has one (lib/config.ts footprint). */
  readonly inVpc: boolean;
  /** Gets SIGTERM before Lambda destroys an environment (SwitchyardFunction's `shutdownSignal`). */
  readonly shutdownSignal?: boolean;
  /** Grants and environment of the group's function, through SwitchyardFunction's intent methods. */
  readonly wire: (fn: SwitchyardFunction, props: ApiStackProps, parts: StackParts) => void;
}

/** What the stack builds before the handler functions, for them to use. */
interface StackParts {
  readonly experimentScheduler: ExperimentScheduler;
  readonly safetyNotifications: SafetyNotifications;
}

/**
 * How each handler group's function is built. Keyed by HandlerGroup (the `http` functions of
 * shared/functions.ts), so a group registered there does not compile until it says what it may touch.
 */
const HANDLERS: { readonly [G in HandlerGroup]: HandlerSettings } = {
  // Health and the OpenAPI document touch no data.
  system: { description: 'Health check and OpenAPI document', inVpc: false, wire: () => undefined },
  // GET /users/me answers from the token's claims; the rest administers the pool and audits each change.
  users: {
    description: 'Users and roles',
    inVpc: false,
    wire: (fn, props) => fn.managesUsers(props.userPool).appendsAudit(props.tables.audit),
  },
  'feature-flags': {
    description: 'Feature flag management',
    inVpc: false,
    // analytics: the evaluation counters behind the stale filter; users: a new owner must exist and be enabled.
    wire: (fn, props) =>
      fn
        .changesConfig(props.tables.config, props.tables.audit)
        .readsTable(props.tables.analytics)
        .readsUsers(props.userPool),
  },
  segments: {
    description: 'Segment management',
    inVpc: false,
    wire: (fn, props) => fn.changesConfig(props.tables.config, props.tables.audit),
  },
  layers: {
    description: 'Layer management',
    inVpc: false,
    wire: (fn, props) => fn.changesConfig(props.tables.config, props.tables.audit),
  },
  // Reads experiments from the same config table: a metric a running experiment measures is not deleted.
  metrics: {
    description: 'Metric definitions',
    inVpc: false,
    wire: (fn, props) => fn.changesConfig(props.tables.config, props.tables.audit),
  },
  // Also creates, moves and deletes the exact-time start/end schedules of each experiment.
  experiments: {
    description: 'Experiment management, lifecycle and results',
    inVpc: false,
    // analytics: the aggregates behind GET …/results (one Query per experiment), and the running bounds of their
    // always-valid figures, which each read tightens (PutItem on `BOUNDS#…` items only).
    wire: (fn, props, parts) =>
      parts.experimentScheduler.bindManager(
        fn
          .changesConfig(props.tables.config, props.tables.audit)
          .readsTable(props.tables.analytics)
          .keepsResultBounds(props.tables.analytics),
      ),
  },
  // A stage changes the schedule and its flag: both items of the config table, each with its audit entry. Also
  // creates, moves and deletes each rollout's exact-time schedule.
  'rollout-schedules': {
    description: 'Rollout schedules (gradual rollouts of a flag variation)',
    inVpc: false,
    wire: (fn, props, parts) =>
      parts.experimentScheduler.bindManager(fn.changesConfig(props.tables.config, props.tables.audit)),
  },
  // Settings and per-flag configs in the config table; a rollback changes the flag and its rollout (deleting the
  // rollout's exact-time schedule), records it (audited) and announces it on the SNS topic and the default bus.
  safety: {
    description: 'Safety settings, per-flag configs and rollbacks',
    inVpc: false,
    wire: (fn, props, parts) =>
      parts.safetyNotifications.bindNotifier(
        parts.experimentScheduler.bindManager(
          // analytics: the report's health figures.
          fn.changesConfig(props.tables.config, props.tables.audit).readsTable(props.tables.analytics),
        ),
      ),
  },
  audit: {
    description: 'Audit log queries and export',
    inVpc: false,
    wire: (fn, props) => fn.readsTable(props.tables.audit),
  },
  // The hot path: in the VPC for the cache; reads published rulesets, counts evaluations once a minute,
  // puts exposures on the events stream.
  evaluation: {
    description: 'Flag evaluation and experiment assignment for SDKs (API, ruleset download, OFREP)',
    inVpc: true,
    // Exposures are sent after the answer: on SIGTERM the rest is sent or counted as lost.
    shutdownSignal: true,
    wire: (fn, props) => {
      fn.readsTable(props.tables.rulesets)
        .writesTable(props.tables.analytics)
        .writesEvents(props.eventsStream)
        .storesLargeRulesets(props.rulesetsBucket);
      if (props.cacheUrl !== undefined) fn.usesCache(props.cacheUrl);
    },
  },
  // SDK events onto the stream; touches no table.
  events: {
    description: 'Event ingestion for SDKs (onto the events stream)',
    inVpc: false,
    wire: (fn, props) => fn.writesEvents(props.eventsStream),
  },
  // Creates and revokes keys (one transaction with the audit entry each); verifying them is the authorizer's.
  'api-keys': {
    description: 'SDK API keys',
    inVpc: false,
    wire: (fn, props) => fn.writesTable(props.tables.apiKeys).appendsAudit(props.tables.audit),
  },
};

/**
 * The stateless half of a stage: functions, the REST API generated from the route table, the WAF web
 * ACL, and alarms plus dashboard. It holds no data: everything stateful arrives through props.
 */
export class ApiStack extends Stack {
  public readonly functions: Readonly<Record<HandlerGroup, SwitchyardFunction>>;
  /** Present when the route table has SDK (`apiKey`) routes. */
  public readonly apiKeyAuthorizer?: ApiKeyAuthorizer;
  public readonly api: SwitchyardApi;
  /** Per-key throttling of the SDK routes; present with the API-key authorizer. */
  public readonly usagePlans?: SdkUsagePlans;
  public readonly monitoring: Monitoring;
  public readonly background: BackgroundFunctions;
  /** Index template, retention, writer role and dashboards on the search domain (when the stage has one). */
  public readonly searchSetup?: SearchSetup;
  public readonly experimentScheduler: ExperimentScheduler;
  /** The safety rollbacks' SNS topic (KMS) and EventBridge bus; `bindNotifier` lets a function announce them. */
  public readonly safetyNotifications: SafetyNotifications;
  /** Every function of the stack by its registered name (shared/functions.ts); the authorizer only with SDK routes. */
  public readonly registeredFunctions: Readonly<Partial<Record<FunctionName, SwitchyardFunction>>>;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config } = props;
    const routes = props.routes ?? ROUTES;
    const functionDefaults = (description: string): Omit<SwitchyardFunctionProps, 'entry'> => ({
      description: `Switchyard ${config.name}: ${description}`,
      stage: config.name,
      logRetention: config.logRetention,
      logRemovalPolicy: config.removalPolicy,
      logLevel: config.logLevel,
      memorySize: config.lambdaMemoryMb,
      timeout: config.lambdaTimeout,
    });

    // Exact-time experiment starts and ends and rollout stages (EventBridge Scheduler); the 15-minute sweep and the
    // 5-minute rollout job are background jobs.
    this.experimentScheduler = new ExperimentScheduler(this, 'ExperimentScheduler', {
      function: functionDefaults('exact-time schedule target (experiment starts and ends, rollout stages)'),
      configTable: props.tables.config,
      auditTable: props.tables.audit,
      removalPolicy: config.removalPolicy,
    });
    this.safetyNotifications = new SafetyNotifications(this, 'SafetyNotifications', {
      emails: alarmEmails(config.alarms),
      keyRemovalPolicy: config.removalPolicy,
    });
    const parts: StackParts = {
      experimentScheduler: this.experimentScheduler,
      safetyNotifications: this.safetyNotifications,
    };

    // Before any function that indexes events (SearchSetup.bindIndexer) is built.
    const searchSetup =
      props.searchDomain && props.searchAdminRole
        ? new SearchSetup(this, 'SearchSetup', {
            function: functionDefaults('search setup (index template, retention policy, dashboards)'),
            vpc: props.vpc,
            securityGroup: props.lambdaSecurityGroup,
            domain: props.searchDomain,
            adminRole: props.searchAdminRole,
            eventRetentionDays: config.search.eventRetentionDays,
            replicas: config.search.dataNodes > 1 ? 1 : 0,
            logRetention: config.logRetention,
            logRemovalPolicy: config.removalPolicy,
          })
        : undefined;
    this.searchSetup = searchSetup;
    const withCache = props.cacheUrl !== undefined;

    const functions = {} as Record<HandlerGroup, SwitchyardFunction>;
    for (const group of HANDLER_GROUPS) {
      const settings = HANDLERS[group];
      const fn = new SwitchyardFunction(this, `${pascal(group)}Handler`, {
        ...functionDefaults(settings.description),
        entry: handlerEntry(group),
        vpc: settings.inVpc && withCache ? props.vpc : undefined,
        securityGroup: settings.inVpc && withCache ? props.lambdaSecurityGroup : undefined,
        // The SDK hot path: its own share of the account's concurrency, and a ceiling (lib/config.ts).
        reservedConcurrentExecutions:
          group === 'evaluation' ? config.reservedConcurrency.evaluation : undefined,
        shutdownSignal: settings.shutdownSignal,
      }).servesHttp({ corsAllowedOrigins: config.corsAllowedOrigins, maxBodyBytes: config.maxBodyBytes });
      settings.wire(fn, props, parts);
      functions[group] = fn;
    }
    this.functions = functions;

    this.background = new BackgroundFunctions(this, 'Background', {
      streamFunctions: STREAM_FUNCTIONS,
      scheduledFunctions: SCHEDULED_FUNCTIONS,
      settings: {
        // Config stream → next ruleset revision (and every 5 minutes, the repair sweep).
        'ruleset-publisher': {
          description: 'ruleset publisher (config stream) and repair sweep',
          inVpc: withCache,
          // The repair sweep (and a first publish) reads the whole configuration and every ruleset entry: at
          // 50 000 flags that is tens of MB and longer than the 10 s default (docs/architecture.md, rulesets at scale).
          timeout: Duration.minutes(5),
          memorySize: 1024,
          wire: (fn) => {
            fn.readsTable(props.tables.config).writesTable(props.tables.rulesets);
            if (props.cacheUrl !== undefined) fn.usesCache(props.cacheUrl);
          },
        },
        'experiment-sweep': {
          description: 'experiment schedule sweep (starts and ends experiments on time)',
          inVpc: false,
          wire: (fn) => fn.changesConfig(props.tables.config, props.tables.audit),
        },
        // Also moves each rollout's exact-time schedule to the next stage it enters.
        'rollout-advancer': {
          description: 'rollout advancer (starts schedules and enters due stages)',
          inVpc: false,
          wire: (fn) =>
            this.experimentScheduler.bindManager(
              // analytics: the error/latency aggregates behind `metric` triggers.
              fn.changesConfig(props.tables.config, props.tables.audit).readsTable(props.tables.analytics),
            ),
        },
        // Judges monitored flags from the analytics table and rolls back, like the safety routes.
        'safety-monitor': {
          description: 'safety monitor (every minute: judges monitored flags, rolls back on breach)',
          inVpc: false,
          wire: (fn) =>
            this.safetyNotifications.bindNotifier(
              this.experimentScheduler.bindManager(
                fn.changesConfig(props.tables.config, props.tables.audit).readsTable(props.tables.analytics),
              ),
            ),
        },
        // Events stream → aggregates (unit states and experiment/flag aggregates in the analytics table) and
        // the search domain, which is VPC-only: hence the VPC, when the stage has one.
        'event-processor': {
          description: 'event processor (events stream → aggregates and search)',
          inVpc: searchSetup !== undefined,
          // A 1000-record batch: a few DynamoDB transactions, and _bulk requests with bounded retries.
          timeout: Duration.minutes(2),
          wire: (fn) => {
            fn.readsTable(props.tables.config).writesTable(props.tables.analytics);
            searchSetup?.bindIndexer(fn);
          },
        },
      },
      functionDefaults: {
        ...functionDefaults(''),
        vpc: props.vpc,
        securityGroup: props.lambdaSecurityGroup,
      },
      tables: props.tables,
      eventsStream: props.eventsStream,
      deadLetterQueue: props.deadLetterQueue,
      failuresBucket: props.failuresBucket,
      maxRecordAge: props.config.kinesisRetention,
      scheduleDeadLetterQueue: this.experimentScheduler.deadLetterQueue,
    });

    if (routes.some((route) => route.auth === 'apiKey')) {
      // Outside the VPC: it needs DynamoDB only, and a cold start in a VPC would delay every first SDK call.
      this.apiKeyAuthorizer = new ApiKeyAuthorizer(this, 'ApiKeyAuthorizer', {
        function: {
          ...functionDefaults('API-key authorizer of the SDK routes'),
          reservedConcurrentExecutions: config.reservedConcurrency.apiKeyAuthorizer,
        },
        table: props.tables.apiKeys,
      });
    }

    this.api = new SwitchyardApi(this, 'Api', {
      stageName: config.name,
      handlers: mapValues(functions, (fn) => fn.function),
      userPool: props.userPool,
      apiKeyAuthorizer: this.apiKeyAuthorizer?.authorizer,
      routes,
      throttlingRateLimit: config.apiThrottle.rateLimit,
      throttlingBurstLimit: config.apiThrottle.burstLimit,
      corsAllowedOrigins: config.corsAllowedOrigins,
      logRetention: config.logRetention,
      logRemovalPolicy: config.removalPolicy,
    });
    if (this.apiKeyAuthorizer) {
      this.usagePlans = new SdkUsagePlans(this, 'SdkUsagePlans', {
        restApi: this.api.restApi,
        stageName: config.name,
        throttle: config.apiKeyThrottle,
      });
    }

    if (config.firewall.enabled) {
      new ApiFirewall(this, 'Firewall', {
        stageArn: this.api.restApi.deploymentStage.stageArn,
        rateLimitPer5Minutes: config.firewall.rateLimitPer5Minutes,
        metricPrefix: `switchyard-${config.name}`,
        logRetention: config.logRetention,
        logRemovalPolicy: config.removalPolicy,
      });
    } else {
      Validations.of(this.api.restApi.deploymentStage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason:
          `No WAF web ACL in ${config.name} to save its fixed monthly cost; the stage is throttled and every ` +
          'management route needs a Cognito token. staging and prod attach one (lib/config.ts firewall).',
      });
    }

    this.registeredFunctions = {
      ...functions,
      ...(this.apiKeyAuthorizer ? { 'api-key-authorizer': this.apiKeyAuthorizer.handler } : {}),
      'experiment-scheduler': this.experimentScheduler.target,
      ...Object.fromEntries(this.background.functions),
      ...(searchSetup ? { 'search-setup': searchSetup.handler } : {}),
    };
    // The search setup runs at deploy time only (CloudFormation reports its failures): no alarms.
    const { 'search-setup': _deployTimeOnly, ...watched } = this.registeredFunctions;
    this.monitoring = new Monitoring(this, 'Monitoring', {
      apiStage: this.api.restApi.deploymentStage,
      functions: Object.fromEntries(
        Object.entries(watched).flatMap(([name, fn]) => (fn ? [[name, fn.function]] : [])),
      ),
      deadLetterQueue: props.deadLetterQueue,
      eventsStream: props.eventsStream,
      searchDomain: props.searchDomain,
      alarms: config.alarms,
      topicKeyRemovalPolicy: config.removalPolicy,
      scheduledTargetsDeadLetterQueue: this.experimentScheduler.deadLetterQueue,
      throttleAlarms: config.footprint.throttleAlarms,
      exposureLogGroups: [functions.evaluation.logGroup],
      safety: {
        rollbacks: this.safetyNotifications.metricRollbacks(),
        notificationsFailed: this.safetyNotifications.metricNotificationsFailed(),
        monitor: this.background.functions.get('safety-monitor')!.function,
      },
    });
  }
}

function pascal(value: string): string {
  return value.replace(/(^|-)([a-z])/g, (_, _dash: string, c: string) => c.toUpperCase());
}

function mapValues<K extends string, A, B>(
  record: Readonly<Record<K, A>>,
  fn: (value: A) => B,
): Record<K, B> {
  return Object.fromEntries(Object.entries<A>(record).map(([key, value]) => [key, fn(value)])) as Record<
    K,
    B
  >;
}
