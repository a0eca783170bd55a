import * as z from 'zod';
import { replaceBodyOf, versionedFields, versionField, type Versioned } from '../config/versioning';
import { pageSchema, paginationQuery } from '../pagination';
import { itemKeySchema, resourceKeySchema } from '../rules/schema';
import { ROLLOUT_STATUSES, type HistoryEntry, type RolloutStatus } from './lifecycle';
import { BASIS_POINTS, rolloutFieldsSchema, rolloutInputSchema, type RolloutInput } from './schema';

const historyEntrySchema = z.strictObject({
  stage: z.number().int().min(-1).describe('The stage entered (or rolled back to; -1: none, 0 %)'),
  percentage: z.number().int().min(0).max(BASIS_POINTS),
  at: z.iso.datetime(),
  by: z.string().describe('Who: a user’s sub, or system:rollouts for the job'),
  action: z.enum(['advance', 'rollBack']),
});

/** A rollout schedule as stored and returned. */
export const rolloutSchema = rolloutFieldsSchema
  .extend({
    key: resourceKeySchema.describe('The schedule’s id'),
    status: z.enum(ROLLOUT_STATUSES),
    currentStage: z.number().int().min(-1).describe('The stage entered last; -1 before the start'),
    replacedVariation: itemKeySchema
      .optional()
      .describe('What the fallthrough served before the start: the variation the ramp replaces'),
    startedAt: z.iso.datetime().optional(),
    stageStartedAt: z.iso.datetime().optional().describe('When the current stage was entered'),
    history: z.array(historyEntrySchema),
    ...versionedFields,
  })
  .meta({ id: 'RolloutSchedule' });

export type RolloutSchedule = Omit<RolloutInput, 'key'> &
  Versioned & {
    status: RolloutStatus;
    currentStage: number;
    replacedVariation?: string;
    startedAt?: string;
    stageStartedAt?: string;
    history: HistoryEntry[];
  };

/** advance, pause, resume: an optional body with the version (or If-Match). */
export const transitionRolloutBodySchema = z
  .strictObject({ version: versionField })
  .optional()
  .meta({ id: 'RolloutTransition' });

/**
 * The schemas of the schedules' routes: as for the other versioned resources (`versionedRequests`), but under
 * `{id}` and without PATCH. PUT takes the whole schedule but its id (only while PENDING or PAUSED; entered stages
 * are locked).
 */
export const rolloutRequests = {
  params: z.strictObject({ id: resourceKeySchema }),
  create: rolloutInputSchema,
  resource: rolloutSchema,
  replace: replaceBodyOf(rolloutFieldsSchema.omit({ key: true })).meta({ id: 'RolloutReplace' }),
  list: z.strictObject({
    ...paginationQuery.shape,
    flagKey: resourceKeySchema.optional(),
    status: z.enum(ROLLOUT_STATUSES).optional(),
  }),
  page: pageSchema(rolloutSchema),
};
export type ListRolloutsQuery = z.output<typeof rolloutRequests.list>;
