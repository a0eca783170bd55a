import * as fs from 'node:fs';
import * as path from 'node:path';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { CdkCustomResourceEvent, CdkCustomResourceResponse } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { eventsIndexTemplate, eventsRetentionPolicy } from '../../../shared/events/search-index';
import { FakeSearchDomain } from './fake-search-domain';
import { startLoopback, type LoopbackServer } from './loopback-server';

const ADMIN_ROLE = 'arn:aws:iam::123456789012:role/switchyard-dev-stateful-SearchAdminRole';
const sts = mockClient(STSClient);

let handler: (event: CdkCustomResourceEvent) => Promise<CdkCustomResourceResponse>;

// The handler reads AWS_REGION at import (cold start), so it is imported once the variable is set.
beforeAll(async () => {
  process.env.AWS_REGION = 'eu-west-1';
  ({ handler } = await import('../../../lambdas/opensearch-setup/handler'));
});

describe('opensearch-setup custom resource handler', () => {
  let domain: FakeSearchDomain;
  let server: LoopbackServer;

  beforeEach(async () => {
    domain = new FakeSearchDomain();
    server = await startLoopback(domain.respond);
    sts.reset();
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIAEXAMPLE',
        SecretAccessKey: 'secret',
        SessionToken: 'session-token',
        Expiration: new Date(Date.now() + 15 * 60_000),
      },
    });
  });
  afterEach(() => server.close());

  const event = (requestType: 'Create' | 'Update' | 'Delete'): CdkCustomResourceEvent =>
    ({
      RequestType: requestType,
      ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
      ResponseURL: 'https://example.com/response',
      StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/switchyard-dev-api/1',
      RequestId: 'request-1',
      LogicalResourceId: 'SearchSetup',
      ResourceType: 'Custom::SwitchyardSearchSetup',
      ...(requestType === 'Create' ? {} : { PhysicalResourceId: 'switchyard-search-setup:old' }),
      ...(requestType === 'Update' ? { OldResourceProperties: {} } : {}),
      ResourceProperties: {
        ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
        DomainUrl: server.url,
        AdminRoleArn: ADMIN_ROLE,
        IndexTemplate: JSON.stringify(eventsIndexTemplate({ replicas: 0 })),
        RetentionPolicy: JSON.stringify(eventsRetentionPolicy(7)),
        WriterRoleArns: ['arn:aws:iam::123456789012:role/processor'],
        Dashboards: fs.readFileSync(
          path.join(__dirname, '../../../ops/opensearch/dashboards.ndjson'),
          'utf8',
        ),
      },
    }) as CdkCustomResourceEvent;

  it('on Create, signs every request as the assumed search admin role and installs the setup', async () => {
    const response = await handler(event('Create'));

    expect(response).toEqual({
      PhysicalResourceId: `switchyard-search-setup:${new URL(server.url).host}`,
      Data: {
        Index: expect.stringMatching(/^switchyard-events-\d{4}\.\d{2}\.\d{2}$/),
        SavedObjectsImported: 5,
      },
    });
    expect(sts.commandCalls(AssumeRoleCommand)[0]!.args[0].input).toMatchObject({ RoleArn: ADMIN_ROLE });
    expect(server.requests.length).toBeGreaterThan(5);
    for (const request of server.requests) {
      expect(request.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE\/\d{8}\/eu-west-1\/es\//,
      );
      expect(request.headers['x-amz-security-token']).toBe('session-token');
    }
    expect(domain.roleMappings.get('switchyard_events_writer')).toMatchObject({
      backend_roles: ['arn:aws:iam::123456789012:role/processor'],
    });
  });

  it('on Update, runs the setup again (idempotently)', async () => {
    await handler(event('Create'));
    await expect(handler(event('Update'))).resolves.toMatchObject({
      PhysicalResourceId: `switchyard-search-setup:${new URL(server.url).host}`,
    });
    expect(domain.policies.size).toBe(1);
  });

  it('on Delete, keeps everything: no request reaches the domain', async () => {
    await expect(handler(event('Delete'))).resolves.toEqual({
      PhysicalResourceId: 'switchyard-search-setup:old',
    });
    expect(server.requests).toEqual([]);
    expect(sts.commandCalls(AssumeRoleCommand)).toEqual([]);
  });

  it('fails the deployment with the reason when the domain refuses', async () => {
    domain.interruptions.set('PUT /_index_template/switchyard-events', [
      { status: 403, body: { error: { type: 'security_exception' }, status: 403 } },
    ]);
    await expect(handler(event('Create'))).rejects.toThrow(/_index_template.*403/);
  });
});
