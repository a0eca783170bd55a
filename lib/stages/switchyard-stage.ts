import * as path from 'node:path';
import { Stage, Tags, type StageProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { RouteDefinition } from '../../shared/http/routes';
import type { StageConfig } from '../config';
import { REPO_ROOT } from '../constructs/switchyard-function';
import { ApiStack } from '../stacks/api-stack';
import { ConsoleStack } from '../stacks/console-stack';
import { StatefulStack } from '../stacks/stateful-stack';

export interface SwitchyardStageProps extends StageProps {
  readonly config: StageConfig;
  /**
   * The routes the API serves (tests add synthetic ones).
   * @default ROUTES from shared/http/routes.ts
   */
  readonly routes?: readonly RouteDefinition[];
  /**
   * The built web console that the console stack deploys.
   * @default console/dist (built by `npm run build:console`, which npm ci runs)
   */
  readonly consoleContent?: string;
}

/** Where `npm run build:console` puts the web console. */
export const CONSOLE_DIST = path.join(REPO_ROOT, 'console', 'dist');

/**
 * One deployable Switchyard: a stateful stack (data, identity, network), a stateless API stack wired to it by
 * typed props, and the web console's stack (S3 + CloudFront, hosted UI sign-in) on top of both.
 * `cdk deploy '<stage>/*'` deploys all three, stateful first, console last.
 */
export class SwitchyardStage extends Stage {
  public readonly stateful: StatefulStack;
  public readonly api: ApiStack;
  public readonly console: ConsoleStack;

  constructor(scope: Construct, id: string, props: SwitchyardStageProps) {
    super(scope, id, props);
    const { config } = props;

    this.stateful = new StatefulStack(this, 'Stateful', {
      stackName: `switchyard-${config.name}-stateful`,
      description: `Switchyard ${config.name}: tables, event stream, user pool, search domain, cache, network`,
      terminationProtection: config.deletionProtection,
      config,
    });
    this.api = new ApiStack(this, 'Api', {
      stackName: `switchyard-${config.name}-api`,
      description: `Switchyard ${config.name}: REST API, functions, firewall, alarms and dashboard`,
      config,
      vpc: this.stateful.vpc,
      lambdaSecurityGroup: this.stateful.lambdaSecurityGroup,
      tables: this.stateful.tables,
      eventsStream: this.stateful.eventsStream,
      deadLetterQueue: this.stateful.deadLetterQueue,
      failuresBucket: this.stateful.failuresBucket,
      rulesetsBucket: this.stateful.rulesetsBucket,
      userPool: this.stateful.userPool,
      searchDomain: this.stateful.searchDomain,
      searchAdminRole: this.stateful.searchAdminRole,
      cacheUrl: this.stateful.cacheUrl,
      routes: props.routes,
    });
    this.console = new ConsoleStack(this, 'Console', {
      stackName: `switchyard-${config.name}-console`,
      description: `Switchyard ${config.name}: web console (S3 + CloudFront, Cognito hosted UI sign-in)`,
      config,
      contentDirectory: props.consoleContent ?? CONSOLE_DIST,
      restApi: this.api.api.restApi,
      userPool: this.stateful.userPool,
    });

    Tags.of(this).add('Project', 'Switchyard');
    Tags.of(this).add('Stage', config.name);
  }
}
