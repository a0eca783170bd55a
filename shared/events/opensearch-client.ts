import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Client } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws-v3';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { parseEnv } from '../env';
import { SEARCH_ENV, searchCapability } from '../environment';

/**
 * How functions reach OpenSearch. In AWS the domain's endpoint comes from `SearchSetup.bindIndexer`
 * as `OPENSEARCH_URL=https://<endpoint>` with `OPENSEARCH_AUTH=aws-sigv4` (requests signed for service `es`
 * with the function's role, which fine-grained access control maps to an OpenSearch role). Locally,
 * `OPENSEARCH_URL` alone points at a plain HTTP OpenSearch (e.g. `http://localhost:9200`); without it there
 * is no search sink at all.
 */
const OPENSEARCH_URL_ENV = SEARCH_ENV.url;
const OPENSEARCH_AUTH_ENV = SEARCH_ENV.auth;

export const searchEnvSchema = searchCapability.schema.refine(
  (env) => env[OPENSEARCH_AUTH_ENV] !== 'aws-sigv4' || env.AWS_REGION !== undefined,
  {
    message: 'AWS_REGION is required to sign OpenSearch requests (OPENSEARCH_AUTH=aws-sigv4)',
    path: ['AWS_REGION'],
  },
);

export interface OpenSearchConnection {
  /** Base URL, `https://vpc-….es.amazonaws.com` or `http://127.0.0.1:9200`. */
  readonly url: string;
  /**
   * Sign every request with SigV4 for the `es` service (an Amazon OpenSearch Service domain).
   * @default - unsigned requests
   */
  readonly sigv4?: {
    readonly region: string;
    /** @default - the default Node.js credential chain (the Lambda execution role) */
    readonly credentials?: AwsCredentialIdentityProvider;
  };
  /**
   * Per-request timeout. The client itself never retries (`maxRetries: 0`): callers retry with backoff.
   * @default 10_000
   */
  readonly requestTimeoutMs?: number;
}

/** The connection `OPENSEARCH_URL` / `OPENSEARCH_AUTH` describe, or undefined when no URL is set. */
export function searchConnectionFromEnv(
  source: NodeJS.ProcessEnv = process.env,
): OpenSearchConnection | undefined {
  const env = parseEnv(searchEnvSchema, source);
  const url = env[OPENSEARCH_URL_ENV];
  if (url === undefined) return undefined;
  return env[OPENSEARCH_AUTH_ENV] === 'aws-sigv4' ? { url, sigv4: { region: env.AWS_REGION! } } : { url };
}

export function createOpenSearchClient(connection: OpenSearchConnection): Client {
  const common = {
    node: connection.url,
    // Retries belong to the caller, which knows which items failed and backs off with jitter.
    maxRetries: 0,
    requestTimeout: connection.requestTimeoutMs ?? 10_000,
  };
  const { sigv4 } = connection;
  if (!sigv4) return new Client(common);
  // Pass the provider explicitly: the signer would otherwise import @aws-sdk/credential-provider-node itself.
  const credentials = sigv4.credentials ?? defaultProvider();
  return new Client({
    ...common,
    ...AwsSigv4Signer({
      region: sigv4.region,
      service: 'es',
      getCredentials: (): Promise<AwsCredentialIdentity> => credentials(),
    }),
  });
}

/** Connection failures and timeouts (no status), throttling (429) and server errors (5xx) are worth retrying. */
export function isRetryableStatus(status: number | undefined): boolean {
  return status === undefined || status === 429 || status >= 500;
}
