import { Stack } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { SwitchyardFunction } from '../constructs/switchyard-function';
import type { SwitchyardStage } from '../stages/switchyard-stage';
import type { CfnTemplate, CostInput } from './model';

/**
 * What the cost model reads from a built stage: its stacks' synthesized templates and the logical IDs of the
 * functions on the per-request paths (from the function registry, so no name is guessed from a template).
 */
export function costInputOf(stage: SwitchyardStage, stageName: string): CostInput {
  const assembly = stage.synth();
  const templates = [stage.stateful, stage.api, stage.console].map(
    (stack) => assembly.getStackArtifact(stack.artifactId).template as CfnTemplate,
  );
  const functions = stage.api.registeredFunctions;
  const logicalId = (fn: SwitchyardFunction | undefined, name: string): string => {
    if (fn === undefined) throw new Error(`the ${stageName} stage builds no ${name} function`);
    return Stack.of(fn).getLogicalId(fn.function.node.defaultChild as CfnFunction);
  };
  const authorizer = functions['api-key-authorizer'];
  return {
    stage: stageName,
    templates,
    paths: {
      evaluation: logicalId(functions.evaluation, 'evaluation'),
      events: logicalId(functions.events, 'events'),
      eventProcessor: logicalId(functions['event-processor'], 'event-processor'),
      ...(authorizer === undefined ? {} : { authorizer: logicalId(authorizer, 'api-key-authorizer') }),
    },
  };
}
