/**
 * Change → visible on the local platform (issue 17, goal 5): a flag is toggled through the management API and
 * `POST /api/v1/evaluate` is polled every 10 ms until it serves the change. The path is the AWS one in miniature:
 * config table stream → ruleset publisher → rulesets table (no cache locally) → the evaluation function's
 * module-scope copy, revalidated every `revalidateMs`. Reports p50/p95 over `samples` changes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '../local/ports';
import { median, round } from './stats';

export async function benchPropagation(samples = 20): Promise<object> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-propagation-'));
  const { startPlatform } = await import('../local/platform');
  const platform = await startPlatform({ port: 0, memory: true, dataDir, log: () => undefined });
  try {
    const admin = (await platform.identity.signIn({ role: 'admin' })).token;
    const call = async (method: string, path: string, credential: string, body?: unknown) => {
      const res = await fetch(`${platform.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return JSON.parse(text) as Record<string, unknown>;
    };
    const key = (await call('POST', '/api/v1/api-keys', admin, { name: 'bench', type: 'server' }))
      .secret as string;
    let version = (
      await call('POST', '/api/v1/feature-flags', admin, {
        key: 'propagation',
        name: 'Propagation',
        kind: 'boolean',
        variations: [
          { key: 'off', value: false },
          { key: 'on', value: true },
        ],
        enabled: false,
        offVariation: 'off',
        fallthrough: { variation: 'on' },
      })
    ).version as number;
    const served = async () => {
      const answer = await call('POST', '/api/v1/evaluate', key, {
        context: { targetingKey: 'u' },
        flags: ['propagation'],
      });
      return (answer.results as { value: unknown; reason: string }[])[0];
    };
    const waitFor = async (value: boolean, deadlineMs: number) => {
      const until = Date.now() + deadlineMs;
      for (;;) {
        const result = await served();
        if (result?.value === value && result.reason !== 'ERROR') return;
        if (Date.now() > until) throw new Error(`the flag did not turn ${value} within ${deadlineMs} ms`);
        await sleep(10);
      }
    };
    await waitFor(false, 30_000);
    let enabled = false;
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      // Changes land at any phase of the poller and of the revalidation.
      await sleep(100 + Math.floor(Math.random() * 400));
      enabled = !enabled;
      const started = performance.now();
      version = (await call('POST', '/api/v1/feature-flags/propagation/toggle', admin, { enabled, version }))
        .version as number;
      await waitFor(enabled, 30_000);
      times.push(performance.now() - started);
    }
    const sorted = [...times].sort((a, b) => a - b);
    return {
      description:
        'toggle a flag (management API) → POST /api/v1/evaluate serves it, polled every 10 ms; local platform',
      samples,
      p50Ms: round(median(times), 0),
      p95Ms: round(sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)]!, 0),
      maxMs: round(sorted.at(-1)!, 0),
      samplesMs: times.map((t) => round(t, 0)),
    };
  } finally {
    await platform.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
