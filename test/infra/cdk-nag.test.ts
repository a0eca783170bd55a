import { Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { STAGE_NAMES, stageConfig } from '../../lib/config';
import { SwitchyardStage } from '../../lib/stages/switchyard-stage';
import { acknowledgementsOf, awsSolutionsFindings, staleAcknowledgements } from './nag';
import { testApp } from './synth';

describe.each(STAGE_NAMES)('cdk-nag AwsSolutions (%s)', (name) => {
  const app = testApp();
  new SwitchyardStage(app, name, { config: stageConfig(name) });
  // As in bin/app.ts: the plugin runs during synth and throws on any unacknowledged finding.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  let synthError: unknown;
  try {
    app.synth();
  } catch (error) {
    synthError = error;
  }

  it('synthesizes with the AwsSolutions plugin attached', () => {
    expect(synthError).toBeUndefined();
  });

  it('reports no unacknowledged error or warning', () => {
    expect(awsSolutionsFindings(app)).toEqual([]);
  });

  const acknowledgements = acknowledgementsOf(app);

  it('gives every acknowledgement a specific reason', () => {
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const ack of acknowledgements) {
      expect({ ...ack, reason: typeof ack.reason }).toEqual({ ...ack, reason: 'string' });
      expect((ack.reason as string).trim().length).toBeGreaterThanOrEqual(40);
    }
  });

  it('has no stale acknowledgement: each one still matches a finding at or below it', () => {
    expect(staleAcknowledgements(app)).toEqual([]);
  });
});

describe('cdk-nag wiring', () => {
  it('fails the synth on an unacknowledged finding', () => {
    const app = testApp();
    const stage = new SwitchyardStage(app, 'dev', { config: stageConfig('dev') });
    new Queue(stage.stateful, 'PlainQueue', { enforceSSL: false });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });
});
