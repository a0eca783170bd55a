/**
 * The safety monitor's run time per 1 000 monitored flags (issue 13), against DynamoDB Local: 1 000 flags, each
 * ramping `on` against `off` with error/latency events of 40 units a variation in the current hour (folded in by
 * the real event processor), judged by `monitorSafety` — four strongly consistent queries per flag (the window's
 * minutes and the stage's unit-hour cells of both variations) and the decision rule. Healthy data: no rollback,
 * so the figure is the monitor's steady-state cost per run.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTables, startDynamoLocal } from '../local/dynamodb';
import { freePort } from '../local/ports';
import { analysisConfig } from '../shared/analytics/config';
import { EventProcessor, type StreamRecord } from '../shared/analytics/processor';
import { AnalyticsStore } from '../shared/analytics/store';
import { TABLE_IDS, type TableId } from '../shared/db/tables';
import type { SwitchyardEvent } from '../shared/events/schema';
import { NoSink } from '../shared/events/sink';
import type { Flag } from '../shared/flags/requests';
import type { RolloutSchedule } from '../shared/rollouts/requests';
import { monitorSafety } from '../shared/safety/monitor';
import { SAFETY_DEFAULTS, type EffectiveSafetyConfig } from '../shared/safety/schema';
import type { MonitoredFlag } from '../shared/safety/service';
import { median, round } from './stats';

const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' };
const FLAGS = 1000;
const UNITS_PER_VARIATION = 40;

function events(now: number): SwitchyardEvent[] {
  const out: SwitchyardEvent[] = [];
  const timestamp = new Date(now - 60_000).toISOString();
  for (let f = 0; f < FLAGS; f++) {
    for (const variation of ['on', 'off']) {
      for (let u = 0; u < UNITS_PER_VARIATION; u++) {
        const common = {
          unitId: `u${f}-${variation}-${u}`,
          name: 'request',
          timestamp,
          flagKey: `flag-${f}`,
          variation,
        };
        out.push({ ...common, eventId: randomUUID(), type: 'latency', value: 50 + ((u * 37) % 100) });
        if (u % 20 === 0) out.push({ ...common, eventId: randomUUID(), type: 'error' });
      }
    }
  }
  return out;
}

function monitoredFlags(stageStartedAt: string): MonitoredFlag[] {
  const effective = { ...SAFETY_DEFAULTS, enabled: true, action: 'previous_stage' } as EffectiveSafetyConfig;
  return Array.from({ length: FLAGS }, (_, f) => ({
    flag: {
      key: `flag-${f}`,
      variations: [
        { key: 'on', value: true },
        { key: 'off', value: false },
      ],
      offVariation: 'off',
    } as unknown as Flag,
    config: null,
    effective,
    rollout: {
      key: `ramp-${f}`,
      flagKey: `flag-${f}`,
      variation: 'on',
      replacedVariation: 'off',
      status: 'ACTIVE',
      currentStage: 0,
      stages: [{ percentage: 5000, trigger: { type: 'manual' } }],
      stageStartedAt,
    } as unknown as RolloutSchedule,
  }));
}

export async function benchSafetyMonitor(runs = 5): Promise<object> {
  const engine = await startDynamoLocal(
    (endpoint) => new DynamoDBClient({ endpoint, region: 'us-east-1', credentials }),
    { port: await freePort() },
  );
  const client = new DynamoDBClient({ endpoint: engine.endpoint, region: 'us-east-1', credentials });
  const tableNames = Object.fromEntries(TABLE_IDS.map((id) => [id, `bench-${id}`])) as Record<
    TableId,
    string
  >;
  try {
    await ensureTables(client, tableNames);
    const store = new AnalyticsStore(client, tableNames.analytics);
    const now = Date.now();
    const processor = new EventProcessor({
      store,
      sink: new NoSink(),
      config: () => Promise.resolve(analysisConfig([], [])),
      logger: { warn: () => undefined, error: () => undefined },
    });
    const all = events(now);
    for (let i = 0; i < all.length; i += 10_000) {
      const records: StreamRecord[] = all
        .slice(i, i + 10_000)
        .map((e, j) => ({ id: String(i + j).padStart(20, '0'), data: Buffer.from(JSON.stringify(e)) }));
      const { failed } = await processor.process(records);
      if (failed.size > 0) throw new Error(`${failed.size} records failed`);
    }
    const flags = monitoredFlags(new Date(now - 10 * 60_000).toISOString());
    let rollbacks = 0;
    const service = {
      monitoredFlags: async () => flags,
      rollBack: async () => {
        rollbacks++;
        return null;
      },
    };
    const samples: number[] = [];
    let last = { monitored: 0, breached: [] as string[], failed: [] as string[] };
    for (let run = 0; run <= runs; run++) {
      const start = process.hrtime.bigint();
      last = await monitorSafety(service, store, `bench-${run}`, new Date());
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (run > 0) samples.push(ms); // the first run warms the connections up
    }
    if (last.failed.length > 0 || last.monitored !== FLAGS)
      throw new Error(`monitor run failed: ${JSON.stringify(last)}`);
    return {
      description:
        'safety monitor run against DynamoDB Local: 1 000 ramping flags (on vs off, 40 units each), 4 queries per flag, 16 flags at a time',
      runs: samples.length,
      flags: FLAGS,
      medianRunMs: round(median(samples)),
      medianMsPer1000Flags: round((median(samples) / FLAGS) * 1000),
      queriesPerRun: FLAGS * 4,
      breached: last.breached.length,
      rollbacks,
    };
  } finally {
    client.destroy();
    await engine.stop();
  }
}
