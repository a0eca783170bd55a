import { randomUUID } from 'node:crypto';
import type { Client } from '@opensearch-project/opensearch';
import { errors } from '@opensearch-project/opensearch';
import * as z from 'zod';
import { backoffDelayMs, sleep as realSleep } from '../retry';
import { isRetryableStatus } from './opensearch-client';
import {
  EVENTS_ALIAS,
  EVENTS_INDEX_PATTERN,
  EVENTS_RETENTION_POLICY_ID,
  EVENTS_TEMPLATE_NAME,
  EVENTS_WRITER_ROLE,
  EVENTS_WRITER_ROLE_DEFINITION,
  eventsIndexName,
} from './search-index';

/**
 * What the deploy-time setup installs on the search domain (the custom resource in
 * lib/constructs/search-setup.ts passes it as its properties, so a change to any of it re-runs the setup).
 */
export interface SearchSetupSpec {
  /** Body of `PUT _index_template/switchyard-events` (`eventsIndexTemplate`). */
  readonly indexTemplate: Record<string, unknown>;
  /** Body of `PUT _plugins/_ism/policies/…` (`eventsRetentionPolicy`). */
  readonly retentionPolicy: Record<string, unknown>;
  /** IAM role ARNs mapped to the writer role (the functions that index events). */
  readonly writerRoleArns: readonly string[];
  /** OpenSearch Dashboards saved objects (NDJSON) to import, overwriting objects with the same ids. */
  readonly dashboards: string;
}

/** The custom resource's properties, as CloudFormation delivers them (every scalar as a string). */
export const searchSetupPropertiesSchema = z.object({
  DomainUrl: z.url(),
  AdminRoleArn: z.string().startsWith('arn:'),
  IndexTemplate: z.string().transform((text) => JSON.parse(text) as Record<string, unknown>),
  RetentionPolicy: z.string().transform((text) => JSON.parse(text) as Record<string, unknown>),
  WriterRoleArns: z.array(z.string().startsWith('arn:')).default([]),
  Dashboards: z.string().min(1),
});
export type SearchSetupProperties = z.output<typeof searchSetupPropertiesSchema>;

export function searchSetupSpec(properties: SearchSetupProperties): SearchSetupSpec {
  return {
    indexTemplate: properties.IndexTemplate,
    retentionPolicy: properties.RetentionPolicy,
    writerRoleArns: properties.WriterRoleArns,
    dashboards: properties.Dashboards,
  };
}

export interface SearchSetupOptions {
  /** Today's index is created if missing; tests fix the date. @default new Date() */
  readonly now?: Date;
  /**
   * Attempts per request for retryable answers (no answer, 429, 5xx — e.g. Dashboards still starting on a new
   * domain).
   * @default 6
   */
  readonly maxAttempts?: number;
  /** @default 1000 */
  readonly baseDelayMs?: number;
  /** @default 15000 */
  readonly maxDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** What the setup did, for the log and the custom resource's (small) response data. */
export interface SearchSetupReport {
  readonly retentionPolicy: 'created' | 'updated';
  readonly index: string;
  readonly indexCreated: boolean;
  readonly savedObjectsImported: number;
}

interface Answer {
  readonly statusCode: number;
  readonly body: unknown;
}

class SearchSetupError extends Error {
  override readonly name = 'SearchSetupError';
}

/**
 * Install (or bring up to date) everything the events need on the domain. Every step is idempotent, so the
 * custom resource can run it on every Create and Update, and after a partial failure:
 *
 * 1. the ISM retention policy — created, or updated in place with `if_seq_no`/`if_primary_term` when it exists
 *    (then indices it already manages move to the new version, and unmanaged ones are attached);
 * 2. the index template (PUT replaces it);
 * 3. the writer role and its mapping to the indexing functions' IAM roles (fine-grained access control);
 * 4. today's index if missing (the template gives it the alias and mappings), and the alias on every daily index;
 * 5. the Dashboards saved objects, imported with `overwrite=true`.
 */
export async function installEventSearch(
  client: Client,
  spec: SearchSetupSpec,
  options: SearchSetupOptions = {},
): Promise<SearchSetupReport> {
  const call = retryingCaller(client, options);

  const retentionPolicy = await putRetentionPolicy(call, spec.retentionPolicy);

  await call('PUT', `/_index_template/${EVENTS_TEMPLATE_NAME}`, { body: spec.indexTemplate });

  await call('PUT', `/_plugins/_security/api/roles/${EVENTS_WRITER_ROLE}`, {
    body: EVENTS_WRITER_ROLE_DEFINITION,
  });
  await call('PUT', `/_plugins/_security/api/rolesmapping/${EVENTS_WRITER_ROLE}`, {
    body: { backend_roles: [...spec.writerRoleArns], description: 'Switchyard functions that index events' },
  });

  const index = eventsIndexName(options.now ?? new Date());
  const exists = await call('HEAD', `/${index}`, { ignore: [404] });
  let indexCreated = false;
  if (exists.statusCode === 404) {
    // The processor may have created it in the meantime (auto-create on its first bulk): that is fine.
    const created = await call('PUT', `/${index}`, { ignore: [400] });
    if (created.statusCode === 400 && errorType(created.body) !== 'resource_already_exists_exception') {
      throw new SearchSetupError(`Creating ${index} failed: ${describe(created.body)}`);
    }
    indexCreated = created.statusCode < 300;
  }
  // Indices created before the template existed lack the alias; adding it again is a no-op.
  await call('POST', '/_aliases', {
    body: { actions: [{ add: { index: EVENTS_INDEX_PATTERN, alias: EVENTS_ALIAS } }] },
  });

  // Daily indices created before the policy existed are not managed yet: attach them (already managed ones
  // are reported as failures in the answer, which is expected). After an update, move managed ones to it.
  await call('POST', `/_plugins/_ism/add/${EVENTS_INDEX_PATTERN}`, {
    body: { policy_id: EVENTS_RETENTION_POLICY_ID },
  });
  if (retentionPolicy === 'updated') {
    await call('POST', `/_plugins/_ism/change_policy/${EVENTS_INDEX_PATTERN}`, {
      body: { policy_id: EVENTS_RETENTION_POLICY_ID },
    });
  }

  const savedObjectsImported = await importSavedObjects(call, spec.dashboards);
  return { retentionPolicy, index, indexCreated, savedObjectsImported };
}

type Caller = (
  method: string,
  path: string,
  request?: {
    readonly body?: unknown;
    readonly querystring?: Record<string, string | number | boolean>;
    readonly headers?: Record<string, string>;
    /** Statuses answered rather than thrown. */
    readonly ignore?: number[];
  },
) => Promise<Answer>;

function retryingCaller(client: Client, options: SearchSetupOptions): Caller {
  const maxAttempts = options.maxAttempts ?? 6;
  const backoff = {
    baseMs: options.baseDelayMs ?? 1000,
    maxMs: options.maxDelayMs ?? 15_000,
    random: options.random ?? Math.random,
  };
  const sleep = options.sleep ?? realSleep;
  return async (method, path, request = {}) => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const response = await client.transport.request(
          {
            method,
            path,
            ...(request.body === undefined ? {} : { body: request.body as Record<string, unknown> | string }),
            ...(request.querystring ? { querystring: request.querystring } : {}),
          },
          { ignore: request.ignore, headers: request.headers },
        );
        return { statusCode: response.statusCode ?? 200, body: response.body as unknown };
      } catch (error) {
        const status = error instanceof errors.ResponseError ? error.statusCode : undefined;
        if (attempt < maxAttempts && isRetryableStatus(status)) {
          await sleep(backoffDelayMs(attempt, backoff));
          continue;
        }
        const detail = error instanceof errors.ResponseError ? describe(error.body) : String(error);
        throw new SearchSetupError(`${method} ${path} failed (${status ?? 'no answer'}): ${detail}`);
      }
    }
  };
}

async function putRetentionPolicy(
  call: Caller,
  policy: Record<string, unknown>,
): Promise<'created' | 'updated'> {
  const path = `/_plugins/_ism/policies/${EVENTS_RETENTION_POLICY_ID}`;
  const created = await call('PUT', path, { body: policy, ignore: [409] });
  if (created.statusCode !== 409) return 'created';
  // It exists: ISM only updates a policy given the sequence number and primary term it was read at.
  const current = await call('GET', path);
  const { _seq_no: seqNo, _primary_term: primaryTerm } = current.body as {
    _seq_no?: number;
    _primary_term?: number;
  };
  if (seqNo === undefined || primaryTerm === undefined) {
    throw new SearchSetupError(
      `GET ${path} answered without _seq_no/_primary_term: ${describe(current.body)}`,
    );
  }
  await call('PUT', path, { body: policy, querystring: { if_seq_no: seqNo, if_primary_term: primaryTerm } });
  return 'updated';
}

/** `POST /_dashboards/api/saved_objects/_import?overwrite=true` with the NDJSON as a multipart file. */
async function importSavedObjects(call: Caller, ndjson: string): Promise<number> {
  const boundary = `switchyard-${randomUUID()}`;
  const body =
    `--${boundary}\r\n` +
    'Content-Disposition: form-data; name="file"; filename="switchyard-dashboards.ndjson"\r\n' +
    'Content-Type: application/ndjson\r\n\r\n' +
    `${ndjson.endsWith('\n') ? ndjson : `${ndjson}\n`}\r\n` +
    `--${boundary}--\r\n`;
  const answer = await call('POST', '/_dashboards/api/saved_objects/_import', {
    querystring: { overwrite: true },
    body,
    headers: {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      // Dashboards refuses API writes without it (cross-site request forgery guard).
      'osd-xsrf': 'true',
      // With fine-grained access control the objects go to the global tenant, shared by every user.
      securitytenant: 'global',
    },
  });
  const result = answer.body as { success?: boolean; successCount?: number; errors?: unknown[] };
  if (result.success !== true) {
    throw new SearchSetupError(`Dashboards import failed: ${describe(result.errors ?? answer.body)}`);
  }
  return result.successCount ?? 0;
}

function errorType(body: unknown): string | undefined {
  return (body as { error?: { type?: string } } | null)?.error?.type;
}

/** A short description of an error body: CloudFormation shows at most a few hundred characters of it. */
function describe(body: unknown): string {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
