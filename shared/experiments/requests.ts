import * as z from 'zod';
import {
  patchBodyOf,
  replaceBodyOf,
  versionedFields,
  versionField,
  type Versioned,
} from '../config/versioning';
import { pageSchema, paginationQuery } from '../pagination';
import { resourceKeySchema } from '../rules/schema';
import { analysisOf, type AnalysisSettings } from './analysis';
import { EXPERIMENT_STATUSES, type ExperimentStatus } from './lifecycle';
import { experimentFieldsSchema, type ExperimentInput } from './schema';

/** An experiment as stored and returned: the client's fields plus what the server manages. */
export const experimentSchema = experimentFieldsSchema
  .extend({
    status: z.enum(EXPERIMENT_STATUSES),
    ...versionedFields,
    startedAt: z.iso.datetime().optional(),
    endedAt: z.iso.datetime().optional(),
  })
  .meta({ id: 'Experiment' });
/** `analysis` may be missing from experiments stored before it existed: read it with `analysisOf`. */
export type Experiment = Omit<ExperimentInput, 'analysis'> & {
  analysis?: AnalysisSettings;
} & Versioned & { status: ExperimentStatus; startedAt?: string; endedAt?: string };

/** An experiment as the API returns it: with its analysis settings, defaults filled in. */
export type ExperimentView = Experiment & { analysis: AnalysisSettings };

export function withAnalysis(experiment: Experiment): ExperimentView {
  return { ...experiment, analysis: analysisOf(experiment) };
}

export const experimentKeyParams = z.strictObject({ key: resourceKeySchema });

/** What PUT/PATCH may change: everything but the key and the schedule (that is `PUT …/schedule`). */
const editableFields = experimentFieldsSchema.omit({ key: true, startAt: true, endAt: true });

/** PUT: every editable field, replacing the stored ones (the schedule is kept). */
export const replaceExperimentBodySchema = replaceBodyOf(editableFields).meta({ id: 'ExperimentReplace' });

/** PATCH: only the fields that change (a PATCH without `trafficAllocation` keeps it). */
export const patchExperimentBodySchema = patchBodyOf(editableFields).meta({ id: 'ExperimentPatch' });

/** start, pause, resume, complete, archive: an optional body with the version (or If-Match). */
export const transitionExperimentBodySchema = z
  .strictObject({ version: versionField })
  .optional()
  .meta({ id: 'ExperimentTransition' });

export const scheduleExperimentBodySchema = z
  .strictObject({
    startAt: z.iso.datetime().optional().describe('When to start; omit to clear'),
    endAt: z.iso.datetime().optional().describe('When to complete; omit to clear'),
    version: versionField,
  })
  .meta({ id: 'ExperimentSchedule' });

export const listExperimentsQuerySchema = z.strictObject({
  ...paginationQuery.shape,
  status: z.enum(EXPERIMENT_STATUSES).optional(),
  tag: z.string().min(1).max(64).optional(),
  q: z.string().min(1).max(200).optional().describe('Case-insensitive search in key, name and description'),
});
export type ListExperimentsQuery = z.output<typeof listExperimentsQuerySchema>;

export const experimentPageSchema = pageSchema(experimentSchema);
