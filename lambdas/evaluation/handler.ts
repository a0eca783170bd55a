import { AssignmentService, KinesisExposureLog } from '../../shared/assignments';
import { createDocumentClient, createKinesisClient } from '../../shared/aws/clients';
import { EvaluationService } from '../../shared/evaluation/service';
import { UsageRecorder } from '../../shared/evaluation/usage';
import { EventPublisher } from '../../shared/events/publisher';
import { functionEnv } from '../../shared/functions';
import { createHttpHandler, implement } from '../../shared/http/handler';
import {
  assignRoute,
  evaluateRoute,
  getSdkRulesetRoute,
  ofrepBulkRoute,
  ofrepFlagRoute,
} from '../../shared/http/routes';
import { ForbiddenError } from '../../shared/errors';
import { RulesetSource } from '../../shared/rulesets/source';
import { rulesetDependencies } from '../../shared/rulesets/wiring';

const env = functionEnv('evaluation');
const { repository, cache } = rulesetDependencies(env);
const source = new RulesetSource(repository, cache);
// The caller waits for its exposures' PutRecords: keep the retries short.
const exposures = new KinesisExposureLog(
  new EventPublisher(createKinesisClient(), env.EVENTS_STREAM_NAME, { maxAttempts: 3, deadlineMs: 500 }),
);
const evaluation = new EvaluationService(
  source,
  new UsageRecorder(createDocumentClient(), env.TABLE_ANALYTICS),
  exposures,
);
const assignments = new AssignmentService(source, exposures);

export const handler = createHttpHandler('evaluation', [
  implement(evaluateRoute, ({ body, principal }) => evaluation.evaluate(principal, body.context, body.flags)),
  implement(assignRoute, ({ body, principal }) => assignments.assign(principal, body)),
  implement(getSdkRulesetRoute, ({ principal, headers }) => {
    if (principal.keyType !== 'server') throw new ForbiddenError('The ruleset is for server keys only');
    return evaluation.ruleset(headers['if-none-match']);
  }),
  implement(ofrepFlagRoute, ({ params, body, principal }) =>
    evaluation.ofrepFlag(principal, params.key, body.context),
  ),
  implement(ofrepBulkRoute, ({ body, principal, headers }) =>
    evaluation.ofrepBulk(principal, body.context, headers['if-none-match']),
  ),
]);
