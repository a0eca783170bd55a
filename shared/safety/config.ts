import type { EffectiveSafetyConfig, FlagSafetyInput, SafetySettingsInput } from './schema';

/**
 * One flag's safety configuration, every field resolved (SPEC §2.7): a field the flag overrides takes the flag's
 * value, every other the settings'. `enabled` needs both switches: the settings' (the stage's master switch) and
 * the flag's own (unset counts as on). `action` defaults to previous_stage. Pure.
 */
export function effectiveSafetyConfig(
  settings: SafetySettingsInput,
  flagConfig?: FlagSafetyInput | null,
): EffectiveSafetyConfig {
  const own = flagConfig ?? {};
  return {
    enabled: settings.enabled && own.enabled !== false,
    action: own.action ?? 'previous_stage',
    maxErrorRate: own.maxErrorRate ?? settings.maxErrorRate,
    maxLatencyP95Ms: own.maxLatencyP95Ms ?? settings.maxLatencyP95Ms,
    maxRelativeRegression: own.maxRelativeRegression ?? settings.maxRelativeRegression,
    minSampleSize: own.minSampleSize ?? settings.minSampleSize,
    windowMinutes: own.windowMinutes ?? settings.windowMinutes,
    autoRollback: own.autoRollback ?? settings.autoRollback,
    alpha: own.alpha ?? settings.alpha,
    notifications: settings.notifications,
  };
}

/**
 * Whether the monitor watches a flag: safety on for it, and either a rollout schedule ramping it (ACTIVE or
 * PAUSED) or its own config asking for it (`enabled: true`). Pure.
 */
export function isMonitored(
  effective: Pick<EffectiveSafetyConfig, 'enabled'>,
  flagConfig: Pick<FlagSafetyInput, 'enabled'> | null | undefined,
  hasRunningRollout: boolean,
): boolean {
  return effective.enabled && (hasRunningRollout || flagConfig?.enabled === true);
}
