import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config';
import { ConsoleHosting } from '../constructs/console-hosting';

export interface ConsoleStackProps extends StackProps {
  readonly config: StageConfig;
  /** The built console (`console/dist`). */
  readonly contentDirectory: string;
  readonly restApi: RestApi;
  readonly userPool: IUserPool;
}

/**
 * The web console of a stage: S3 + CloudFront, the Cognito hosted UI domain and the console's app client. Its own
 * stack, deployed after the other two: the app client's callback URL is the distribution's, and the distribution
 * forwards `/api/*` to the API, so this stack depends on both and neither depends on it.
 */
export class ConsoleStack extends Stack {
  public readonly hosting: ConsoleHosting;

  constructor(scope: Construct, id: string, props: ConsoleStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.hosting = new ConsoleHosting(this, 'Console', {
      stageName: config.name,
      contentDirectory: props.contentDirectory,
      restApi: props.restApi,
      userPool: props.userPool,
      domain: config.consoleDomain,
      logRetention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });
    new CfnOutput(this, 'ConsoleUrl', { value: `${this.hosting.origin}/` });
    new CfnOutput(this, 'ConsoleDistributionDomain', {
      value: this.hosting.distribution.distributionDomainName,
    });
    new CfnOutput(this, 'ConsoleHostedUiDomain', { value: this.hosting.userPoolDomain.baseUrl() });
    new CfnOutput(this, 'ConsoleUserPoolClientId', { value: this.hosting.userPoolClient.userPoolClientId });
  }
}
