import * as fs from 'node:fs';
import * as path from 'node:path';
import { createOpenSearchClient } from '../../../shared/events/opensearch-client';
import {
  EVENTS_WRITER_ROLE_DEFINITION,
  eventsIndexTemplate,
  eventsRetentionPolicy,
} from '../../../shared/events/search-index';
import {
  installEventSearch,
  searchSetupPropertiesSchema,
  type SearchSetupOptions,
  type SearchSetupSpec,
} from '../../../shared/events/search-setup';
import { FakeSearchDomain, multipartFile } from './fake-search-domain';
import { startLoopback, type LoopbackServer } from './loopback-server';

const DASHBOARDS = fs.readFileSync(path.join(__dirname, '../../../ops/opensearch/dashboards.ndjson'), 'utf8');
const WRITER = 'arn:aws:iam::123456789012:role/switchyard-dev-api-EventProcessorRole';

function spec(overrides: Partial<SearchSetupSpec> = {}): SearchSetupSpec {
  return {
    indexTemplate: eventsIndexTemplate({ replicas: 0 }),
    retentionPolicy: eventsRetentionPolicy(7),
    writerRoleArns: [WRITER],
    dashboards: DASHBOARDS,
    ...overrides,
  };
}

describe('installEventSearch against a loopback search domain', () => {
  let domain: FakeSearchDomain;
  let server: LoopbackServer;
  const sleeps: number[] = [];
  const now = new Date('2025-06-30T23:30:00Z');
  const install = (s: SearchSetupSpec = spec(), options: SearchSetupOptions = {}) =>
    installEventSearch(createOpenSearchClient({ url: server.url }), s, {
      now,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 1,
      ...options,
    });
  const calls = () => server.requests.map((r) => `${r.method} ${r.url}`);

  beforeEach(async () => {
    sleeps.length = 0;
    domain = new FakeSearchDomain();
    server = await startLoopback(domain.respond);
  });
  afterEach(() => server.close());

  it('installs policy, template, writer role, first index with alias, and the dashboards on a new domain', async () => {
    const report = await install();

    expect(report).toEqual({
      retentionPolicy: 'created',
      index: 'switchyard-events-2025.06.30',
      indexCreated: true,
      savedObjectsImported: DASHBOARDS.trim().split('\n').length,
    });
    expect(calls()).toEqual([
      'PUT /_plugins/_ism/policies/switchyard-events-retention',
      'PUT /_index_template/switchyard-events',
      'PUT /_plugins/_security/api/roles/switchyard_events_writer',
      'PUT /_plugins/_security/api/rolesmapping/switchyard_events_writer',
      'HEAD /switchyard-events-2025.06.30',
      'PUT /switchyard-events-2025.06.30',
      'POST /_aliases',
      'POST /_plugins/_ism/add/switchyard-events-*',
      'POST /_dashboards/api/saved_objects/_import?overwrite=true',
    ]);
    expect(domain.templates.get('switchyard-events')).toEqual(eventsIndexTemplate({ replicas: 0 }));
    expect(domain.policies.get('switchyard-events-retention')?.policy).toEqual(
      eventsRetentionPolicy(7).policy,
    );
    expect(domain.roles.get('switchyard_events_writer')).toEqual(EVENTS_WRITER_ROLE_DEFINITION);
    expect(domain.roleMappings.get('switchyard_events_writer')).toMatchObject({ backend_roles: [WRITER] });
    const aliases = server.requests.find((r) => r.path === '/_aliases')!;
    expect(JSON.parse(aliases.body)).toEqual({
      actions: [{ add: { index: 'switchyard-events-*', alias: 'switchyard-events' } }],
    });

    const upload = server.requests.at(-1)!;
    expect(upload.headers['osd-xsrf']).toBe('true');
    expect(upload.headers.securitytenant).toBe('global');
    const boundary = /^multipart\/form-data; boundary=(.+)$/.exec(upload.headers['content-type']!)![1]!;
    expect(multipartFile(upload.body, boundary)).toBe(DASHBOARDS);
    expect([...domain.savedObjects.keys()]).toEqual(
      expect.arrayContaining(['index-pattern:switchyard-events', 'dashboard:switchyard-events-overview']),
    );
    expect(sleeps).toEqual([]);
  });

  it('is idempotent: a re-run updates the existing policy with its seq_no/primary_term and creates nothing twice', async () => {
    await install();
    const first = {
      templates: [...domain.templates],
      mappings: [...domain.roleMappings],
      indices: [...domain.indices],
    };
    server.requests.length = 0;

    const report = await install(spec({ retentionPolicy: eventsRetentionPolicy(30) }));

    expect(report).toMatchObject({ retentionPolicy: 'updated', indexCreated: false });
    expect(calls()).toEqual([
      'PUT /_plugins/_ism/policies/switchyard-events-retention',
      'GET /_plugins/_ism/policies/switchyard-events-retention',
      'PUT /_plugins/_ism/policies/switchyard-events-retention?if_seq_no=1&if_primary_term=1',
      'PUT /_index_template/switchyard-events',
      'PUT /_plugins/_security/api/roles/switchyard_events_writer',
      'PUT /_plugins/_security/api/rolesmapping/switchyard_events_writer',
      'HEAD /switchyard-events-2025.06.30',
      'POST /_aliases',
      'POST /_plugins/_ism/add/switchyard-events-*',
      // Indices already managed by the old version move to the new one.
      'POST /_plugins/_ism/change_policy/switchyard-events-*',
      'POST /_dashboards/api/saved_objects/_import?overwrite=true',
    ]);
    expect(domain.policies.get('switchyard-events-retention')?.policy).toEqual(
      eventsRetentionPolicy(30).policy,
    );
    expect({
      templates: [...domain.templates],
      mappings: [...domain.roleMappings],
      indices: [...domain.indices],
    }).toEqual(first);
  });

  it('accepts that the first index appeared between its check and its creation (auto-created by a bulk)', async () => {
    domain.interruptions.set('HEAD /switchyard-events-2025.06.30', [{ status: 404 }]);
    domain.indices.add('switchyard-events-2025.06.30');

    await expect(install()).resolves.toMatchObject({ indexCreated: false });
  });

  it('retries answers worth retrying (Dashboards starting on a new domain) with backoff', async () => {
    domain.interruptions.set('POST /_dashboards/api/saved_objects/_import', [
      { status: 503, body: { message: 'OpenSearch Dashboards server is not ready yet' } },
      { status: 429, body: { message: 'Too Many Requests' } },
    ]);

    await expect(install()).resolves.toMatchObject({ savedObjectsImported: 5 });
    expect(sleeps).toEqual([1000, 2000]);
  });

  it('fails at once, naming the request, on an answer not worth retrying', async () => {
    domain.interruptions.set('PUT /_index_template/switchyard-events', [
      { status: 403, body: { error: { type: 'security_exception', reason: 'no permissions' }, status: 403 } },
    ]);

    await expect(install()).rejects.toThrow(
      /PUT \/_index_template\/switchyard-events failed \(403\): .*security_exception/,
    );
    expect(sleeps).toEqual([]);
  });

  it('gives up after maxAttempts when the domain stays unavailable', async () => {
    domain.interruptions.set(
      'PUT /_plugins/_ism/policies/switchyard-events-retention',
      Array.from({ length: 3 }, () => ({ status: 503, body: { message: 'unavailable' } })),
    );

    await expect(install(spec(), { maxAttempts: 3 })).rejects.toThrow(/failed \(503\)/);
    expect(sleeps).toHaveLength(2);
  });

  it('fails when Dashboards reports import errors', async () => {
    domain.interruptions.set('POST /_dashboards/api/saved_objects/_import', [
      {
        status: 200,
        body: {
          success: false,
          successCount: 0,
          errors: [{ id: 'x', error: { type: 'missing_references' } }],
        },
      },
    ]);

    await expect(install()).rejects.toThrow(/Dashboards import failed: .*missing_references/);
  });
});

describe('custom resource properties', () => {
  it('parses what CloudFormation delivers (JSON documents as strings) and refuses what is missing', () => {
    const parsed = searchSetupPropertiesSchema.parse({
      ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
      DomainUrl: 'https://vpc-search-abc.eu-west-1.es.amazonaws.com',
      AdminRoleArn: 'arn:aws:iam::123456789012:role/admin',
      IndexTemplate: JSON.stringify(eventsIndexTemplate({ replicas: 1 })),
      RetentionPolicy: JSON.stringify(eventsRetentionPolicy(90)),
      WriterRoleArns: [WRITER],
      Dashboards: DASHBOARDS,
    });
    expect(parsed.IndexTemplate).toEqual(eventsIndexTemplate({ replicas: 1 }));
    expect(parsed.RetentionPolicy).toEqual(eventsRetentionPolicy(90));
    expect(() => searchSetupPropertiesSchema.parse({ DomainUrl: 'https://x.example' })).toThrow();
  });
});
