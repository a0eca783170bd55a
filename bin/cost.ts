/**
 * `npm run cost -- --stage dev|staging|prod|all [--evaluations N] [--assignments N] [--events N] [--users N]
 * [--sdk-instances N] [--json | --markdown]`: what a stage costs a month at list prices (lib/cost/prices.ts) —
 * its fixed (idle) costs read from the templates it synthesizes in-process (offline, no bundling), plus the
 * per-request paths at the monthly traffic given (default: idle). `--markdown` prints the README's table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { App } from 'aws-cdk-lib';
import { STAGE_NAMES, isStageName, stageConfig, type StageName } from '../lib/config';
import { ASSUMPTIONS, estimateCost, type CostReport, type TrafficProfile } from '../lib/cost/model';
import { PRICES_AS_OF } from '../lib/cost/prices';
import { costInputOf } from '../lib/cost/stage-input';
import { SwitchyardStage } from '../lib/stages/switchyard-stage';

const USAGE =
  'Usage: npm run cost -- --stage dev|staging|prod|all [--evaluations N] [--assignments N] [--events N] ' +
  '[--users N] [--sdk-instances N] [--json | --markdown]   (N per month)';

const COUNTS = ['evaluations', 'assignments', 'events', 'users', 'sdk-instances'] as const;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function parseCount(name: string, value: string | undefined): number {
  if (value === undefined) return 0;
  // 5e6, 5000000 and 5_000_000 all read as five million.
  const parsed = Number(value.replace(/_/g, ''));
  if (!Number.isFinite(parsed) || parsed < 0) fail(`--${name} must be a number ≥ 0, got "${value}"`);
  return parsed;
}

function report(name: StageName, profile: TrafficProfile): CostReport {
  const outdir = mkdtempSync(join(tmpdir(), 'switchyard-cost-'));
  try {
    const app = new App({
      outdir,
      context: { 'aws:cdk:bundling-stacks': [] },
      builtinCloudFormationValidation: false,
    });
    const stage = new SwitchyardStage(app, name, { config: stageConfig(name) });
    return estimateCost(costInputOf(stage, name), profile);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

const usd = (value: number): string => `$${value.toFixed(2)}`;

function table(rows: readonly (readonly string[])[], rightAligned: readonly number[]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, col) =>
          rightAligned.includes(col) ? cell.padStart(widths[col]!) : cell.padEnd(widths[col]!),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function text(r: CostReport): string {
  const lines = [
    `Switchyard ${r.stage}: monthly cost (${r.pricesAsOf})`,
    '',
    table(
      [
        ['Category', 'Item', 'Resources', 'Quantity', 'USD/month'],
        ...[...r.fixed, ...r.usage].map((line) => [
          line.category,
          line.item,
          line.resources > 0 ? String(line.resources) : '',
          line.quantity,
          usd(line.usdPerMonth),
        ]),
      ],
      [2, 4],
    ),
    '',
    `Fixed (idle): ${usd(r.fixedTotal)}   Traffic: ${usd(r.usageTotal)}   Total: ${usd(r.total)}`,
    '',
    'Marginal cost per million:',
    `  remote evaluations (REST API + Lambda + cache)  ${usd(r.perMillion.remoteEvaluations)}`,
    `  local evaluations (SDK polls the ruleset)       ${usd(r.perMillion.localEvaluations)}` +
      `  (+ ${usd(r.localSdkInstancePerMonth)} per SDK instance-month, polling every ${ASSUMPTIONS.sdkPollIntervalSeconds} s)`,
    `  assignments (with their exposure event)         ${usd(r.perMillion.assignments)}`,
    `  events (${ASSUMPTIONS.eventsPerIngestRequest} per POST /events)                    ${usd(r.perMillion.events)}`,
    '',
    `Events stream at this traffic: ${r.kinesis.mode} now; provisioned ${usd(r.kinesis.provisionedPerMonth)}, ` +
      `on-demand ${usd(r.kinesis.onDemandPerMonth)} a month`,
  ];
  if (r.unpriced.length > 0) {
    lines.push('', 'Unpriced resources (not in the totals):');
    for (const u of r.unpriced) lines.push(`  ${u.logicalId} (${u.type}): ${u.reason}`);
  }
  return lines.join('\n');
}

function markdown(reports: readonly CostReport[]): string {
  const row = (label: string, value: (r: CostReport) => string): string =>
    `| ${label} | ${reports.map(value).join(' | ')} |`;
  const profile = reports[0]!.profile;
  const traffic = profile.evaluations + profile.assignments + profile.events > 0;
  return [
    `| USD per month (${PRICES_AS_OF}) | ${reports.map((r) => r.stage).join(' | ')} |`,
    `|---|${reports.map(() => '---:').join('|')}|`,
    row('**Idle (fixed)**', (r) => `**${usd(r.fixedTotal)}**`),
    ...[...new Set(reports.flatMap((r) => r.fixed.map((l) => l.category)))].map((category) =>
      row(`  ${category}`, (r) =>
        usd(r.fixed.filter((l) => l.category === category).reduce((a, l) => a + l.usdPerMonth, 0)),
      ),
    ),
    ...(traffic
      ? [row('Traffic', (r) => usd(r.usageTotal)), row('**Total**', (r) => `**${usd(r.total)}**`)]
      : []),
    row('Per million remote evaluations', (r) => usd(r.perMillion.remoteEvaluations)),
    row('Per million local evaluations', (r) => usd(r.perMillion.localEvaluations)),
    row(`Per local-evaluation SDK instance (poll every ${ASSUMPTIONS.sdkPollIntervalSeconds} s)`, (r) =>
      usd(r.localSdkInstancePerMonth),
    ),
    row('Per million assignments', (r) => usd(r.perMillion.assignments)),
    row('Per million events', (r) => usd(r.perMillion.events)),
  ].join('\n');
}

function main(): void {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        stage: { type: 'string', default: 'dev' },
        json: { type: 'boolean', default: false },
        markdown: { type: 'boolean', default: false },
        ...Object.fromEntries(COUNTS.map((name) => [name, { type: 'string' } as const])),
      },
    }));
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  const stage = String(values.stage);
  if (stage !== 'all' && !isStageName(stage)) fail(`Unknown stage "${stage}"`);
  const counts = Object.fromEntries(
    COUNTS.map((name) => [name, parseCount(name, values[name] as string | undefined)]),
  ) as Record<(typeof COUNTS)[number], number>;
  const profile: TrafficProfile = {
    evaluations: counts.evaluations,
    assignments: counts.assignments,
    events: counts.events,
    users: counts.users,
    localSdkInstances: counts['sdk-instances'],
  };
  const reports = (stage === 'all' ? STAGE_NAMES : [stage]).map((name) => report(name, profile));
  if (values.json === true) console.log(JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2));
  else if (values.markdown === true) console.log(markdown(reports));
  else console.log(reports.map(text).join('\n\n'));
}

main();
