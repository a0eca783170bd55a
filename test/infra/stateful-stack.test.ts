import { RemovalPolicy } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { STAGE_NAMES } from '../../lib/config';
import { CACHE_PORT } from '../../lib/stacks/stateful-stack';
import { ROLES } from '../../shared/auth/roles';
import { TABLES, TABLE_IDS, keyAttributes } from '../../shared/db/tables';
import { onlyResource, resourcesOf, stageOf } from './synth';

describe.each(STAGE_NAMES)('stateful stack (%s)', (name) => {
  const { stateful, config } = stageOf(name);
  const tables = resourcesOf(stateful, 'AWS::DynamoDB::Table');

  describe('DynamoDB tables, built from shared/db/tables.ts', () => {
    it('has exactly one table per definition', () => {
      expect(Object.keys(tables)).toHaveLength(TABLE_IDS.length);
    });

    it.each(TABLE_IDS)('%s: keys, indexes, stream and TTL as defined', (id) => {
      const def = TABLES[id];
      const matches = Object.entries(tables).filter(([logicalId]) => logicalId.startsWith(id));
      expect(matches).toHaveLength(1);
      const props = matches[0]![1].Properties!;

      const keySchema = [
        { AttributeName: def.partitionKey.name, KeyType: 'HASH' },
        ...(def.sortKey ? [{ AttributeName: def.sortKey.name, KeyType: 'RANGE' }] : []),
      ];
      expect(props.KeySchema).toEqual(keySchema);
      expect(props.AttributeDefinitions).toEqual(
        expect.arrayContaining(
          keyAttributes(def).map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
        ),
      );
      expect(props.AttributeDefinitions).toHaveLength(keyAttributes(def).length);

      const indexes = (props.GlobalSecondaryIndexes ?? []) as { IndexName: string; KeySchema: unknown }[];
      expect(indexes.map((i) => i.IndexName)).toEqual(def.globalIndexes.map((i) => i.name));
      for (const index of def.globalIndexes) {
        expect(indexes.find((i) => i.IndexName === index.name)).toMatchObject({
          KeySchema: [
            { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
            ...(index.sortKey ? [{ AttributeName: index.sortKey.name, KeyType: 'RANGE' }] : []),
          ],
          Projection: { ProjectionType: 'ALL' },
        });
      }

      if (def.stream) expect(props.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
      else expect(props.StreamSpecification).toBeUndefined();
      if (def.ttlAttribute) {
        expect(props.TimeToLiveSpecification).toEqual({ AttributeName: def.ttlAttribute, Enabled: true });
      } else {
        expect(props.TimeToLiveSpecification).toBeUndefined();
      }
      expect(props.TableName).toBeUndefined();
    });

    it('every table is on demand, KMS-encrypted and has point-in-time recovery', () => {
      for (const table of Object.values(tables)) {
        expect(table.Properties).toMatchObject({
          BillingMode: 'PAY_PER_REQUEST',
          // SSEEnabled without a key = the AWS-managed KMS key (aws/dynamodb), not the AWS-owned default.
          SSESpecification: { SSEEnabled: true },
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        });
      }
    });

    it('the config table streams new and old images to the publisher', () => {
      const [, config] = Object.entries(tables).find(([logicalId]) => logicalId.startsWith('config'))!;
      expect(config.Properties!.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
    });

    const retain = config.removalPolicy === RemovalPolicy.RETAIN;
    it(`${retain ? 'retains' : 'deletes'} tables with the stack`, () => {
      for (const table of Object.values(tables)) {
        expect(table.DeletionPolicy).toBe(retain ? 'Retain' : 'Delete');
        expect(table.UpdateReplacePolicy).toBe(retain ? 'Retain' : 'Delete');
        expect(Boolean(table.Properties!.DeletionProtectionEnabled)).toBe(config.deletionProtection);
      }
    });
  });

  it('tags resources with the project and the stage', () => {
    stateful.hasResourceProperties('AWS::Kinesis::Stream', {
      Tags: Match.arrayWith([
        { Key: 'Project', Value: 'Switchyard' },
        { Key: 'Stage', Value: name },
      ]),
    });
  });

  it('the events stream is KMS-encrypted with the AWS-managed key and sized per stage', () => {
    stateful.hasResourceProperties('AWS::Kinesis::Stream', {
      ShardCount: config.kinesisShardCount,
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
    });
  });

  it('the VPC has isolated subnets in two AZs, no NAT or internet gateway, and the endpoints', () => {
    expect(Object.keys(resourcesOf(stateful, 'AWS::EC2::Subnet'))).toHaveLength(2);
    stateful.resourceCountIs('AWS::EC2::NatGateway', 0);
    stateful.resourceCountIs('AWS::EC2::InternetGateway', 0);
    stateful.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: Match.objectLike({
        'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('\\.dynamodb$')])],
      }),
    });
    const interfaceEndpoints = Object.values(resourcesOf(stateful, 'AWS::EC2::VPCEndpoint')).filter(
      (e) => e.Properties!.VpcEndpointType === 'Interface',
    );
    if (config.footprint.rulesetCache) {
      // Functions in the VPC put exposures on the stream.
      stateful.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Interface',
        ServiceName: Match.objectLike({
          'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('\\.kinesis-streams$')])],
        }),
        PrivateDnsEnabled: true,
      });
    } else if (!config.footprint.searchDomain) {
      // Nothing runs in the VPC: no interface endpoint bills by the AZ-hour.
      expect(interfaceEndpoints).toEqual([]);
    }
    stateful.resourceCountIs('AWS::EC2::FlowLog', 1);
  });

  // The stage's footprint (lib/config.ts) decides whether it has a domain and a cache: dev has neither.
  if (config.footprint.searchDomain) {
    describe('OpenSearch domain', () => {
      const domain = onlyResource(stateful, 'AWS::OpenSearchService::Domain');
      const props = domain.Properties!;

      it('lives in the VPC behind its own security group', () => {
        const vpcOptions = props.VPCOptions as { SubnetIds: unknown[]; SecurityGroupIds: unknown[] };
        expect(vpcOptions.SubnetIds).toHaveLength(config.search.zoneAwareness ? 2 : 1);
        expect(vpcOptions.SecurityGroupIds).toHaveLength(1);
      });

      it('encrypts at rest and node to node, enforces HTTPS with TLS 1.2, fine-grained access control', () => {
        expect(props).toMatchObject({
          EncryptionAtRestOptions: { Enabled: true },
          NodeToNodeEncryptionOptions: { Enabled: true },
          DomainEndpointOptions: { EnforceHTTPS: true, TLSSecurityPolicy: 'Policy-Min-TLS-1-2-2019-07' },
          AdvancedSecurityOptions: {
            Enabled: true,
            InternalUserDatabaseEnabled: false,
          },
        });
        expect(props.AdvancedSecurityOptions).toHaveProperty(['MasterUserOptions', 'MasterUserARN']);
        expect(JSON.stringify(props)).not.toMatch(/MasterUserPassword/);
      });

      it('grants access to IAM principals of the account only, never anonymously', () => {
        const statements = (props.AccessPolicies as { Statement: { Principal: unknown }[] }).Statement;
        expect(statements.length).toBeGreaterThan(0);
        for (const statement of statements) expect(JSON.stringify(statement.Principal)).not.toContain('*');
      });

      it('publishes slow and application logs', () => {
        for (const log of ['SEARCH_SLOW_LOGS', 'INDEX_SLOW_LOGS', 'ES_APPLICATION_LOGS']) {
          expect(props.LogPublishingOptions).toHaveProperty([log, 'Enabled'], true);
        }
      });

      it('is sized per stage', () => {
        const { search } = config;
        expect(props.ClusterConfig).toMatchObject({
          InstanceType: search.dataNodeInstanceType,
          InstanceCount: search.dataNodes,
          ZoneAwarenessEnabled: search.zoneAwareness,
          DedicatedMasterEnabled: search.masterNodes > 0,
        });
        if (search.masterNodes > 0) {
          expect(props.ClusterConfig).toMatchObject({
            DedicatedMasterCount: search.masterNodes,
            DedicatedMasterType: search.masterNodeInstanceType,
          });
        }
        expect(props.EBSOptions).toMatchObject({ EBSEnabled: true, VolumeSize: search.ebsVolumeGiB });
      });
    });
  } else {
    it('has no search domain (footprint.searchDomain: false)', () => {
      stateful.resourceCountIs('AWS::OpenSearchService::Domain', 0);
    });
  }

  if (config.footprint.rulesetCache) {
    describe('Valkey serverless cache', () => {
      const cache = onlyResource(stateful, 'AWS::ElastiCache::ServerlessCache');

      it('runs Valkey in both isolated subnets', () => {
        expect(cache.Properties).toMatchObject({ Engine: 'valkey', MajorEngineVersion: '8' });
        expect(cache.Properties!.SubnetIds).toHaveLength(2);
      });

      it(`admits only the Lambda security group, on ${CACHE_PORT}`, () => {
        const groups = cache.Properties!.SecurityGroupIds as { 'Fn::GetAtt': [string, string] }[];
        expect(groups).toHaveLength(1);
        const cacheGroup = groups[0]!['Fn::GetAtt'][0];
        const ingress = Object.values(resourcesOf(stateful, 'AWS::EC2::SecurityGroupIngress')).filter(
          (rule) => (rule.Properties!.GroupId as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0] === cacheGroup,
        );
        expect(ingress).toHaveLength(1);
        const lambdaGroup = onlyLogicalId(stateful, 'AWS::EC2::SecurityGroup', 'LambdaSecurityGroup');
        expect(ingress[0]!.Properties).toMatchObject({
          IpProtocol: 'tcp',
          FromPort: CACHE_PORT,
          ToPort: CACHE_PORT,
          SourceSecurityGroupId: { 'Fn::GetAtt': [lambdaGroup, 'GroupId'] },
        });
        const inline = resourcesOf(stateful, 'AWS::EC2::SecurityGroup')[cacheGroup]!.Properties!;
        expect(inline.SecurityGroupIngress).toBeUndefined();
      });
    });

    describe('Cognito user pool', () => {
      it('has no self sign-up, email sign-in, a strong password policy and the Plus plan', () => {
        stateful.hasResourceProperties('AWS::Cognito::UserPool', {
          AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
          UsernameAttributes: ['email'],
          Policies: {
            PasswordPolicy: {
              MinimumLength: 12,
              RequireLowercase: true,
              RequireUppercase: true,
              RequireNumbers: true,
              RequireSymbols: true,
            },
          },
          MfaConfiguration: config.cognito.mfaRequired ? 'ON' : 'OPTIONAL',
          UserPoolTier: 'PLUS',
        });
      });

      it('has exactly the four role groups, strongest first', () => {
        const groups = Object.values(resourcesOf(stateful, 'AWS::Cognito::UserPoolGroup'));
        expect(groups).toHaveLength(4);
        const byPrecedence = groups
          .map((g) => g.Properties as { GroupName: string; Precedence: number })
          .sort((a, b) => a.Precedence - b.Precedence)
          .map((g) => g.GroupName);
        expect(byPrecedence).toEqual([...ROLES]);
      });

      it('has one app client without a secret, for SRP sign-in only (no USER_PASSWORD_AUTH), without OAuth', () => {
        const client = onlyResource(stateful, 'AWS::Cognito::UserPoolClient');
        expect(client.Properties).toMatchObject({
          GenerateSecret: false,
          PreventUserExistenceErrors: 'ENABLED',
        });
        // The password is never sent to Cognito: SRP to sign in, the refresh token to renew the session.
        expect([...(client.Properties!.ExplicitAuthFlows as string[])].sort()).toEqual([
          'ALLOW_REFRESH_TOKEN_AUTH',
          'ALLOW_USER_SRP_AUTH',
        ]);
        expect(client.Properties!.AllowedOAuthFlows).toBeUndefined();
      });
    });
  } else {
    it('has no ruleset cache (footprint.rulesetCache: false)', () => {
      stateful.resourceCountIs('AWS::ElastiCache::ServerlessCache', 0);
    });
  }

  it('the dead-letter queue is encrypted and refuses plain HTTP', () => {
    const queue = onlyResource(stateful, 'AWS::SQS::Queue');
    expect(queue.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    stateful.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('hard-codes no physical names (the cache name, which CloudFormation requires, is derived from the path)', () => {
    const nameKeys = [
      'TableName',
      'QueueName',
      'Name',
      'UserPoolName',
      'DomainName',
      'LogGroupName',
      'RoleName',
    ];
    const named = Object.entries(
      stateful.toJSON().Resources as Record<string, { Properties?: Record<string, unknown> }>,
    )
      .filter(([, resource]) => nameKeys.some((key) => typeof resource.Properties?.[key] === 'string'))
      .map(([logicalId]) => logicalId);
    expect(named).toEqual([]);
  });
});

function onlyLogicalId(
  template: ReturnType<typeof stageOf>['stateful'],
  type: string,
  prefix: string,
): string {
  const ids = Object.keys(resourcesOf(template, type)).filter((id) => id.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0]!;
}
