/**
 * `npm start -- [--port N] [--memory] [--data DIR] [--authorizer-ttl S] [--engine-timeout S] [--ms-per-minute N]`: the whole
 * Switchyard API on this machine, with DynamoDB Local, kinesalite and Cognito-style local tokens. No AWS
 * account needed. Prints each start-up phase with its duration.
 */
import { parseArgs } from 'node:util';

// Developers run Node 20 locally (Lambda runs 22); the SDK's notice about Node 22 is known and only noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { LocalPlatformError } from '../local/dynamodb';
import { startPlatform } from '../local/platform';

const USAGE =
  'Usage: npm start -- [--port N] [--memory] [--data DIR] [--host H] [--authorizer-ttl SECONDS] ' +
  '[--engine-timeout SECONDS] [--ms-per-minute N]   (PORT and SWITCHYARD_ENGINE_TIMEOUT are honoured too)';

function parsePort(value: string | undefined): number {
  const port = Number(value ?? '3000');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`Invalid port ${JSON.stringify(value)}. ${USAGE}`);
    process.exit(2);
  }
  return port;
}

/**
 * A number of seconds: the API-key authorizer cache TTL (default: the deployed 300 s; shorter to try out
 * revocation), or how long each engine may take to start (default: 30 s times the machine's time scale).
 */
function parseSeconds(
  option: string,
  value: string | undefined,
  min = 0,
  unit = 'seconds',
): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds < min) {
    console.error(`Invalid ${option} ${JSON.stringify(value)}: a number of ${unit} >= ${min}. ${USAGE}`);
    process.exit(2);
  }
  return seconds;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        memory: { type: 'boolean', default: false },
        data: { type: 'string', default: '.switchyard' },
        'authorizer-ttl': { type: 'string' },
        'engine-timeout': { type: 'string' },
        'ms-per-minute': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }

  const engineTimeout = parseSeconds(
    values['engine-timeout'] === undefined ? 'SWITCHYARD_ENGINE_TIMEOUT' : '--engine-timeout',
    values['engine-timeout'] ?? (process.env.SWITCHYARD_ENGINE_TIMEOUT || undefined),
    1,
  );
  // SPEC §5: every background job's clock scaled (1000: the 5-minute rollout job runs every 5 s), to watch a
  // ramp or a sweep in seconds.
  const msPerMinute = parseSeconds('--ms-per-minute', values['ms-per-minute'], 1, 'milliseconds') ?? 60_000;
  const started = Date.now();
  console.log('Starting the Switchyard local platform…');
  const platform = await startPlatform({
    port: parsePort(values.port ?? process.env.PORT),
    host: values.host ?? '127.0.0.1',
    dataDir: values.data,
    memory: values.memory,
    authorizerCacheSeconds: parseSeconds('--authorizer-ttl', values['authorizer-ttl']),
    ...(engineTimeout === undefined ? {} : { engineTimeoutMs: engineTimeout * 1000 }),
    msPerMinute,
    log: (line) => console.log(`  ${line}`),
  });

  // A memory platform keeps its signing key and users in this process: tokens come from its token endpoint.
  const tokenArgs =
    platform.tokenPort !== null
      ? ` --port ${platform.tokenPort}`
      : values.data === '.switchyard'
        ? ''
        : ` --data ${values.data}`;
  console.log(
    [
      '',
      `Switchyard local platform listening on ${platform.url}  (ready in ${Date.now() - started} ms)`,
      `  data: ${values.memory ? 'in memory (throwaway: nothing is written to disk, tokens included)' : values.data}`,
      '',
      `  curl ${platform.url}/health`,
      `  TOKEN=$(npm run -s token -- --role admin${tokenArgs})`,
      `  curl -H "Authorization: Bearer $TOKEN" ${platform.url}/api/v1/users/me`,
      `  OpenAPI: ${platform.url}/api/v1/openapi.json`,
      `  Safety notifications (one JSON line per rollback): ${platform.outboxFile}`,
      `  Event batches given up after their retries: ${platform.failuresDir}/event-processor — replay with`,
      `  npm run redrive -- --dir ${platform.failuresDir}/event-processor --kinesis-endpoint ${platform.kinesisEndpoint} --stream ${platform.eventsStreamName}`,
      '',
      'Ctrl-C to stop.',
    ].join('\n'),
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    platform
      .stop()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        console.error(error);
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(
    error instanceof LocalPlatformError || error instanceof Error ? `Cannot start: ${error.message}` : error,
  );
  process.exit(1);
});
