import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../../lib/constructs/switchyard-function';

/** Run bin/app.ts as the CDK CLI would (context through CDK_CONTEXT_JSON), without bundling. */
function runApp(context: Record<string, unknown>): { status: number | null; stderr: string; outdir: string } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-app-'));
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'bin/app.ts')], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [], ...context }),
      CDK_VALIDATION: 'false',
      CDK_DEFAULT_ACCOUNT: '',
      CDK_DEFAULT_REGION: '',
    },
  });
  return { status: result.status, stderr: result.stderr, outdir };
}

describe('bin/app.ts', () => {
  it('synthesizes the dev stage by default, env-agnostic, with cdk-nag passing', () => {
    const { status, stderr, outdir } = runApp({});
    expect({ status, stderr: stderr.includes('AwsSolutions') ? stderr : '' }).toEqual({
      status: 0,
      stderr: '',
    });
    const manifest = JSON.parse(
      fs.readFileSync(path.join(outdir, 'assembly-dev', 'manifest.json'), 'utf8'),
    ) as {
      artifacts: Record<string, { type: string; environment?: string; properties?: { stackName?: string } }>;
    };
    const stacks = Object.values(manifest.artifacts).filter((a) => a.type === 'aws:cloudformation:stack');
    expect(stacks.map((s) => s.properties?.stackName).sort()).toEqual([
      'switchyard-dev-api',
      'switchyard-dev-console',
      'switchyard-dev-stateful',
    ]);
    for (const stack of stacks) expect(stack.environment).toBe('aws://unknown-account/unknown-region');
  });

  it('refuses an unknown stage with a one-line reason', () => {
    const { status, stderr } = runApp({ stage: 'qa' });
    expect(status).toBe(1);
    expect(stderr.trim()).toBe(
      'Unknown stage "qa": expected one of dev, staging, prod (cdk synth -c stage=dev)',
    );
  });
});
