import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayRequestAuthorizerEvent,
  Context,
} from 'aws-lambda';
import { LocalGateway } from '../../local/gateway';
import type { LocalIdentity } from '../../local/identity';
import type { LambdaFunction } from '../../local/lambda-runtime';
import { AuditRepository } from '../../shared/audit/repository';
import { API_KEY_AUTHORIZER } from '../../shared/api-keys/authorizer';
import { ApiKeyRepository } from '../../shared/api-keys/repository';
import { hashSecret } from '../../shared/api-keys/secret';
import { ApiKeysService } from '../../shared/api-keys/service';
import { ApiKeyVerifier, TOUCH_INTERVAL_MS } from '../../shared/api-keys/verifier';
import { NotFoundError } from '../../shared/errors';
import { handlerEntry, type RouteDefinition } from '../../shared/http/routes';
import { startTestDynamo, type TestDynamo } from '../support/dynamo';
import { scaledMs } from '../../local/timing';
import { requireEngines } from '../support/engines';

const engines = requireEngines(['java']);
/** The same secret with its last character changed. */
const tamper = (secret: string) => `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
const admin = { actor: 'admin-sub', actorName: 'admin@example.com', requestId: 'req-1' };

engines.describe('API keys against DynamoDB Local', () => {
  let dynamo: TestDynamo;
  let repository: ApiKeyRepository;
  let service: ApiKeysService;
  let now: Date;
  const clock = () => now;

  beforeAll(async () => {
    dynamo = await startTestDynamo();
    repository = new ApiKeyRepository(dynamo.doc, dynamo.tableNames.apiKeys);
    service = new ApiKeysService(repository, new AuditRepository(dynamo.doc, dynamo.tableNames.audit), clock);
  }, scaledMs(60_000));
  afterAll(() => dynamo?.stop());
  beforeEach(() => (now = new Date()));

  const scan = async (table: 'apiKeys' | 'audit') =>
    (await dynamo.doc.send(new ScanCommand({ TableName: dynamo.tableNames[table] }))).Items ?? [];
  const storedItem = async (secret: string) =>
    (
      await dynamo.doc.send(
        new GetCommand({
          TableName: dynamo.tableNames.apiKeys,
          Key: { pk: `HASH#${hashSecret(secret)}`, sk: 'KEY' },
        }),
      )
    ).Item;

  describe('the service and the verifier', () => {
    it('stores the hash and never the secret, and audits the create without either', async () => {
      const created = await service.create({ name: 'backend', type: 'server' }, admin);
      const item = await storedItem(created.secret);
      expect(item).toMatchObject({ id: created.id, secretHash: hashSecret(created.secret), type: 'server' });
      const everything = JSON.stringify([...(await scan('apiKeys')), ...(await scan('audit'))]);
      expect(everything).not.toContain(created.secret);
      expect(everything).not.toContain(created.secret.slice(created.prefix.length));
      const entries = (await scan('audit')).filter((e) => e.resourceKey === created.id);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ action: 'apiKey.create', resourceKind: 'apiKey', before: null });
      expect(JSON.stringify(entries)).not.toContain(hashSecret(created.secret));
    });

    it('verifies a live key by its secret and refuses unknown, tampered and revoked ones', async () => {
      const verifier = new ApiKeyVerifier(repository, clock);
      const created = await service.create({ name: 'web', type: 'client' }, admin);
      expect(await verifier.verify(created.secret)).toMatchObject({ id: created.id, type: 'client' });
      expect(await verifier.verify(tamper(created.secret))).toBeNull();
      expect(await verifier.verify(created.secret.replace('sy_client_', 'sy_server_'))).toBeNull();
      await service.revoke(created.id, admin);
      expect(await verifier.verify(created.secret)).toBeNull();
    });

    it('touches lastUsedAt at most once an hour, and only one of two racing authorizers writes', async () => {
      const created = await service.create({ name: 'touchy', type: 'server' }, admin);
      const first = new ApiKeyVerifier(repository, clock);
      const second = new ApiKeyVerifier(repository, clock);
      // Both read the key before either touched it.
      const [a, b] = [await first.verify(created.secret), await second.verify(created.secret)];
      expect([await first.touch(a!), await second.touch(b!)]).toEqual([true, false]);
      expect((await storedItem(created.secret))?.lastUsedAt).toBe(now.toISOString());

      const touchedAt = now.toISOString();
      now = new Date(now.getTime() + TOUCH_INTERVAL_MS - 1000);
      expect(await first.touch((await first.verify(created.secret))!)).toBe(false);
      expect((await storedItem(created.secret))?.lastUsedAt).toBe(touchedAt);

      now = new Date(now.getTime() + 2000);
      expect(await first.touch((await first.verify(created.secret))!)).toBe(true);
      expect((await storedItem(created.secret))?.lastUsedAt).toBe(now.toISOString());
      const [listed] = (await service.list({ page: 1, page_size: 100 })).items.filter(
        (k) => k.id === created.id,
      );
      expect(listed?.lastUsedAt).toBe(now.toISOString());
    });

    it('revokes once: a second revoke answers the same key and audits nothing more', async () => {
      const created = await service.create({ name: 'revoke-me', type: 'server' }, admin);
      const revoked = await service.revoke(created.id, admin);
      expect(revoked.revokedAt).toBe(now.toISOString());
      now = new Date(now.getTime() + 60_000);
      expect(await service.revoke(created.id, admin)).toEqual(revoked);
      const entries = (await scan('audit')).filter((e) => e.resourceKey === created.id);
      expect(entries.map((e) => String(e.action)).sort()).toEqual(['apiKey.create', 'apiKey.revoke']);
      await expect(service.revoke('0195a3c4-0000-7000-8000-00000000dead', admin)).rejects.toThrow(
        NotFoundError,
      );
    });

    it('lists newest first, filtered, without secrets or hashes', async () => {
      const made = [];
      for (const [i, type] of (['server', 'client', 'server'] as const).entries()) {
        now = new Date(Date.parse('2030-01-01T00:00:00Z') + i * 1000);
        made.push(await service.create({ name: `list-${i}`, type }, admin));
      }
      await service.revoke(made[0]!.id, admin);
      const all = await service.list({ page: 1, page_size: 100 });
      const ours = all.items.filter((k) => k.name.startsWith('list-'));
      expect(ours.map((k) => k.name)).toEqual(['list-2', 'list-1', 'list-0']);
      expect(all.items[0]?.name).toBe('list-2');
      const json = JSON.stringify(all);
      expect(json).not.toContain('secret');
      for (const key of made) expect(json).not.toContain(hashSecret(key.secret));
      const active = await service.list({ page: 1, page_size: 100, type: 'server', revoked: false });
      expect(active.items.filter((k) => k.name.startsWith('list-')).map((k) => k.name)).toEqual(['list-2']);
    });
  });

  describe('the real authorizer behind the local gateway', () => {
    const sdkRoute: RouteDefinition = {
      operationId: 'sdkProbe',
      method: 'POST',
      path: '/api/v1/sdk-probe',
      handler: 'system',
      auth: 'apiKey',
      permission: 'public',
      summary: 'A route that needs an API key (test only: the SDK routes come with the evaluation API)',
      tag: 'test',
    };
    let gateway: LocalGateway;
    let url: string;
    let authorizer: (
      event: APIGatewayRequestAuthorizerEvent,
      context: Context,
    ) => Promise<APIGatewayAuthorizerResult>;

    beforeAll(async () => {
      const endpoint = await dynamo.client.config.endpoint!();
      Object.assign(process.env, {
        TABLE_API_KEYS: dynamo.tableNames.apiKeys,
        AWS_ENDPOINT_URL_DYNAMODB: `${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}${endpoint.path}`,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
      });
      ({ handler: authorizer } = await import('../../lambdas/api-key-authorizer/handler'));
      const functions = {
        get: <E, R>(entry: string): LambdaFunction<E, R> => {
          if (entry === API_KEY_AUTHORIZER.entry) return authorizer as unknown as LambdaFunction<E, R>;
          if (entry !== handlerEntry('system')) throw new Error(`unexpected entry ${entry}`);
          return (async (event: APIGatewayProxyEvent) => ({
            statusCode: 200,
            headers: {},
            body: JSON.stringify(event.requestContext.authorizer),
          })) as unknown as LambdaFunction<E, R>;
        },
      };
      gateway = new LocalGateway({
        identity: {} as LocalIdentity,
        functions,
        stage: 'local',
        corsAllowedOrigins: [],
        routes: [sdkRoute],
        authorizerCacheSeconds: 1,
      });
      url = `http://127.0.0.1:${await gateway.listen(0, '127.0.0.1')}`;
    });
    afterAll(() => gateway?.close());

    const probe = async (headers: Record<string, string>) => {
      const res = await fetch(`${url}/api/v1/sdk-probe`, { method: 'POST', headers });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };

    it('accepts a live key and hands the route its id and type; refuses unknown, malformed and Cognito credentials', async () => {
      const created = await service.create({ name: 'sdk', type: 'client' }, admin);
      expect(await probe({ Authorization: `Bearer ${created.secret}` })).toEqual({
        status: 200,
        json: { keyId: created.id, keyType: 'client', principalId: created.id },
      });
      expect((await storedItem(created.secret))?.lastUsedAt).toEqual(expect.any(String));
      const other = await service.create({ name: 'other', type: 'server' }, admin);
      await service.revoke(other.id, admin);
      for (const authorization of [
        `Bearer ${other.secret}`,
        `Bearer ${tamper(created.secret)}`,
        'Bearer sy_server_nope',
        'Bearer eyJraWQiOiJrIn0.eyJzdWIiOiJ4In0.c2ln',
      ]) {
        expect(await probe({ Authorization: authorization })).toMatchObject({
          status: 401,
          json: { code: 'UNAUTHORIZED' },
        });
      }
      // Only the Authorization header is an identity source (shared/api-keys/authorizer.ts).
      expect((await probe({ 'X-API-Key': created.secret })).status).toBe(401);
    });

    it('refuses a revoked key once the cached answer expires', async () => {
      const created = await service.create({ name: 'to-revoke', type: 'server' }, admin);
      const headers = { Authorization: `Bearer ${created.secret}` };
      expect((await probe(headers)).status).toBe(200);
      await service.revoke(created.id, admin);
      // Within the TTL the cached Allow still answers, as API Gateway's does.
      expect((await probe(headers)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1100));
      expect((await probe(headers)).status).toBe(401);
    });
  });
});
