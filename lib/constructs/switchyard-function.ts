import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import { SubnetType, type ISecurityGroup, type IVpc } from 'aws-cdk-lib/aws-ec2';
import {
  Grant,
  ManagedPolicy,
  PolicyStatement,
  Role,
  ServicePrincipal,
  type IGrantable,
  type IPrincipal,
} from 'aws-cdk-lib/aws-iam';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { TOUCH_ATTRIBUTES } from '../../shared/api-keys/repository';
import { RESULT_BOUNDS_PREFIX } from '../../shared/db/keys';
import {
  BASE_ENV,
  baseEnvironment,
  cacheCapability,
  eventsCapability,
  httpCapability,
  rulesetObjectsCapability,
  tableCapability,
  usersCapability,
} from '../../shared/environment';
import { RULESET_OBJECT_PREFIX } from '../../shared/rulesets/objects';
import { acknowledgeWildcardResource } from '../nag';
import { FUNCTION_BUNDLING, lazyModuleCommands } from './function-bundling';
import type { SwitchyardTable } from './switchyard-table';

/** The repository root: entries, the lock file and tsconfig are resolved from here. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Lambda runtime settings every function gets beside the base environment of shared/environment.ts. */
const RUNTIME_SETTINGS = { NODE_OPTIONS: '--enable-source-maps' } as const;

/** Environment variables every function gets; a caller may not set them through `environment`. */
export const BASE_ENV_KEYS: readonly string[] = [
  ...Object.values(BASE_ENV),
  ...Object.keys(RUNTIME_SETTINGS),
];

/** What `managesUsers` allows on the user pool: the Users API's actions and nothing more. */
export const USER_ADMIN_ACTIONS = [
  'cognito-idp:ListUsers',
  'cognito-idp:ListUsersInGroup',
  'cognito-idp:AdminGetUser',
  'cognito-idp:AdminListGroupsForUser',
  'cognito-idp:AdminCreateUser',
  'cognito-idp:AdminDeleteUser',
  'cognito-idp:AdminAddUserToGroup',
  'cognito-idp:AdminRemoveUserFromGroup',
  'cognito-idp:AdminDisableUser',
  'cognito-idp:AdminEnableUser',
] as const;

/** What `readsUsers` allows on the user pool: looking one user up (the directory's `get`), nothing more. */
export const USER_READ_ACTIONS = ['cognito-idp:AdminGetUser', 'cognito-idp:AdminListGroupsForUser'] as const;

export interface SwitchyardFunctionProps {
  /** Entry file, absolute or relative to the repository root (e.g. `lambdas/users/handler.ts`). */
  readonly entry: string;
  /**
   * Exported handler function.
   * @default 'handler'
   */
  readonly handler?: string;
  readonly description?: string;
  /** Stage name, passed to the function as STAGE. */
  readonly stage: string;
  /** Retention of the function's own log group. */
  readonly logRetention: RetentionDays;
  /** What happens to the log group when the function goes away. */
  readonly logRemovalPolicy: RemovalPolicy;
  /** POWERTOOLS_LOG_LEVEL. */
  readonly logLevel: 'DEBUG' | 'INFO';
  /**
   * Memory in MB; CPU scales with it.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * Run the function in this VPC's isolated subnets (needed to reach ElastiCache and OpenSearch).
   * @default - not in a VPC
   */
  readonly vpc?: IVpc;
  /**
   * Security group of the function's network interfaces; only with `vpc`.
   * @default - a security group of its own when `vpc` is given
   */
  readonly securityGroup?: ISecurityGroup;
  /**
   * Concurrent executions reserved for the function: guaranteed to it, and its ceiling.
   * @default - none: the function draws on the account's unreserved pool
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Extra environment variables. Names of BASE_ENV_KEYS are refused: the construct owns them. Resources and
   * settings reach a function through the intent methods instead, which name them in shared/environment.ts.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Have Lambda send the runtime SIGTERM (500 ms to act) before it destroys an execution environment, for a
   * function that keeps work in memory past its answers (buffered exposures): `shared/aws/shutdown-signal.mjs`
   * is copied beside the bundle and preloaded with `NODE_OPTIONS=--import`, and registers a no-op internal
   * extension before the runtime's first Next — Lambda signals only functions with an extension registered.
   * @default false - no extension, no SIGTERM
   */
  readonly shutdownSignal?: boolean;
}

/** The preload that registers the shutdown-signal extension, and where Lambda finds it (the task root). */
export const SHUTDOWN_SIGNAL_SOURCE = 'shared/aws/shutdown-signal.mjs';
export const SHUTDOWN_SIGNAL_PRELOAD = '/var/task/shutdown-signal.mjs';

/** What `servesHttp` passes to a route group's function. */
export interface HttpSettings {
  /** Passed comma-joined as CORS_ALLOWED_ORIGINS; the HTTP layer answers CORS from it. */
  readonly corsAllowedOrigins: readonly string[];
  /** Passed as MAX_BODY_BYTES; larger bodies are refused with 413 before parsing. */
  readonly maxBodyBytes: number;
}

/**
 * A Switchyard Lambda function: Node.js 22 on ARM64, X-Ray active tracing, minified bundle with source
 * maps, its own log group with the stage's retention, and a role that can do nothing but write that log
 * group until an intent method (`readsTable`, `writesTable`, `writesEvents`, …) grants more — each grant also
 * hands the function the environment variables through which it finds the resource, named in
 * shared/environment.ts. Constructs that own a resource bind functions to it themselves
 * (`ExperimentScheduler.bindManager`, `SearchSetup.bindIndexer`) through `receiveEnvironment`.
 */
export class SwitchyardFunction extends Construct implements IGrantable {
  public readonly function: NodejsFunction;
  public readonly logGroup: LogGroup;
  public readonly role: Role;

  constructor(scope: Construct, id: string, props: SwitchyardFunctionProps) {
    super(scope, id);
    const entry = path.resolve(REPO_ROOT, props.entry);
    validateProps(this, props, entry);

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    // Our own role instead of AWSLambdaBasicExecutionRole: it may write to this log group only.
    this.role = new Role(this, 'ServiceRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${this.node.path}`,
      // Lambda adds the VPC policy only to roles it creates: with our own role, a function in the VPC needs
      // it explicitly to create its network interfaces.
      ...(props.vpc
        ? {
            managedPolicies: [
              ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'),
            ],
          }
        : {}),
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry,
      handler: props.handler ?? 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      logGroup: this.logGroup,
      role: this.role,
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      vpc: props.vpc,
      vpcSubnets: props.vpc ? { subnetType: SubnetType.PRIVATE_ISOLATED } : undefined,
      securityGroups: props.securityGroup ? [props.securityGroup] : undefined,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      bundling: {
        // CommonJS output: esbuild converts the ESM-only packages (middy 7) while bundling.
        format: OutputFormat.CJS,
        ...FUNCTION_BUNDLING,
        mainFields: [...FUNCTION_BUNDLING.mainFields],
        externalModules: [...FUNCTION_BUNDLING.externalModules],
        // The lazy modules (external above) ship beside the bundle, each bundled into node_modules/<name>; the
        // shutdown-signal preload is copied beside it for the functions that ask for it.
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir, outputDir) => [
            ...lazyModuleCommands(inputDir, outputDir),
            ...(props.shutdownSignal === true ? copyShutdownSignal.afterBundling(inputDir, outputDir) : []),
          ],
        },
      },
      environment: {
        ...props.environment,
        ...baseEnvironment({ stage: props.stage, logLevel: props.logLevel }),
        ...RUNTIME_SETTINGS,
        ...(props.shutdownSignal === true
          ? { NODE_OPTIONS: `${RUNTIME_SETTINGS.NODE_OPTIONS} --import=${SHUTDOWN_SIGNAL_PRELOAD}` }
          : {}),
      },
    });

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to nodejs22.x, the runtime Switchyard is built and tested on (ARCHITECTURE.md); moving to ' +
        'nodejs24.x is a deliberate upgrade of the whole platform, not a silent default.',
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Added by active X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no ' +
        'resource-level permissions, so their resource must be "*".',
    });
    if (props.vpc) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason:
          'Lambda needs AWSLambdaVPCAccessExecutionRole to attach ENIs in the VPC; its ec2 network-interface ' +
          'actions have no resource-level scoping to narrow a hand-written policy to.',
      });
    }
  }

  public get grantPrincipal(): IPrincipal {
    return this.role;
  }

  /**
   * Set environment variables rendered by a capability of shared/environment.ts — for the bind methods of the
   * constructs that own a resource; everything else goes through an intent method of this class.
   */
  public receiveEnvironment(variables: Readonly<Record<string, string>>): this {
    for (const [name, value] of Object.entries(variables)) this.function.addEnvironment(name, value);
    return this;
  }

  /**
   * Serve API Gateway routes (a route group's function): the HTTP settings of the stage, in
   * CORS_ALLOWED_ORIGINS and MAX_BODY_BYTES. Functions that serve no HTTP do not get them.
   */
  public servesHttp(settings: HttpSettings): this {
    if (!Number.isInteger(settings.maxBodyBytes) || settings.maxBodyBytes <= 0) {
      throw new Error(
        `${this.node.path}: maxBodyBytes must be a positive integer, got ${settings.maxBodyBytes}`,
      );
    }
    return this.receiveEnvironment(httpCapability.render(settings));
  }

  /** Read items of `table` (GetItem, Query, Scan, BatchGet); the function finds it in `TABLE_<ID>`. */
  public readsTable(table: SwitchyardTable): this {
    table.grantReadData(this.role);
    return this.tableGranted(table);
  }

  /** Read and write items of `table` (including transactions); the function finds it in `TABLE_<ID>`. */
  public writesTable(table: SwitchyardTable): this {
    table.grantReadWriteData(this.role);
    return this.tableGranted(table);
  }

  private tableGranted(table: SwitchyardTable): this {
    const { id, globalIndexes } = table.definition;
    this.receiveEnvironment(tableCapability(id).render(table.tableName));
    if (globalIndexes.length > 0) {
      acknowledgeWildcardResource(
        this.role,
        table.tableArn,
        '/index/*',
        `The ${id} table grant covers its global secondary indexes (<table arn>/index/*): querying them is ` +
          'part of reading the table, and shared/db/tables.ts fixes which indexes exist.',
      );
    }
    return this;
  }

  /**
   * Append audit entries, and nothing else: PutItem only (what a transaction's Put needs), so no function can
   * rewrite or delete history. The function finds the table in TABLE_AUDIT.
   */
  public appendsAudit(table: SwitchyardTable): this {
    if (table.definition.id !== 'audit')
      throw new Error(`appendsAudit needs the audit table, got ${table.definition.id}`);
    table.grant(this.role, 'dynamodb:PutItem');
    return this.tableGranted(table);
  }

  /**
   * Change configuration resources (shared/config): read and write the config table, each change committed with
   * its audit entry (`writesTable` and `appendsAudit`).
   */
  public changesConfig(config: SwitchyardTable, audit: SwitchyardTable): this {
    if (config.definition.id !== 'config')
      throw new Error(`changesConfig needs the config table, got ${config.definition.id}`);
    return this.writesTable(config).appendsAudit(audit);
  }

  /**
   * Keep the running bounds of experiment results (shared/results/bounds.ts) in the analytics table, and write
   * nothing else there: PutItem only, on items whose partition key starts with `BOUNDS#` (`dynamodb:LeadingKeys`),
   * so the function can neither change an aggregate nor a unit state. Reading the table is `readsTable`'s.
   */
  public keepsResultBounds(table: SwitchyardTable): this {
    if (table.definition.id !== 'analytics')
      throw new Error(`keepsResultBounds needs the analytics table, got ${table.definition.id}`);
    Grant.addToPrincipal({
      grantee: this.role,
      actions: ['dynamodb:PutItem'],
      resourceArns: [table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${RESULT_BOUNDS_PREFIX}*`] } },
    });
    return this.tableGranted(table);
  }

  /**
   * What the API-key authorizer needs, and nothing more: GetItem on the apiKeys table (one key by the hash of
   * its secret), and UpdateItem restricted by `dynamodb:Attributes` to the key attributes and `lastUsedAt`,
   * so it can record that a key was used but never un-revoke, retype or rename one. Neither reaches the
   * index, so the function cannot list keys. The function finds the table in TABLE_API_KEYS.
   */
  public verifiesApiKeys(table: SwitchyardTable): this {
    if (table.definition.id !== 'apiKeys')
      throw new Error(`verifiesApiKeys needs the apiKeys table, got ${table.definition.id}`);
    Grant.addToPrincipal({
      grantee: this.role,
      actions: ['dynamodb:GetItem'],
      resourceArns: [table.tableArn],
    });
    Grant.addToPrincipal({
      grantee: this.role,
      actions: ['dynamodb:UpdateItem'],
      resourceArns: [table.tableArn],
      conditions: { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...TOUCH_ATTRIBUTES] } },
    });
    return this.receiveEnvironment(tableCapability(table.definition.id).render(table.tableName));
  }

  /**
   * Administer the users of `userPool` through the Users API: only the listed Cognito actions, on that pool.
   * The function finds it in USER_POOL_ID (with USER_DIRECTORY=cognito).
   */
  public managesUsers(userPool: IUserPool): this {
    userPool.grant(this.role, ...USER_ADMIN_ACTIONS);
    return this.receiveEnvironment(
      usersCapability.render({ kind: 'cognito', userPoolId: userPool.userPoolId }),
    );
  }

  /**
   * Look users of `userPool` up (whether one exists and is enabled: a flag's new owner), without changing any:
   * `AdminGetUser` and `AdminListGroupsForUser` on that pool. Found in USER_POOL_ID (with USER_DIRECTORY=cognito).
   */
  public readsUsers(userPool: IUserPool): this {
    userPool.grant(this.role, ...USER_READ_ACTIONS);
    return this.receiveEnvironment(
      usersCapability.render({ kind: 'cognito', userPoolId: userPool.userPoolId }),
    );
  }

  /**
   * Use the shared cache (ElastiCache Serverless Valkey). Access is by network: the function must run in the
   * VPC with the Lambda security group, which the cache's security group admits. Found in CACHE_URL.
   */
  public usesCache(cacheUrl: string): this {
    if (!this.function.isBoundToVpc) throw new Error('usesCache needs a function in the VPC');
    return this.receiveEnvironment(cacheCapability.render(cacheUrl));
  }

  /** Put records on the events stream; the function finds it in EVENTS_STREAM_NAME. */
  public writesEvents(stream: IStream): this {
    stream.grantWrite(this.role);
    return this.receiveEnvironment(eventsCapability.render(stream.streamName));
  }

  /**
   * Store rulesets too large for a response in `bucket` and hand out presigned URLs of them
   * (shared/rulesets/objects.ts): GetObject and PutObject under `rulesets/` only, and ListBucket on that prefix
   * (so that a missing object answers 404, not 403). Found in RULESET_BUCKET_NAME (with RULESET_OBJECTS=s3).
   */
  public storesLargeRulesets(bucket: IBucket): this {
    const objects = bucket.arnForObjects(`${RULESET_OBJECT_PREFIX}*`);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject'], resources: [objects] }),
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${RULESET_OBJECT_PREFIX}*`] } },
      }),
    );
    acknowledgeWildcardResource(
      this.role,
      bucket.bucketArn,
      `/${RULESET_OBJECT_PREFIX}*`,
      'Rulesets are stored one object per revision (rulesets/<revision>.json), so the revisions cannot be ' +
        'listed in advance; the grant is limited to that prefix of the rulesets bucket.',
    );
    return this.receiveEnvironment(
      rulesetObjectsCapability.render({ kind: 's3', bucketName: bucket.bucketName }),
    );
  }
}

function validateProps(scope: Construct, props: SwitchyardFunctionProps, entry: string): void {
  const where = scope.node.path;
  if (!fs.existsSync(entry)) {
    throw new Error(`${where}: entry file ${entry} does not exist`);
  }
  const memory = props.memorySize;
  if (memory !== undefined && (!Number.isInteger(memory) || memory < 128 || memory > 10240)) {
    throw new Error(`${where}: memorySize must be an integer between 128 and 10240 MB, got ${memory}`);
  }
  const timeout = props.timeout?.toSeconds();
  if (timeout !== undefined && (timeout < 1 || timeout > 900)) {
    throw new Error(`${where}: timeout must be between 1 and 900 seconds, got ${timeout}`);
  }
  if (props.securityGroup && !props.vpc) {
    throw new Error(`${where}: securityGroup needs vpc`);
  }
  const reserved = Object.keys(props.environment ?? {}).filter((key) => BASE_ENV_KEYS.includes(key));
  if (reserved.length > 0) {
    throw new Error(`${where}: environment may not set ${reserved.join(', ')}: SwitchyardFunction sets them`);
  }
}

/** Bundling hooks that put the shutdown-signal preload beside the bundle (it is plain JavaScript, not bundled). */
export const copyShutdownSignal: ICommandHooks = {
  beforeBundling: () => [],
  beforeInstall: () => [],
  afterBundling: (inputDir, outputDir) => [
    `cp "${path.join(inputDir, SHUTDOWN_SIGNAL_SOURCE)}" "${path.join(outputDir, path.basename(SHUTDOWN_SIGNAL_PRELOAD))}"`,
  ],
};
