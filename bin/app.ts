import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { stageConfig } from '../lib/config';
import { SwitchyardStage } from '../lib/stages/switchyard-stage';

/**
 * The CDK app: one Switchyard stage, chosen with `-c stage=dev|staging|prod` (default dev).
 * Env-agnostic unless the CLI resolved an account and region (CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION).
 */
function main(): void {
  const app = new App({
    // The CLI asks apps to leave validation failures to it, but `cdk synth` only reports findings of the
    // top-level stacks it selected, and ours live inside a Stage: fail here, so cdk-nag findings always fail.
    postCliContext: { '@aws-cdk/core:failSynthOnValidationErrors': true },
  });
  const config = stageConfig(String(app.node.tryGetContext('stage') ?? 'dev'));
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;

  new SwitchyardStage(app, config.name, {
    config,
    env: account && region ? { account, region } : undefined,
  });

  // cdk-nag AwsSolutions: any unacknowledged finding, error or warning, fails the synth.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
}

try {
  main();
} catch (error) {
  // cdk-nag findings are printed above by the validation report; end with one line, not a minified stack.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
