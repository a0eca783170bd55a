import { ArnFormat, Names, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnLoggingConfiguration, CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

/** Request headers never written to the WAF logs: they carry Cognito tokens and Switchyard API keys. */
export const WAF_REDACTED_HEADERS = ['authorization'] as const;

export interface ApiFirewallProps {
  /** ARN of the API Gateway stage to protect. */
  readonly stageArn: string;
  /** Requests one client IP may make in any 5-minute window before it is blocked. */
  readonly rateLimitPer5Minutes: number;
  /** Prefix of the CloudWatch metric names of the web ACL and its rules. */
  readonly metricPrefix: string;
  /** Retention of the web ACL's request log group. */
  readonly logRetention: RetentionDays;
  /** What happens to the request log group when the stack goes away. */
  readonly logRemovalPolicy: RemovalPolicy;
}

/**
 * An AWS WAF web ACL on the API stage: a per-IP rate limit plus the AWS managed common and known-bad-input
 * rule groups. The common group's 8 KB body-size rule only counts: event batches may be 1 MiB and the
 * functions enforce that limit themselves. Every request WAF inspects is logged to a CloudWatch Logs group
 * (`aws-waf-logs-…`, as WAF requires), with the Authorization header redacted.
 */
export class ApiFirewall extends Construct {
  public readonly webAcl: CfnWebACL;
  public readonly logGroup: LogGroup;
  public readonly loggingConfiguration: CfnLoggingConfiguration;

  constructor(scope: Construct, id: string, props: ApiFirewallProps) {
    super(scope, id);
    if (!Number.isInteger(props.rateLimitPer5Minutes) || props.rateLimitPer5Minutes < 10) {
      throw new Error(
        `${this.node.path}: rateLimitPer5Minutes must be an integer of at least 10 (WAF minimum)`,
      );
    }
    const visibility = (name: string): CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName: `${props.metricPrefix}-${name}`,
    });
    const managedGroup = (
      priority: number,
      name: string,
      countOnly: string[] = [],
    ): CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name,
          ruleActionOverrides: countOnly.map((rule) => ({ name: rule, actionToUse: { count: {} } })),
        },
      },
      visibilityConfig: visibility(name),
    });

    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('api'),
      rules: [
        {
          name: 'RateLimitPerIp',
          priority: 0,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: props.rateLimitPer5Minutes, aggregateKeyType: 'IP' } },
          visibilityConfig: visibility('rate-limit'),
        },
        managedGroup(1, 'AWSManagedRulesCommonRuleSet', ['SizeRestrictions_BODY']),
        managedGroup(2, 'AWSManagedRulesKnownBadInputsRuleSet'),
      ],
    });
    new CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.stageArn,
      webAclArn: this.webAcl.attrArn,
    });

    // WAF delivers only to log groups named aws-waf-logs-*, and (on first use) adds the delivery resource policy
    // to the account itself.
    const logGroupName = `aws-waf-logs-${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}`;
    this.logGroup = new LogGroup(this, 'Logs', {
      logGroupName,
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    this.loggingConfiguration = new CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      // The log group's ARN without the `:*` that LogGroup.logGroupArn ends in: WAF refuses that form.
      logDestinationConfigs: [
        Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: this.logGroup.logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      redactedFields: WAF_REDACTED_HEADERS.map((name) => ({ singleHeader: { Name: name } })),
    });
    this.loggingConfiguration.node.addDependency(this.logGroup);
  }
}
