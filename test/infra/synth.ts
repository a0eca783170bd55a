import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { stageConfig, type StageConfig, type StageName } from '../../lib/config';
import { SwitchyardStage, type SwitchyardStageProps } from '../../lib/stages/switchyard-stage';

export interface SynthesizedStage {
  readonly app: App;
  readonly config: StageConfig;
  readonly stage: SwitchyardStage;
  readonly stateful: Template;
  readonly api: Template;
  readonly console: Template;
}

/**
 * A fast, offline test app: no Lambda bundling (`aws:cdk:bundling-stacks: []`) and no built-in
 * CloudFormation validation (the WebAssembly validator costs ~2 s per synth).
 */
export function testApp(): App {
  return new App({
    context: { 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: false,
    outdir: path.join(os.tmpdir(), `switchyard-infra-${process.pid}-${Math.random().toString(36).slice(2)}`),
  });
}

export function synthesizeStage(
  name: StageName,
  props: Partial<Omit<SwitchyardStageProps, 'config'>> = {},
): SynthesizedStage {
  const app = testApp();
  const config = stageConfig(name);
  const stage = new SwitchyardStage(app, name, { ...props, config });
  return {
    app,
    config,
    stage,
    stateful: Template.fromStack(stage.stateful),
    api: Template.fromStack(stage.api),
    console: Template.fromStack(stage.console),
  };
}

const cache = new Map<StageName, SynthesizedStage>();

/** The default synthesis of a stage, shared by the tests of one file. */
export function stageOf(name: StageName): SynthesizedStage {
  let synthesized = cache.get(name);
  if (!synthesized) {
    synthesized = synthesizeStage(name);
    cache.set(name, synthesized);
  }
  return synthesized;
}

export type CfnResources = Record<
  string,
  { Type: string; Properties?: Record<string, unknown>; [key: string]: unknown }
>;

export function resourcesOf(template: Template, type: string): CfnResources {
  return template.findResources(type) as CfnResources;
}

/** The one resource of `type`; fails when there is not exactly one. */
export function onlyResource(template: Template, type: string): CfnResources[string] & { logicalId: string } {
  const entries = Object.entries(resourcesOf(template, type));
  expect(entries).toHaveLength(1);
  const [logicalId, resource] = entries[0]!;
  return { ...resource, logicalId };
}
