import * as fs from 'node:fs';
import * as path from 'node:path';
import { CustomResource, Duration, Lazy, type RemovalPolicy } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc } from 'aws-cdk-lib/aws-ec2';
import { Grant, Role, ServicePrincipal, type IRole } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IDomain } from 'aws-cdk-lib/aws-opensearchservice';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { searchCapability } from '../../shared/environment';
import { eventsIndexTemplate, eventsRetentionPolicy } from '../../shared/events/search-index';
import { FUNCTIONS } from '../../shared/functions';
import { acknowledgeWildcardResource } from '../nag';
import { REPO_ROOT, SwitchyardFunction, type SwitchyardFunctionProps } from './switchyard-function';

/** The OpenSearch Dashboards saved objects installed at deploy (relative to the repository root). */
export const DASHBOARDS_BUNDLE = 'ops/opensearch/dashboards.ndjson';
/** The `_bulk` API is the only path an indexing function may call (IAM cannot see the indices a bulk names). */
export const BULK_PATH = '_bulk';

export interface SearchSetupProps {
  /**
   * Settings of the setup function; its entry is the registry's (`search-setup`) and it runs in
   * `vpc` with `securityGroup`, which the domain admits.
   */
  readonly function: Omit<SwitchyardFunctionProps, 'entry' | 'handler' | 'vpc' | 'securityGroup'>;
  readonly vpc: IVpc;
  readonly securityGroup: ISecurityGroup;
  readonly domain: IDomain;
  /**
   * The domain's master user (fine-grained access control). The setup assumes it: only the master user may
   * write security roles and role mappings.
   */
  readonly adminRole: IRole;
  /** Days a daily events index is kept (the ISM retention policy). */
  readonly eventRetentionDays: number;
  /** Replicas per daily index: 0 on a single data node. */
  readonly replicas: number;
  /** Retention and removal of the provider framework's log group. */
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /**
   * The Dashboards saved objects (NDJSON), absolute or relative to the repository root.
   * @default ops/opensearch/dashboards.ndjson
   */
  readonly dashboardsBundle?: string;
}

/**
 * Installs what the raw events need on the search domain, at deploy time: a custom resource (CDK provider
 * framework) whose handler, in the VPC, applies the index template, the ISM retention policy, the writer role
 * and its mapping, the first daily index with the alias, and the Dashboards saved objects (see
 * shared/events/search-setup.ts). Everything it installs travels as the resource's properties, so changing the
 * template, the retention, the writers or the bundle re-runs the setup on the next deploy. Deleting the
 * resource keeps the data.
 *
 * Functions that index events are bound with `bindIndexer` (which calls `grantIndexing`): they get the
 * IAM permission to call `_bulk` and are mapped to the writer role on the domain.
 */
export class SearchSetup extends Construct {
  public readonly domain: IDomain;
  public readonly handler: SwitchyardFunction;
  public readonly resource: CustomResource;
  private readonly writers: IRole[] = [];

  constructor(scope: Construct, id: string, props: SearchSetupProps) {
    super(scope, id);
    if (!Number.isInteger(props.eventRetentionDays) || props.eventRetentionDays < 1) {
      throw new Error(
        `${this.node.path}: eventRetentionDays must be a whole number ≥ 1, got ${props.eventRetentionDays}`,
      );
    }
    const bundlePath = path.resolve(REPO_ROOT, props.dashboardsBundle ?? DASHBOARDS_BUNDLE);
    if (!fs.existsSync(bundlePath))
      throw new Error(`${this.node.path}: no Dashboards bundle at ${bundlePath}`);
    this.domain = props.domain;

    this.handler = new SwitchyardFunction(this, 'Handler', {
      ...props.function,
      entry: FUNCTIONS['search-setup'].entry,
      vpc: props.vpc,
      securityGroup: props.securityGroup,
      // A new domain's Dashboards may answer 503 for a while: the setup retries for up to about a minute.
      timeout: Duration.minutes(5),
      memorySize: 256,
    });
    props.adminRole.grantAssumeRole(this.handler.role);

    // The provider framework's function gets a role of ours, as every Switchyard function does: it may write its
    // own log group and invoke the handler, and carries no AWS managed policy.
    const providerLogs = new LogGroup(this, 'ProviderLogs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    const providerRole = new Role(this, 'ProviderRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the custom-resource provider framework of ${this.node.path}`,
    });
    providerLogs.grantWrite(providerRole);
    const provider = new Provider(this, 'Provider', {
      onEventHandler: this.handler.function,
      logGroup: providerLogs,
      frameworkOnEventRole: providerRole,
    });
    acknowledgeWildcardResource(
      providerRole,
      this.handler.function.functionArn,
      ':*',
      'The provider framework may invoke the setup function and its versions (<function arn>:*): still that ' +
        'one function, and it may invoke nothing else.',
    );

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::SwitchyardSearchSetup',
      properties: {
        DomainUrl: `https://${props.domain.domainEndpoint}`,
        AdminRoleArn: props.adminRole.roleArn,
        // JSON documents as strings: CloudFormation would turn every number inside them into a string.
        IndexTemplate: JSON.stringify(eventsIndexTemplate({ replicas: props.replicas })),
        RetentionPolicy: JSON.stringify(eventsRetentionPolicy(props.eventRetentionDays)),
        WriterRoleArns: Lazy.list({ produce: () => this.writers.map((role) => role.roleArn) }),
        // ~7 KB: well inside CloudFormation's limits (the 4 KB limit applies to the response, not properties).
        Dashboards: fs.readFileSync(bundlePath, 'utf8'),
      },
    });
  }

  /**
   * Let `fn` bulk-index raw events: `grantIndexing` for its role, the domain in OPENSEARCH_URL
   * (`https://<endpoint>`, signed: OPENSEARCH_AUTH=aws-sigv4; shared/environment.ts), and a deployment after the
   * setup, so the index template exists before its first bulk. The domain is VPC-only: `fn` must run in the VPC
   * with the Lambda security group.
   */
  public bindIndexer(fn: SwitchyardFunction): SwitchyardFunction {
    if (!fn.function.isBoundToVpc) throw new Error('bindIndexer needs a function in the VPC');
    this.grantIndexing(fn.role);
    fn.receiveEnvironment(
      searchCapability.render({ url: `https://${this.domain.domainEndpoint}`, auth: 'aws-sigv4' }),
    );
    fn.function.node.addDependency(this.resource);
    return fn;
  }

  /**
   * Let `role` bulk-index events: IAM `es:ESHttpPost`/`es:ESHttpPut` on the domain's `_bulk` path only, and a
   * mapping of the role to the writer role on the domain (create and write into the daily indices, nothing
   * else). Functions using it should depend on `resource`, so the template exists before their first bulk.
   */
  public grantIndexing(role: IRole): void {
    Grant.addToPrincipal({
      grantee: role,
      actions: ['es:ESHttpPost', 'es:ESHttpPut'],
      resourceArns: [`${this.domain.domainArn}/${BULK_PATH}`],
    });
    if (!this.writers.includes(role)) this.writers.push(role);
  }
}
