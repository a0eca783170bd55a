import { Logger } from '@aws-lambda-powertools/logger';
import type * as TracerModule from '@aws-lambda-powertools/tracer';
import type * as TracerMiddlewareModule from '@aws-lambda-powertools/tracer/middleware';
import type { MiddlewareObj } from '@middy/core';

/** Created once per execution environment; the service name comes from POWERTOOLS_SERVICE_NAME. */
export const logger = new Logger({ serviceName: 'switchyard' });

/**
 * Whether the Powertools tracer could trace here: inside Lambda (AWS_EXECUTION_ENV set, not SAM local) and not
 * turned off with POWERTOOLS_TRACE_ENABLED=false — the tracer's own rule, so it is never left out where it would
 * have traced.
 */
export function tracingPossible(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.POWERTOOLS_TRACE_ENABLED ?? '').toLowerCase() === 'false') return false;
  return (env.AWS_EXECUTION_ENV ?? '') !== '' && (env.AWS_SAM_LOCAL ?? '') === '';
}

/**
 * The X-Ray middleware of a handler (Powertools tracer: a subsegment per invocation with the ColdStart and Service
 * annotations, the response or error as metadata), or undefined where tracing cannot be on. The tracer and the
 * X-Ray SDK are required only then: they are the largest part of a function's code and tens of ms to load, so a
 * function that does not trace (locally, in the bench, or with tracing off) never loads them. They are shipped
 * beside the bundle, not in it (LAZY_MODULES, lib/constructs/function-bundling.ts). Created once per environment.
 */
export function tracingMiddleware(env: NodeJS.ProcessEnv = process.env): MiddlewareObj | undefined {
  if (!tracingPossible(env)) return undefined;
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded only when tracing can be on (see above) */
  const { Tracer } = require('@aws-lambda-powertools/tracer') as typeof TracerModule;
  const { captureLambdaHandler } =
    require('@aws-lambda-powertools/tracer/middleware') as typeof TracerMiddlewareModule;
  /* eslint-enable @typescript-eslint/no-require-imports */
  return captureLambdaHandler(new Tracer({ serviceName: 'switchyard' }));
}
