import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AuditRepository } from '../../../shared/audit/repository';
import { ApiKeyRepository, type ApiKeyRecord } from '../../../shared/api-keys/repository';
import { apiKeySchema } from '../../../shared/api-keys/schema';
import { ApiKeysService } from '../../../shared/api-keys/service';
import { createDocumentClient } from '../../../shared/aws/clients';
import { NotFoundError } from '../../../shared/errors';

const ddb = mockClient(DynamoDBDocumentClient);
const doc = createDocumentClient();
const NOW = new Date('2026-03-01T12:00:00.000Z');
const service = new ApiKeysService(
  new ApiKeyRepository(doc, 'keys-table'),
  new AuditRepository(doc, 'audit-table'),
  () => NOW,
);
const admin = { actor: 'admin-sub', actorName: 'admin@example.com', requestId: 'req-1' };
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

type TransactItems = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>;
const transactions = (): TransactItems[] =>
  ddb.commandCalls(TransactWriteCommand).map((call) => call.args[0].input.TransactItems ?? []);

function stored(overrides: Partial<ApiKeyRecord> = {}): Record<string, unknown> {
  const id = overrides.id ?? '0195a3c4-0000-7000-8000-000000000001';
  const record = {
    id,
    name: 'backend',
    type: 'server',
    prefix: 'sy_server_abcdef',
    createdBy: 'admin-sub',
    createdAt: '2026-02-01T00:00:00.000Z',
    secretHash: sha256(`secret-of-${id}`),
    ...overrides,
  };
  const { lastUsedAt, revokedAt, ...rest } = record;
  return {
    pk: `HASH#${record.secretHash}`,
    sk: 'KEY',
    gsi1pk: 'APIKEYS',
    gsi1sk: id,
    ...rest,
    ...(lastUsedAt ? { lastUsedAt } : {}),
    ...(revokedAt ? { revokedAt } : {}),
  };
}

beforeEach(() => {
  ddb.reset();
  ddb.on(TransactWriteCommand).resolves({});
});

describe('creating a key', () => {
  it('returns the secret once, in the sy_<type>_ format with 32 URL-safe random characters', async () => {
    const server = await service.create({ name: 'backend', type: 'server' }, admin);
    const client = await service.create({ name: 'web', type: 'client' }, admin);
    expect(server.secret).toMatch(/^sy_server_[A-Za-z0-9_-]{32}$/);
    expect(client.secret).toMatch(/^sy_client_[A-Za-z0-9_-]{32}$/);
    expect(server).toMatchObject({
      name: 'backend',
      type: 'server',
      createdBy: 'admin-sub',
      createdAt: NOW.toISOString(),
      lastUsedAt: null,
      revokedAt: null,
      prefix: server.secret.slice(0, 'sy_server_'.length + 6),
    });
    expect(z.uuid().safeParse(server.id).success).toBe(true);
    // Everything but the secret is the public view.
    const { secret: _secret, ...view } = server;
    expect(apiKeySchema.strict().parse(view)).toEqual(view);
  });

  it('stores only the SHA-256 of the secret, keyed by it, in the same transaction as the audit entry', async () => {
    const created = await service.create({ name: 'backend', type: 'server' }, admin);
    const [items] = transactions();
    expect(items).toHaveLength(2);
    const keyItem = items![0]!.Put!;
    expect(keyItem).toMatchObject({
      TableName: 'keys-table',
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: {
        pk: `HASH#${sha256(created.secret)}`,
        sk: 'KEY',
        gsi1pk: 'APIKEYS',
        gsi1sk: created.id,
        secretHash: sha256(created.secret),
      },
    });
    // Absent until set, so conditions can use attribute_not_exists.
    expect(keyItem.Item).not.toHaveProperty('lastUsedAt');
    expect(keyItem.Item).not.toHaveProperty('revokedAt');
    // Not the secret, nor the part of it that is not the public prefix.
    expect(JSON.stringify(items)).not.toContain(created.secret);
    expect(JSON.stringify(items)).not.toContain(created.secret.slice(created.prefix.length));
  });

  it('audits apiKey.create with the view: neither the secret nor its hash', async () => {
    const created = await service.create({ name: 'backend', type: 'client' }, admin);
    const auditPut = transactions()[0]![1]!.Put!;
    expect(auditPut.TableName).toBe('audit-table');
    expect(auditPut.Item).toMatchObject({
      action: 'apiKey.create',
      resourceKind: 'apiKey',
      resourceKey: created.id,
      actor: 'admin-sub',
      requestId: 'req-1',
      before: null,
      after: { id: created.id, name: 'backend', type: 'client', prefix: created.prefix },
    });
    const entry = JSON.stringify(auditPut.Item);
    expect(entry).not.toContain(created.secret);
    expect(entry).not.toContain(sha256(created.secret));
    expect(entry).not.toContain('secretHash');
  });

  it('makes a different secret every time', async () => {
    const secrets = new Set<string>();
    for (let i = 0; i < 50; i++)
      secrets.add((await service.create({ name: 'k', type: 'server' }, admin)).secret);
    expect(secrets.size).toBe(50);
  });
});

describe('listing keys', () => {
  const items = [
    stored({ id: '0195a3c4-0000-7000-8000-000000000003', type: 'client' }),
    stored({ id: '0195a3c4-0000-7000-8000-000000000002', revokedAt: '2026-02-02T00:00:00.000Z' }),
    stored({ id: '0195a3c4-0000-7000-8000-000000000001', lastUsedAt: '2026-02-03T00:00:00.000Z' }),
  ];

  beforeEach(() => {
    // Two pages, to exercise the pagination loop.
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: items.slice(0, 2), LastEvaluatedKey: { pk: 'x' } })
      .resolvesOnce({ Items: items.slice(2) });
  });

  it('queries the index newest first and returns views without the hash', async () => {
    const page = await service.list({ page: 1, page_size: 20 });
    expect(page).toMatchObject({ total: 3, page: 1, page_size: 20, total_pages: 1 });
    expect(page.items.map((k) => k.id)).toEqual(items.map((i) => i.id));
    expect(page.items[0]).toEqual(apiKeySchema.strict().parse(page.items[0]));
    expect(page.items.map((k) => [k.lastUsedAt, k.revokedAt])).toEqual([
      [null, null],
      [null, '2026-02-02T00:00:00.000Z'],
      ['2026-02-03T00:00:00.000Z', null],
    ]);
    expect(JSON.stringify(page)).not.toContain('secretHash');
    const query = ddb.commandCalls(QueryCommand)[0]!.args[0].input;
    expect(query).toMatchObject({ IndexName: 'gsi1', ScanIndexForward: false });
    expect(query.ExpressionAttributeValues).toEqual({ ':all': 'APIKEYS' });
  });

  it.each([
    [{ type: 'client' as const }, ['0195a3c4-0000-7000-8000-000000000003']],
    [{ revoked: true }, ['0195a3c4-0000-7000-8000-000000000002']],
    [{ revoked: false, type: 'server' as const }, ['0195a3c4-0000-7000-8000-000000000001']],
  ])('filters by %j', async (filter, ids) => {
    const page = await service.list({ page: 1, page_size: 20, ...filter });
    expect(page.items.map((k) => k.id)).toEqual(ids);
  });

  it('paginates', async () => {
    const page = await service.list({ page: 2, page_size: 2 });
    expect(page).toMatchObject({ total: 3, page: 2, total_pages: 2 });
    expect(page.items).toHaveLength(1);
  });
});

describe('revoking a key', () => {
  const id = '0195a3c4-0000-7000-8000-000000000001';

  it('sets revokedAt conditionally and audits apiKey.revoke with before and after', async () => {
    const item = stored({ id });
    ddb.on(QueryCommand).resolves({ Items: [item] });
    const revoked = await service.revoke(id, admin);
    expect(revoked).toMatchObject({ id, revokedAt: NOW.toISOString() });
    const [items] = transactions();
    expect(items![0]!.Update).toMatchObject({
      TableName: 'keys-table',
      Key: { pk: item.pk, sk: 'KEY' },
      UpdateExpression: 'SET revokedAt = :revokedAt',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt)',
      ExpressionAttributeValues: { ':revokedAt': NOW.toISOString() },
    });
    expect(items![1]!.Put!.Item).toMatchObject({
      action: 'apiKey.revoke',
      resourceKind: 'apiKey',
      resourceKey: id,
      before: { id, revokedAt: null },
      after: { id, revokedAt: NOW.toISOString() },
    });
    expect(JSON.stringify(items![1])).not.toContain(item.secretHash as string);
    const lookup = ddb.commandCalls(QueryCommand)[0]!.args[0].input;
    expect(lookup.ExpressionAttributeValues).toEqual({ ':all': 'APIKEYS', ':id': id });
  });

  it('answers an unknown id with NotFoundError', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    await expect(service.revoke(id, admin)).rejects.toThrow(NotFoundError);
    expect(transactions()).toEqual([]);
  });

  it('is idempotent: a revoked key is answered as it is, with nothing written or audited', async () => {
    ddb.on(QueryCommand).resolves({ Items: [stored({ id, revokedAt: '2026-02-10T00:00:00.000Z' })] });
    expect(await service.revoke(id, admin)).toMatchObject({ revokedAt: '2026-02-10T00:00:00.000Z' });
    expect(transactions()).toEqual([]);
  });

  it('answers the key as it now is when a concurrent revoke won the condition', async () => {
    const item = stored({ id });
    ddb.on(QueryCommand).resolves({ Items: [item] });
    ddb.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'cancelled',
        $metadata: {},
        CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
      }),
    );
    ddb.on(GetCommand).resolves({ Item: { ...item, revokedAt: '2026-03-01T11:59:59.000Z' } });
    expect(await service.revoke(id, admin)).toMatchObject({ revokedAt: '2026-03-01T11:59:59.000Z' });
  });

  it('lets other failures through', async () => {
    ddb.on(QueryCommand).resolves({ Items: [stored({ id })] });
    ddb.on(TransactWriteCommand).rejects(new Error('throttled'));
    await expect(service.revoke(id, admin)).rejects.toThrow('throttled');
  });
});
