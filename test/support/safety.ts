import { existsSync, readFileSync } from 'node:fs';
import type { OutboxEntry } from '../../shared/safety/notifier';
import type { ApiCall } from './http';

/** What the local safety notifier has written to its outbox file so far (nothing before the first notice). */
export function readOutbox(outboxFile: string): OutboxEntry[] {
  return existsSync(outboxFile)
    ? readFileSync(outboxFile, 'utf8')
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as OutboxEntry)
    : [];
}

/** A rollout schedule `ramp` of `flagKey` to `on` (10 % → 50 % → 100 %, all manual), advanced to its 50 % stage. */
export async function rampToHalf(call: ApiCall, flagKey: string, ramp: string): Promise<void> {
  const created = await call('POST', '/api/v1/rollout-schedules', {
    key: ramp,
    flagKey,
    variation: 'on',
    stages: [1000, 5000, 10000].map((percentage) => ({ percentage, trigger: { type: 'manual' } })),
  });
  expect(created.status).toBe(201);
  for (const version of [1, 2]) {
    const advanced = await call('POST', `/api/v1/rollout-schedules/${ramp}/advance`, { version });
    expect(advanced.status).toBe(200);
  }
}
