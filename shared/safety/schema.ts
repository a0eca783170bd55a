import * as z from 'zod';
import { pageSchema, paginationQuery } from '../pagination';
import { resourceKeySchema, serveSchema } from '../rules/schema';
import { ROLLOUT_STATUSES } from '../rollouts/lifecycle';

/** What a rollback does to a flag (SPEC §2.7): turn it off, or take its rollout back one stage. */
export const SAFETY_ACTIONS = ['off', 'previous_stage'] as const;
export type SafetyAction = (typeof SAFETY_ACTIONS)[number];

export const ROLLBACK_TRIGGERS = ['auto', 'manual'] as const;
export type RollbackTrigger = (typeof ROLLBACK_TRIGGERS)[number];

/** The thresholds of SPEC §2.7, each with its bounds; the settings give them defaults, flags override them. */
const thresholds = {
  maxErrorRate: z
    .number()
    .min(0)
    .max(1)
    .describe('Highest tolerated error rate over the window (error events ÷ latency events), 0–1'),
  maxLatencyP95Ms: z.number().positive().describe('Highest tolerated p95 latency over the window, in ms'),
  maxRelativeRegression: z
    .number()
    .min(0)
    .describe('Tolerated regression against the variation being replaced: 0.1 = +10 %'),
  minSampleSize: z
    .number()
    .int()
    .min(1)
    .describe('Requests (latency events) a variation needs in the window before it is judged'),
  windowMinutes: z.number().int().min(1).max(1440).describe('The window the monitor looks at, in minutes'),
  autoRollback: z
    .boolean()
    .describe('Roll back on a breach by itself; false: only a person’s POST …/rollback does'),
  alpha: z
    .number()
    .gt(0)
    .lt(0.5)
    .describe('False-alarm rate of the regression test, across all the monitor’s looks at one stage'),
};

/** SPEC §2.7's defaults: monitoring off until an admin turns it on. */
export const SAFETY_DEFAULTS = {
  enabled: false,
  maxErrorRate: 0.05,
  maxLatencyP95Ms: 1000,
  maxRelativeRegression: 0.1,
  minSampleSize: 100,
  windowMinutes: 10,
  autoRollback: true,
  alpha: 0.05,
} as const;

/**
 * Who hears of a rollback. Every notification goes to the stage's SNS topic, whose subscriptions are made at
 * deploy time (the stage's alarm e-mail); `emails` are recorded here and travel in every notification as its
 * `recipients`, for a subscriber that routes by them — SNS itself does not mail them. `eventBridge` puts a
 * `Safety Rollback` event on the account's default bus (source `switchyard`).
 */
export const notificationTargetsSchema = z
  .strictObject({
    emails: z.array(z.email()).max(50).default([]).describe('Recorded and sent along as `recipients`'),
    eventBridge: z
      .boolean()
      .default(true)
      .describe('Also put a `Safety Rollback` event on the default EventBridge bus'),
  })
  .meta({ id: 'SafetyNotificationTargets' });
export type NotificationTargets = z.output<typeof notificationTargetsSchema>;

/** The stage's settings as an admin writes them (PUT replaces them all; what is left out takes its default). */
export const safetySettingsFieldsSchema = z.strictObject({
  enabled: z
    .boolean()
    .default(SAFETY_DEFAULTS.enabled)
    .describe('Master switch: nothing is monitored or rolled back automatically while false'),
  maxErrorRate: thresholds.maxErrorRate.default(SAFETY_DEFAULTS.maxErrorRate),
  maxLatencyP95Ms: thresholds.maxLatencyP95Ms.default(SAFETY_DEFAULTS.maxLatencyP95Ms),
  maxRelativeRegression: thresholds.maxRelativeRegression.default(SAFETY_DEFAULTS.maxRelativeRegression),
  minSampleSize: thresholds.minSampleSize.default(SAFETY_DEFAULTS.minSampleSize),
  windowMinutes: thresholds.windowMinutes.default(SAFETY_DEFAULTS.windowMinutes),
  autoRollback: thresholds.autoRollback.default(SAFETY_DEFAULTS.autoRollback),
  alpha: thresholds.alpha.default(SAFETY_DEFAULTS.alpha),
  notifications: notificationTargetsSchema.default({ emails: [], eventBridge: true }),
});
export type SafetySettingsInput = z.output<typeof safetySettingsFieldsSchema>;

/** `version` of a singleton or per-flag config: 0 is the version of what was never written (the defaults). */
const configVersionField = z
  .number()
  .int()
  .min(0)
  .optional()
  .describe('The version you read (0 before the first write), or send If-Match');

export const putSafetySettingsBodySchema = safetySettingsFieldsSchema
  .extend({ version: configVersionField })
  .meta({ id: 'SafetySettingsReplace' });

/** Who last changed a config and when: absent at version 0 (never written). */
const changeFields = {
  version: z.number().int().min(0).describe('0: never written, these are the defaults'),
  createdAt: z.iso.datetime().optional(),
  updatedAt: z.iso.datetime().optional(),
  createdBy: z.string().optional(),
};

export const safetySettingsSchema = safetySettingsFieldsSchema
  .extend(changeFields)
  .meta({ id: 'SafetySettings' });
export type SafetySettings = z.output<typeof safetySettingsSchema>;

/** Every field of the settings, resolved for one flag: what the monitor and a rollback act on. */
export const effectiveSafetyConfigSchema = z
  .strictObject({
    enabled: z.boolean().describe('The settings’ switch and the flag’s own, both on'),
    action: z.enum(SAFETY_ACTIONS),
    ...thresholds,
    notifications: notificationTargetsSchema,
  })
  .meta({ id: 'EffectiveSafetyConfig' });
export type EffectiveSafetyConfig = z.output<typeof effectiveSafetyConfigSchema>;

/** A flag's overrides: every threshold optional (unset = the settings' value), plus what a rollback does. */
export const flagSafetyFieldsSchema = z.strictObject({
  enabled: z
    .boolean()
    .optional()
    .describe(
      'true: monitor this flag even without a running rollout; false: never monitor it; unset: monitor it ' +
        'while a rollout schedule is ACTIVE or PAUSED. Nothing is monitored while the settings are disabled.',
    ),
  action: z
    .enum(SAFETY_ACTIONS)
    .optional()
    .describe(
      'What a rollback does (default previous_stage): previous_stage takes the running rollout back one stage ' +
        '(ROLLED_BACK), or turns the flag off when none runs; off turns the flag off and takes its rollout to 0 %',
    ),
  maxErrorRate: thresholds.maxErrorRate.optional(),
  maxLatencyP95Ms: thresholds.maxLatencyP95Ms.optional(),
  maxRelativeRegression: thresholds.maxRelativeRegression.optional(),
  minSampleSize: thresholds.minSampleSize.optional(),
  windowMinutes: thresholds.windowMinutes.optional(),
  autoRollback: thresholds.autoRollback.optional(),
  alpha: thresholds.alpha.optional(),
});
export type FlagSafetyInput = z.output<typeof flagSafetyFieldsSchema>;

export const putFlagSafetyBodySchema = flagSafetyFieldsSchema
  .extend({ version: configVersionField })
  .meta({ id: 'FlagSafetyConfigReplace' });

export const flagSafetyConfigSchema = flagSafetyFieldsSchema
  .extend({
    flagKey: resourceKeySchema,
    ...changeFields,
    effective: effectiveSafetyConfigSchema,
  })
  .meta({ id: 'FlagSafetyConfig' });
export type FlagSafetyConfig = z.output<typeof flagSafetyConfigSchema>;

export const safetyFlagParams = z.strictObject({ key: resourceKeySchema });

/** What a flag and its rollout looked like, before or after a rollback. */
export const flagSafetyStateSchema = z
  .strictObject({
    flag: z.strictObject({
      enabled: z.boolean(),
      fallthrough: serveSchema,
      version: z.number().int(),
    }),
    rollout: z
      .strictObject({
        key: z.string(),
        status: z.enum(ROLLOUT_STATUSES),
        currentStage: z.number().int(),
        percentage: z.number().int().describe('Basis points the rolled-out variation is served'),
        version: z.number().int(),
      })
      .nullable()
      .describe('The running rollout schedule (before), or the one the rollback acted on (after)'),
  })
  .meta({ id: 'FlagSafetyState' });
export type FlagSafetyState = z.output<typeof flagSafetyStateSchema>;

export const rollbackRecordSchema = z
  .strictObject({
    id: z.string(),
    flagKey: resourceKeySchema,
    trigger: z.enum(ROLLBACK_TRIGGERS),
    action: z.enum(SAFETY_ACTIONS).describe('The flag’s configured action'),
    applied: z
      .enum(['rollout_previous_stage', 'flag_off', 'flag_off_rollout_zero', 'rollout_zero'])
      .describe('What was done: previous_stage without a running rollout turns the flag off'),
    reason: z.string(),
    metricsSnapshot: z
      .record(z.string(), z.json())
      .nullable()
      .describe('The figures that led to it (the monitor’s), null for a manual rollback without any'),
    previousState: flagSafetyStateSchema,
    resultingState: flagSafetyStateSchema,
    at: z.iso.datetime(),
    by: z.string().describe('A person’s sub, or system:safety for the monitor'),
    byName: z.string().nullable(),
  })
  .meta({ id: 'SafetyRollback' });
export type RollbackRecord = z.output<typeof rollbackRecordSchema>;

export const rollbackBodySchema = z
  .strictObject({ reason: z.string().trim().min(1).max(1000).describe('Why: kept in the record') })
  .meta({ id: 'SafetyRollbackRequest' });

export const listRollbacksQuerySchema = z
  .strictObject({
    ...paginationQuery.shape,
    flagKey: resourceKeySchema.optional(),
    from: z.iso.datetime({ offset: true }).optional().describe('Records at or after this instant'),
    to: z.iso.datetime({ offset: true }).optional().describe('Records at or before this instant'),
  })
  .superRefine((value, ctx) => {
    if (value.from !== undefined && value.to !== undefined && Date.parse(value.to) < Date.parse(value.from)) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'to must not be before from' });
    }
  });
export type ListRollbacksQuery = z.output<typeof listRollbacksQuerySchema>;

export const rollbackPageSchema = pageSchema(rollbackRecordSchema);

const unitSumsSchema = z.strictObject({
  units: z.number().describe('Unit-hours with events since the stage began (the unit of analysis)'),
  errors: z.number(),
  requests: z.number(),
  latencySum: z.number(),
  errorSquares: z.number(),
  requestSquares: z.number(),
  latencySquares: z.number(),
  errorRequestProducts: z.number(),
  latencyRequestProducts: z.number(),
});

const variationFiguresSchema = z
  .strictObject({
    variation: z.string(),
    window: z
      .strictObject({
        requests: z.number().describe('Latency events in the window'),
        errors: z.number(),
        latencyP95Ms: z.number().nullable(),
      })
      .describe('The last windowMinutes minutes'),
    sinceStage: unitSumsSchema.describe('Per-unit sums since the current stage began'),
  })
  .meta({ id: 'SafetyVariationFigures' });

const checkResultSchema = z
  .strictObject({
    check: z.enum(['error_rate', 'latency_p95', 'error_rate_regression', 'latency_regression']),
    variation: z.string(),
    observed: z
      .number()
      .nullable()
      .describe('A rate, milliseconds, or for regressions the ratio to the control'),
    limit: z.number(),
    pValue: z.number().optional().describe('Regressions: the always-valid one-sided p-value'),
    level: z.number().optional().describe('Regressions: the level it is compared with (alpha / 2)'),
    evaluated: z.boolean().describe('False while the sample is too small to judge'),
    breached: z.boolean(),
    message: z.string(),
  })
  .meta({ id: 'SafetyCheck' });

/** The monitor's figures and verdict for one flag (shared/safety/monitor.ts assessFlag). */
export const flagHealthSchema = z
  .strictObject({
    healthy: z.boolean(),
    reason: z.string().nullable().describe('The breached checks, or null'),
    variations: z.array(
      z.strictObject({
        guarded: variationFiguresSchema,
        control: variationFiguresSchema.nullable().describe('The variation it is compared with, if any'),
        checks: z.array(checkResultSchema),
      }),
    ),
  })
  .meta({ id: 'SafetyFlagHealth' });
export type FlagHealth = z.output<typeof flagHealthSchema>;

export const safetyReportSchema = z
  .strictObject({
    generatedAt: z.iso.datetime(),
    enabled: z.boolean().describe('The settings’ master switch'),
    flags: z.array(
      z.strictObject({
        flagKey: resourceKeySchema,
        effective: effectiveSafetyConfigSchema,
        rollout: z
          .strictObject({
            key: z.string(),
            status: z.enum(ROLLOUT_STATUSES),
            currentStage: z.number().int(),
            percentage: z.number().int(),
            variation: z.string(),
            replacedVariation: z.string().optional(),
          })
          .nullable()
          .describe('The ACTIVE or PAUSED schedule ramping the flag, if any'),
        health: flagHealthSchema.optional().describe('The monitor’s figures and verdict now'),
        recentRollbacks: z.array(rollbackRecordSchema).describe('The flag’s last rollbacks, newest first'),
      }),
    ),
    recentRollbacks: z
      .array(rollbackRecordSchema)
      .describe('The last rollbacks of any flag, newest first (also of flags no longer monitored)'),
  })
  .meta({ id: 'SafetyReport' });
export type SafetyReport = z.output<typeof safetyReportSchema>;
