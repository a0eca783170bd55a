import type { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
  type Attribute,
} from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import type { KeyAttribute, TableDefinition } from '../../shared/db/tables';

export interface SwitchyardTableProps {
  /** Keys, indexes, stream and TTL, from shared/db/tables.ts: the one definition the local platform uses too. */
  readonly definition: TableDefinition;
  /** What happens to the table (and its data) when it leaves the stack. */
  readonly removalPolicy: RemovalPolicy;
  /** Refuse DeleteTable calls until this is turned off. */
  readonly deletionProtection: boolean;
  /**
   * Continuous backups with per-second restore over the last 35 days.
   * @default true
   */
  readonly pointInTimeRecovery?: boolean;
}

/**
 * One DynamoDB table built from its shared definition: on-demand, encrypted with the AWS-managed KMS key,
 * every index projecting all attributes. Keys are never restated here, so CDK and the local platform
 * cannot disagree about them.
 */
export class SwitchyardTable extends Table {
  public readonly definition: TableDefinition;

  constructor(scope: Construct, id: string, props: SwitchyardTableProps) {
    const { definition } = props;
    super(scope, id, {
      partitionKey: toAttribute(definition.partitionKey),
      sortKey: definition.sortKey && toAttribute(definition.sortKey),
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: props.pointInTimeRecovery ?? true },
      deletionProtection: props.deletionProtection,
      removalPolicy: props.removalPolicy,
      stream: definition.stream && StreamViewType[definition.stream],
      timeToLiveAttribute: definition.ttlAttribute,
    });
    this.definition = definition;
    for (const index of definition.globalIndexes) {
      this.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: toAttribute(index.partitionKey),
        sortKey: index.sortKey && toAttribute(index.sortKey),
        projectionType: ProjectionType.ALL,
      });
    }
  }
}

function toAttribute(key: KeyAttribute): Attribute {
  return { name: key.name, type: key.type === 'S' ? AttributeType.STRING : AttributeType.NUMBER };
}
