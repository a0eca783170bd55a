import { parseEnv } from '../env';
import * as z from 'zod';
import type { Health } from './schema';

const { STAGE } = parseEnv(z.object({ STAGE: z.string().min(1) }));

export function health(now: Date = new Date()): Health {
  return { status: 'ok', service: 'switchyard', stage: STAGE, time: now.toISOString() };
}
