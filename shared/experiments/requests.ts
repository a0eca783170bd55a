import * as z from 'zod';
import { tagFilter, textFilter, versionedRequests } from '../config/requests';
import { versionedFields, versionField, type Versioned } from '../config/versioning';
import { analysisOf, type AnalysisSettings } from './analysis';
import { EXPERIMENT_STATUSES, type ExperimentStatus } from './lifecycle';
import { experimentFieldsSchema, experimentInputSchema, type ExperimentInput } from './schema';

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

/**
 * PUT/PATCH change everything but the key and the schedule (that is `PUT …/schedule`, and a PUT keeps it); a
 * PATCH without `trafficAllocation` keeps it.
 */
export const experimentRequests = versionedRequests('Experiment', {
  input: experimentInputSchema,
  resource: experimentSchema,
  editable: experimentFieldsSchema.omit({ key: true, startAt: true, endAt: true }),
  filters: {
    status: z.enum(EXPERIMENT_STATUSES).optional(),
    tag: tagFilter,
    q: textFilter.describe('Case-insensitive search in key, name and description'),
  },
});
export type ListExperimentsQuery = z.output<typeof experimentRequests.list>;
