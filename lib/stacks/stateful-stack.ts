import { CfnOutput, Duration, Names, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import type { UserPoolClient, UserPoolGroup } from 'aws-cdk-lib/aws-cognito';
import {
  UserPool,
  AccountRecovery,
  FeaturePlan,
  Mfa,
  StandardThreatProtectionMode,
  UserPoolClientIdentityProvider,
} from 'aws-cdk-lib/aws-cognito';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  InterfaceVpcEndpointAwsService,
  IpAddresses,
  Port,
  SecurityGroup,
  SubnetType,
  Vpc,
  type SubnetSelection,
} from 'aws-cdk-lib/aws-ec2';
import { CfnServerlessCache } from 'aws-cdk-lib/aws-elasticache';
import { AccountRootPrincipal, Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Stream, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { LogGroup, ResourcePolicy } from 'aws-cdk-lib/aws-logs';
import type { CfnDomain } from 'aws-cdk-lib/aws-opensearchservice';
import { Domain, EngineVersion, TLSSecurityPolicy } from 'aws-cdk-lib/aws-opensearchservice';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ROLES, type Role as SwitchyardRole } from '../../shared/auth/roles';
import { TABLES, TABLE_IDS, type TableId } from '../../shared/db/tables';
import { RULESET_OBJECT_PREFIX } from '../../shared/rulesets/objects';
import type { StageConfig } from '../config';
import { SwitchyardTable } from '../constructs/switchyard-table';
import { acknowledgeWildcardResource } from '../nag';

export interface StatefulStackProps extends StackProps {
  readonly config: StageConfig;
}

/** Port of the Valkey endpoint (ElastiCache Serverless always listens on 6379, TLS only). */
export const CACHE_PORT = 6379;

/**
 * Everything that holds data or identity: network, tables, event stream, user pool, search domain,
 * cache and the events dead-letter queue. Construct ids here are pinned by test/infra/logical-ids.test.ts:
 * renaming one would replace the resource and lose its data.
 */
export class StatefulStack extends Stack {
  public readonly vpc: Vpc;
  /** Attach every function that runs in the VPC to this group: cache, search and endpoints admit it. */
  public readonly lambdaSecurityGroup: SecurityGroup;
  public readonly tables: Readonly<Record<TableId, SwitchyardTable>>;
  public readonly eventsStream: Stream;
  public readonly userPool: UserPool;
  public readonly userPoolClient: UserPoolClient;
  public readonly userPoolGroups: Readonly<Record<SwitchyardRole, UserPoolGroup>>;
  /** Absent when the stage builds no search domain (lib/config.ts footprint.searchDomain). */
  public readonly searchDomain?: Domain;
  /** IAM role mapped to OpenSearch's master user (fine-grained access control); assumable by account admins. */
  public readonly searchAdminRole?: Role;
  /** Absent when the stage builds no cache (lib/config.ts footprint.rulesetCache). */
  public readonly cache?: CfnServerlessCache;
  /** `rediss://<endpoint>:<port>`: ElastiCache Serverless speaks TLS only. */
  public readonly cacheUrl?: string;
  public readonly deadLetterQueue: Queue;
  /**
   * The events stream's failure store: each batch the event processor could not process before its records would
   * expire, kept whole (the event source mapping's S3 on-failure destination); `npm run redrive` replays them.
   */
  public readonly failuresBucket: Bucket;
  /** Rulesets too large for a Lambda response, one object per revision (shared/rulesets/objects.ts). */
  public readonly rulesetsBucket: Bucket;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;

    // ---- Network: isolated subnets only; AWS services are reached through endpoints, not a NAT.
    const flowLogGroup = new LogGroup(this, 'VpcFlowLogs', {
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });
    this.vpc = new Vpc(this, 'Vpc', {
      ipAddresses: IpAddresses.cidr('10.40.0.0/16'),
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 20 }],
      flowLogs: {
        all: {
          destination: FlowLogDestination.toCloudWatchLogs(flowLogGroup),
          trafficType: FlowLogTrafficType.ALL,
        },
      },
    });
    const isolated: SubnetSelection = { subnetType: SubnetType.PRIVATE_ISOLATED };
    this.vpc.addGatewayEndpoint('DynamoDbEndpoint', {
      service: GatewayVpcEndpointAwsService.DYNAMODB,
      subnets: [isolated],
    });

    this.lambdaSecurityGroup = new SecurityGroup(this, 'LambdaSecurityGroup', {
      vpc: this.vpc,
      description:
        'Switchyard functions in the VPC (admitted by the cache, the search domain and the endpoints)',
    });
    // Each interface endpoint bills per AZ-hour: only those the functions in the VPC need (lib/config.ts footprint).
    const { searchDomain: withSearch, rulesetCache: withCache } = config.footprint;
    const endpoints = [
      // The evaluation function (in the VPC for the cache) puts exposures on the events stream.
      ...(withCache ? [['KinesisEndpoint', InterfaceVpcEndpointAwsService.KINESIS_STREAMS] as const] : []),
      // Functions in the VPC trace with X-Ray; without a NAT their segments need this endpoint.
      ...(withCache || withSearch ? [['XRayEndpoint', InterfaceVpcEndpointAwsService.XRAY] as const] : []),
      // The search setup custom resource assumes the search admin role (the domain's master user) from the VPC.
      ...(withSearch ? [['StsEndpoint', InterfaceVpcEndpointAwsService.STS] as const] : []),
    ];
    if (endpoints.length > 0) {
      const endpointSecurityGroup = this.privateSecurityGroup(
        'EndpointSecurityGroup',
        'Interface VPC endpoints',
      );
      endpointSecurityGroup.addIngressRule(
        this.lambdaSecurityGroup,
        Port.tcp(443),
        'HTTPS from Switchyard functions',
      );
      for (const [id, service] of endpoints) {
        this.vpc.addInterfaceEndpoint(id, {
          service,
          subnets: isolated,
          privateDnsEnabled: true,
          securityGroups: [endpointSecurityGroup],
          open: false,
        });
      }
    }

    // ---- DynamoDB: one table per shared definition; the construct id is the definition's id.
    const tables = {} as Record<TableId, SwitchyardTable>;
    for (const tableId of TABLE_IDS) {
      tables[tableId] = new SwitchyardTable(this, tableId, {
        definition: TABLES[tableId],
        removalPolicy: config.removalPolicy,
        deletionProtection: config.deletionProtection,
        pointInTimeRecovery: config.pointInTimeRecovery,
      });
    }
    this.tables = tables;

    // ---- Events: Kinesis in, with the AWS-managed key (aws/kinesis) — see AwsSolutions-KDS3.
    this.eventsStream = new Stream(this, 'EventsStream', {
      streamMode: StreamMode.PROVISIONED,
      shardCount: config.kinesisShardCount,
      retentionPeriod: config.kinesisRetention,
      encryption: StreamEncryption.MANAGED,
      removalPolicy: config.removalPolicy,
    });
    this.deadLetterQueue = new Queue(this, 'EventsDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: config.removalPolicy,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue (on-failure destination of the config-stream event source); ' +
        'it has no consumer whose failures would need a further DLQ.',
    });
    this.failuresBucket = new Bucket(this, 'EventFailuresBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      removalPolicy: config.removalPolicy,
      lifecycleRules: [
        // Redriven batches are kept a month for audit; the others until redriven (a year at most).
        { id: 'redriven', prefix: 'redriven/', expiration: Duration.days(30) },
        { id: 'unredriven', expiration: Duration.days(365) },
      ],
    });
    Validations.of(this.failuresBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Written only by the event source mapping (failed batches) and read by the redrive; server access logs ' +
        'would need a second bucket for an object or two a year. CloudTrail records the redrive’s API calls.',
    });

    this.rulesetsBucket = new Bucket(this, 'RulesetsBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      removalPolicy: config.removalPolicy,
      // Old revisions are never read again once a newer one is served; the evaluation function stores the
      // current one again when it finds it gone (it checks every 5 minutes).
      lifecycleRules: [{ id: 'old-revisions', prefix: RULESET_OBJECT_PREFIX, expiration: Duration.days(30) }],
    });
    Validations.of(this.rulesetsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Holds copies of published rulesets (the rulesets table is the record) that SDKs read through presigned ' +
        'URLs the evaluation function issues; server access logs would need a second bucket for derived data.',
    });

    // ---- Identity.
    this.userPool = this.createUserPool(config);
    this.userPoolClient = this.userPool.addClient('WebClient', {
      generateSecret: false,
      // SRP only: the password never leaves the client (no USER_PASSWORD_AUTH); refresh tokens renew sessions.
      authFlows: { userSrp: true },
      disableOAuth: true,
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });
    const groups = {} as Record<SwitchyardRole, UserPoolGroup>;
    ROLES.forEach((role, strength) => {
      groups[role] = this.userPool.addGroup(`${pascal(role)}Group`, {
        groupName: role,
        // Cognito puts the lowest precedence first in cognito:preferred_role; ROLES is strongest first.
        precedence: strength,
        description: `Switchyard role ${role}`,
      });
    });
    this.userPoolGroups = groups;

    // ---- Search, in the VPC, reachable on 443 from the functions only.
    if (withSearch) {
      const searchSecurityGroup = this.privateSecurityGroup('SearchSecurityGroup', 'OpenSearch domain');
      searchSecurityGroup.addIngressRule(
        this.lambdaSecurityGroup,
        Port.tcp(443),
        'HTTPS from Switchyard functions',
      );
      const searchAdminRole = new Role(this, 'SearchAdminRole', {
        assumedBy: new AccountRootPrincipal(),
        description:
          'OpenSearch master user (fine-grained access control); assume it to administer the domain',
      });
      this.searchAdminRole = searchAdminRole;
      this.searchDomain = this.createSearchDomain(config, searchSecurityGroup, searchAdminRole);
      new CfnOutput(this, 'SearchDomainEndpoint', { value: this.searchDomain.domainEndpoint });
      new CfnOutput(this, 'SearchAdminRoleArn', { value: searchAdminRole.roleArn });
    }

    // ---- Cache: ElastiCache Serverless for Valkey in the isolated subnets (TLS is always on).
    if (withCache) {
      const cacheSecurityGroup = this.privateSecurityGroup('CacheSecurityGroup', 'Valkey serverless cache');
      cacheSecurityGroup.addIngressRule(
        this.lambdaSecurityGroup,
        Port.tcp(CACHE_PORT),
        'Valkey (TLS) from Switchyard functions',
      );
      this.cache = new CfnServerlessCache(this, 'Cache', {
        engine: 'valkey',
        majorEngineVersion: '8',
        serverlessCacheName: generatedName(this, 'Cache', 40),
        description: `Switchyard ruleset cache (${config.name})`,
        subnetIds: this.vpc.isolatedSubnets.map((subnet) => subnet.subnetId),
        securityGroupIds: [cacheSecurityGroup.securityGroupId],
        cacheUsageLimits: {
          dataStorage: { maximum: config.cache.maxDataStorageGb, unit: 'GB' },
          ecpuPerSecond: { maximum: config.cache.maxEcpuPerSecond },
        },
        snapshotRetentionLimit:
          config.cache.snapshotRetentionDays > 0 ? config.cache.snapshotRetentionDays : undefined,
      });
      this.cache.applyRemovalPolicy(config.removalPolicy);
      this.cacheUrl = `rediss://${this.cache.attrEndpointAddress}:${this.cache.attrEndpointPort}`;
      new CfnOutput(this, 'CacheEndpoint', { value: this.cache.attrEndpointAddress });
    }

    // What operators and tooling (docs, token minting, smoke tests) look up after a deploy.
    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.userPoolClient.userPoolClientId });
    new CfnOutput(this, 'EventsStreamName', { value: this.eventsStream.streamName });
    new CfnOutput(this, 'EventFailuresBucketName', { value: this.failuresBucket.bucketName });
  }

  /** A security group that only answers (no outbound rules): ingress is added by the caller. */
  private privateSecurityGroup(id: string, purpose: string): SecurityGroup {
    return new SecurityGroup(this, id, {
      vpc: this.vpc,
      description: `${purpose}: ingress from Switchyard functions only`,
      allowAllOutbound: false,
    });
  }

  private createUserPool(config: StageConfig): UserPool {
    const pool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: config.cognito.mfaRequired ? Mfa.REQUIRED : Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode:
        config.cognito.threatProtection === 'ENFORCED'
          ? StandardThreatProtectionMode.FULL_FUNCTION
          : StandardThreatProtectionMode.AUDIT_ONLY,
      deletionProtection: config.deletionProtection,
      removalPolicy: config.removalPolicy,
    });
    if (!config.cognito.mfaRequired) {
      Validations.of(pool).acknowledge({
        id: 'AwsSolutions-COG2',
        reason:
          `MFA is optional (TOTP available) in ${config.name}, so scripted smoke tests and newcomers can sign ` +
          'in with a password; prod requires TOTP MFA (lib/config.ts cognito.mfaRequired).',
      });
    }
    return pool;
  }

  private createSearchDomain(config: StageConfig, securityGroup: SecurityGroup, adminRole: Role): Domain {
    const { search } = config;
    const logGroup = (id: string) =>
      new LogGroup(this, id, { retention: config.logRetention, removalPolicy: config.removalPolicy });
    const slowSearchLogGroup = logGroup('SearchSlowSearchLogs');
    const slowIndexLogGroup = logGroup('SearchSlowIndexLogs');
    const appLogGroup = logGroup('SearchAppLogs');
    // One native resource policy for all three groups, instead of the custom-resource Lambda the Domain
    // construct would add per domain (CloudWatch Logs allows only 10 resource policies per region).
    const logsPolicy = new ResourcePolicy(this, 'SearchLogsResourcePolicy', {
      policyStatements: [
        new PolicyStatement({
          effect: Effect.ALLOW,
          principals: [new ServicePrincipal('es.amazonaws.com')],
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [slowSearchLogGroup, slowIndexLogGroup, appLogGroup].map((group) => group.logGroupArn),
          conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
        }),
      ],
    });

    const subnets: SubnetSelection[] = search.zoneAwareness
      ? [{ subnetType: SubnetType.PRIVATE_ISOLATED }]
      : // A domain without zone awareness lives in exactly one subnet.
        [{ subnets: [this.vpc.isolatedSubnets[0]!] }];
    const domain = new Domain(this, 'SearchDomain', {
      version: EngineVersion.OPENSEARCH_2_19,
      vpc: this.vpc,
      vpcSubnets: subnets,
      securityGroups: [securityGroup],
      capacity: {
        dataNodes: search.dataNodes,
        dataNodeInstanceType: search.dataNodeInstanceType,
        masterNodes: search.masterNodes > 0 ? search.masterNodes : undefined,
        masterNodeInstanceType: search.masterNodes > 0 ? search.masterNodeInstanceType : undefined,
        multiAzWithStandbyEnabled: false,
      },
      zoneAwareness: search.zoneAwareness ? { enabled: true, availabilityZoneCount: 2 } : { enabled: false },
      ebs: { enabled: true, volumeSize: search.ebsVolumeGiB },
      encryptionAtRest: { enabled: true },
      nodeToNodeEncryption: true,
      enforceHttps: true,
      tlsSecurityPolicy: TLSSecurityPolicy.TLS_1_2,
      fineGrainedAccessControl: { masterUserArn: adminRole.roleArn },
      logging: {
        slowSearchLogEnabled: true,
        slowSearchLogGroup,
        slowIndexLogEnabled: true,
        slowIndexLogGroup,
        appLogEnabled: true,
        appLogGroup,
      },
      suppressLogsResourcePolicy: true,
      enableAutoSoftwareUpdate: true,
      removalPolicy: config.removalPolicy,
    });
    domain.node.addDependency(logsPolicy);

    // Identity-based access: any principal of this account whose IAM policy allows es:ESHttp* (the functions
    // get it through grants); then fine-grained access control maps it to OpenSearch roles. Set on the L1
    // because the Domain construct would install it with a custom-resource Lambda. A domain's resource
    // policy only ever applies to that domain, so `domain/*` does not widen it.
    const cfnDomain = domain.node.defaultChild as CfnDomain;
    cfnDomain.accessPolicies = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: new AccountRootPrincipal().arn },
          Action: 'es:ESHttp*',
          Resource: `arn:${this.partition}:es:${this.region}:${this.account}:domain/*`,
        },
      ],
    };
    domain.grantReadWrite(adminRole);
    acknowledgeWildcardResource(
      adminRole,
      domain.domainArn,
      '/*',
      'The master user administers the whole domain: every index and API path under the domain ARN.',
    );

    Validations.of(domain).acknowledge({
      id: 'AwsSolutions-OS3',
      reason:
        'VPC-only domain: OpenSearch does not support IP-based access policies for VPC domains; network ' +
        'access is limited by its security group to the Switchyard function security group.',
    });
    if (search.masterNodes === 0) {
      Validations.of(domain).acknowledge({
        id: 'AwsSolutions-OS4',
        reason: `${config.name} runs ${search.dataNodes} small data node(s) for cost; dedicated master nodes are a prod setting (lib/config.ts).`,
      });
    }
    if (!search.zoneAwareness) {
      Validations.of(domain).acknowledge({
        id: 'AwsSolutions-OS7',
        reason: `${config.name} runs a single data node for cost, which cannot span zones; staging and prod use two AZs.`,
      });
    }
    return domain;
  }
}

function pascal(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}

/**
 * A lowercase physical name for a resource whose name CloudFormation requires, derived from the scope's
 * unique name (for a stack: its stack name), so it is generated, stable and distinct per stage.
 */
function generatedName(scope: Construct, id: string, maxLength: number): string {
  const unique = Names.uniqueResourceName(scope, { maxLength: maxLength - id.length - 1, separator: '-' });
  return `${id}-${unique}`.toLowerCase();
}
