import { AssignmentService, BufferedExposureLog } from '../../shared/assignments';
import { createDocumentClient } from '../../shared/aws/clients';
import { onLambdaShutdown, SHUTDOWN_DEADLINE_MS, shutdownIsSignalled } from '../../shared/aws/shutdown';
import { EvaluationService, type Conditional, type OfrepAnswer } from '../../shared/evaluation/service';
import { UsageRecorder } from '../../shared/evaluation/usage';
import { functionEnv } from '../../shared/functions';
import { createGroupHandler, implement } from '../../shared/http/chain';
import { HttpResponse } from '../../shared/http/response';
// Its own routes, not the whole table: their schemas are all the function loads (cold start, issue 17 goal 3).
import {
  assignRoute,
  evaluateRoute,
  EVALUATION_ROUTES,
  getSdkRulesetRoute,
  ofrepBulkRoute,
  ofrepFlagRoute,
} from '../../shared/http/evaluation-routes';
import { ForbiddenError } from '../../shared/errors';
import { inlineMaxBytesFromEnv, rulesetObjectsFromEnv } from '../../shared/rulesets/objects';
import { RulesetSource } from '../../shared/rulesets/source';
import { rulesetDependencies } from '../../shared/rulesets/wiring';

const env = functionEnv('evaluation');
const { repository, cache } = rulesetDependencies(env);
// Revalidated every 500 ms: a change is served ≤ 0.5 s after it is published (docs/architecture.md, Propagation);
// one cache GET (DynamoDB GetItem without a cache) per warm instance per 500 ms of traffic at most.
const source = new RulesetSource(repository, cache, 500);
// Exposures are buffered and put on the stream in the background, so the answer does not wait for Kinesis; on
// SIGTERM (or the local platform's stop) what is left is sent within the deadline or counted as lost. Without a
// shutdown signal each request waits for its own exposures, as before. The Kinesis SDK loads with the first
// exposure, not at cold start: most evaluations log none.
const exposures = new BufferedExposureLog(
  async () => {
    const [{ createKinesisClient }, { EventPublisher }] = await Promise.all([
      import('../../shared/aws/kinesis'),
      import('../../shared/events/publisher'),
    ]);
    return new EventPublisher(createKinesisClient(), env.EVENTS_STREAM_NAME);
  },
  { mode: shutdownIsSignalled() ? 'background' : 'awaited' },
);
onLambdaShutdown(() => exposures.shutdown(SHUTDOWN_DEADLINE_MS));
/** Called by the local platform when it stops, as Lambda's SIGTERM would be (local/lambda-runtime.ts). */
export const shutdown = (deadlineMs: number) => exposures.shutdown(deadlineMs);
const evaluation = new EvaluationService(
  source,
  new UsageRecorder(createDocumentClient(), env.TABLE_ANALYTICS),
  exposures,
  {
    objects: rulesetObjectsFromEnv(env),
    inlineMaxBytes: inlineMaxBytesFromEnv(env),
  },
);
const assignments = new AssignmentService(source, exposures);

export const handler = createGroupHandler('evaluation', EVALUATION_ROUTES, [
  implement(evaluateRoute, ({ body, principal }) => evaluation.evaluate(principal, body.context, body.flags)),
  implement(assignRoute, ({ body, principal }) => assignments.assign(principal, body)),
  implement(getSdkRulesetRoute, async ({ principal, headers }) => {
    if (principal.keyType !== 'server') throw new ForbiddenError('The ruleset is for server keys only');
    const answer = await evaluation.ruleset(headers['if-none-match']);
    if ('location' in answer) {
      // Too large for a Lambda response: the client follows the redirect to the stored body, whose revision
      // (in the body) is the ETag to send next time.
      return new HttpResponse(302, undefined, {
        location: answer.location,
        etag: answer.etag,
        'cache-control': 'no-store',
      });
    }
    return conditional(answer, (body) =>
      HttpResponse.text(200, body, 'application/json; charset=utf-8', {
        etag: answer.etag,
        'cache-control': 'no-cache',
      }),
    );
  }),
  implement(ofrepFlagRoute, async ({ params, body, principal }) =>
    ofrepResponse(await evaluation.ofrepFlag(principal, params.key, body)),
  ),
  implement(ofrepBulkRoute, async ({ body, principal, headers }) => {
    const answer = await evaluation.ofrepBulk(principal, body, headers['if-none-match']);
    if ('outcome' in answer) return ofrepResponse(answer);
    return conditional(answer, (value) => new HttpResponse(200, value, { etag: answer.etag }));
  }),
]);

/** OFREP's statuses: 200 evaluated, 400 unreadable request or failed evaluation, 404 flag not found. */
const OFREP_STATUS = { evaluated: 200, badRequest: 400, failed: 400, flagNotFound: 404 } as const;

function ofrepResponse(answer: OfrepAnswer): HttpResponse {
  return new HttpResponse(OFREP_STATUS[answer.outcome], answer.body);
}

/** 304 with the tag when the caller holds the answer, otherwise the answer itself. */
function conditional<T>(answer: Conditional<T>, respond: (value: T) => HttpResponse): HttpResponse {
  return answer.unchanged ? new HttpResponse(304, undefined, { etag: answer.etag }) : respond(answer.value);
}
