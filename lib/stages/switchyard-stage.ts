import { Stage, Tags, type StageProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { RouteDefinition } from '../../shared/http/routes';
import type { StageConfig } from '../config';
import { ApiStack } from '../stacks/api-stack';
import { StatefulStack } from '../stacks/stateful-stack';

export interface SwitchyardStageProps extends StageProps {
  readonly config: StageConfig;
  /**
   * The routes the API serves (tests add synthetic ones).
   * @default ROUTES from shared/http/routes.ts
   */
  readonly routes?: readonly RouteDefinition[];
}

/**
 * One deployable Switchyard: a stateful stack (data, identity, network) and a stateless API stack wired
 * to it by typed props. `cdk deploy '<stage>/*'` deploys both, stateful first.
 */
export class SwitchyardStage extends Stage {
  public readonly stateful: StatefulStack;
  public readonly api: ApiStack;

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

    Tags.of(this).add('Project', 'Switchyard');
    Tags.of(this).add('Stage', config.name);
  }
}
