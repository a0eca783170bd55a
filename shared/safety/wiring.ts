import { configRepositories, type ConfigEnv } from '../config/wiring';
import type { EnvOf } from '../environment';
import { RolloutExactTime } from '../rollouts/exact-time';
import { RolloutsService } from '../rollouts/service';
import { oneTimeSchedulesFromEnv } from '../schedules/one-time';
import { notifierFromEnv } from './notifier';
import { RollbackLog } from './repository';
import { SafetyService, type SafetyServiceDependencies } from './service';

/**
 * What a function that rolls flags back needs: the config and audit tables, the notification targets, and the
 * rollouts' exact-time schedules (`exactTime`, read by oneTimeSchedulesFromEnv) — a rolled-back rollout's pending
 * one-time schedule is deleted, as RolloutsService does after every change.
 */
export type SafetyEnv = ConfigEnv & EnvOf<'notifications'>;

/**
 * The safety service with its repositories, the rollout service it acts through and the notifier the
 * environment names, created once per execution environment (the safety routes now, the monitor later).
 */
export function safetyService(
  env: SafetyEnv,
  options: Pick<SafetyServiceDependencies, 'health'> = {},
): SafetyService {
  const { doc, audit, flags, rollouts, safetySettings, safetyConfigs } = configRepositories(env);
  return new SafetyService({
    settings: safetySettings,
    flagConfigs: safetyConfigs,
    rollbacks: new RollbackLog(doc, env.TABLE_CONFIG, audit),
    flags,
    rollouts: new RolloutsService(rollouts, flags, new RolloutExactTime(oneTimeSchedulesFromEnv())),
    notifier: notifierFromEnv(env),
    ...options,
  });
}
