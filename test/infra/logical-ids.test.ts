import { STAGE_NAMES, stageConfig, type FootprintConfig } from '../../lib/config';
import { TABLE_IDS } from '../../shared/db/tables';
import { stageOf } from './synth';

/**
 * The logical IDs of the stateful resources, written out by hand. CloudFormation replaces a resource whose
 * logical ID changes — for these that means a new, empty table, stream, user pool, domain or cache. If this
 * test fails, a construct id was renamed: rename it back (or plan the data migration and update this list).
 */
const PINNED: Readonly<Record<string, string>> = {
  config37BD09B8: 'AWS::DynamoDB::Table',
  rulesetsDD62D97A: 'AWS::DynamoDB::Table',
  auditA48D740E: 'AWS::DynamoDB::Table',
  analytics367A4110: 'AWS::DynamoDB::Table',
  apiKeys7A67E149: 'AWS::DynamoDB::Table',
  idempotency6045960E: 'AWS::DynamoDB::Table',
  EventsStream287662BE: 'AWS::Kinesis::Stream',
  EventsDeadLetterQueue404572C7: 'AWS::SQS::Queue',
  UserPool6BA7E5F2: 'AWS::Cognito::UserPool',
  UserPoolWebClient4C9370B0: 'AWS::Cognito::UserPoolClient',
  UserPoolAdminGroup8F6AC0FE: 'AWS::Cognito::UserPoolGroup',
  UserPoolDeveloperGroup83599EB6: 'AWS::Cognito::UserPoolGroup',
  UserPoolAnalystGroup7E1B45E0: 'AWS::Cognito::UserPoolGroup',
  UserPoolViewerGroup6D5D179A: 'AWS::Cognito::UserPoolGroup',
  SearchDomainFDC494A0: 'AWS::OpenSearchService::Domain',
  // Its ARN is the OpenSearch master user: a new role would lock administrators out of the domain.
  SearchAdminRoleEF43D1DE: 'AWS::IAM::Role',
  Cache: 'AWS::ElastiCache::ServerlessCache',
  Vpc8378EB38: 'AWS::EC2::VPC',
};

/** Pinned resources a stage builds only when its footprint asks for them (lib/config.ts). */
const OPTIONAL: Readonly<Record<string, keyof FootprintConfig>> = {
  SearchDomainFDC494A0: 'searchDomain',
  SearchAdminRoleEF43D1DE: 'searchDomain',
  Cache: 'rulesetCache',
};

/** Types whose every instance must be pinned: a new one must be added to the list above. */
const STATEFUL_TYPES = new Set([
  'AWS::DynamoDB::Table',
  'AWS::Kinesis::Stream',
  'AWS::SQS::Queue',
  'AWS::Cognito::UserPool',
  'AWS::Cognito::UserPoolClient',
  'AWS::Cognito::UserPoolGroup',
  'AWS::OpenSearchService::Domain',
  'AWS::ElastiCache::ServerlessCache',
  'AWS::EC2::VPC',
]);

describe.each(STAGE_NAMES)('stateful logical IDs (%s)', (name) => {
  const resources = stageOf(name).stateful.toJSON().Resources as Record<string, { Type: string }>;

  const { footprint } = stageConfig(name);
  const built = (logicalId: string): boolean => {
    const needs = OPTIONAL[logicalId];
    return needs === undefined || footprint[needs];
  };

  it.each(Object.entries(PINNED))('%s is still a %s (when the stage builds it)', (logicalId, type) => {
    expect(resources[logicalId]?.Type).toBe(built(logicalId) ? type : undefined);
  });

  it('every stateful resource is pinned', () => {
    const unpinned = Object.entries(resources)
      .filter(([logicalId, resource]) => STATEFUL_TYPES.has(resource.Type) && !(logicalId in PINNED))
      .map(([logicalId, resource]) => `${logicalId} (${resource.Type})`);
    expect(unpinned).toEqual([]);
  });

  it('pins one table per shared definition', () => {
    const pinnedTables = Object.entries(PINNED).filter(([, type]) => type === 'AWS::DynamoDB::Table');
    expect(pinnedTables).toHaveLength(TABLE_IDS.length);
  });
});
