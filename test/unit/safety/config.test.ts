import { effectiveSafetyConfig, isMonitored } from '../../../shared/safety/config';
import {
  putFlagSafetyBodySchema,
  putSafetySettingsBodySchema,
  safetySettingsFieldsSchema,
} from '../../../shared/safety/schema';

const settings = safetySettingsFieldsSchema.parse({ enabled: true, maxErrorRate: 0.02 });

describe('effectiveSafetyConfig', () => {
  it('takes the settings where the flag overrides nothing, with previous_stage as the action', () => {
    expect(effectiveSafetyConfig(settings)).toEqual({
      enabled: true,
      action: 'previous_stage',
      maxErrorRate: 0.02,
      maxLatencyP95Ms: 1000,
      maxRelativeRegression: 0.1,
      minSampleSize: 100,
      windowMinutes: 10,
      autoRollback: true,
      alpha: 0.05,
      notifications: { emails: [], eventBridge: true },
    });
  });

  it('takes every field the flag overrides, and needs both switches on', () => {
    const flag = { action: 'off' as const, maxLatencyP95Ms: 250, minSampleSize: 20, autoRollback: false };
    expect(effectiveSafetyConfig(settings, flag)).toMatchObject({
      enabled: true,
      action: 'off',
      maxErrorRate: 0.02,
      maxLatencyP95Ms: 250,
      minSampleSize: 20,
      autoRollback: false,
    });
    expect(effectiveSafetyConfig(settings, { enabled: false }).enabled).toBe(false);
    expect(effectiveSafetyConfig({ ...settings, enabled: false }, { enabled: true }).enabled).toBe(false);
  });
});

describe('isMonitored', () => {
  it('needs safety on, and a running rollout or the flag’s own enabled', () => {
    expect(isMonitored({ enabled: true }, null, true)).toBe(true);
    expect(isMonitored({ enabled: true }, null, false)).toBe(false);
    expect(isMonitored({ enabled: true }, { enabled: true }, false)).toBe(true);
    expect(isMonitored({ enabled: false }, { enabled: true }, true)).toBe(false);
  });
});

describe('safety schemas', () => {
  it.each([
    ['maxErrorRate', 2],
    ['maxErrorRate', -0.1],
    ['maxLatencyP95Ms', 0],
    ['maxRelativeRegression', -1],
    ['minSampleSize', 0],
    ['minSampleSize', 1.5],
    ['windowMinutes', 1441],
    ['alpha', 0],
    ['alpha', 0.5],
  ])('refuses %s = %s, naming the field', (field, value) => {
    for (const schema of [putSafetySettingsBodySchema, putFlagSafetyBodySchema]) {
      const result = schema.safeParse({ version: 0, [field]: value });
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual([field]);
    }
  });

  it('fills the settings’ defaults and leaves a flag’s unset fields unset', () => {
    expect(putSafetySettingsBodySchema.parse({ version: 0 })).toMatchObject({ enabled: false, alpha: 0.05 });
    expect(putFlagSafetyBodySchema.parse({ version: 0 })).toEqual({ version: 0 });
    expect(
      putSafetySettingsBodySchema.safeParse({ version: 0, notifications: { emails: ['x'] } }).error?.issues[0]
        ?.path,
    ).toEqual(['notifications', 'emails', 0]);
  });
});
