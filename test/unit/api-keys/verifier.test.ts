import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import * as crypto from 'node:crypto';
import { ApiKeyRepository, type ApiKeyRecord } from '../../../shared/api-keys/repository';
import { hashSecret, newSecret } from '../../../shared/api-keys/secret';
import { ApiKeyVerifier, TOUCH_INTERVAL_MS } from '../../../shared/api-keys/verifier';
import { createDocumentClient } from '../../../shared/aws/clients';

jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof crypto>('node:crypto');
  return { ...actual, timingSafeEqual: jest.fn(actual.timingSafeEqual) };
});

const ddb = mockClient(DynamoDBDocumentClient);
const NOW = new Date('2026-03-01T12:00:00.000Z');
const verifier = new ApiKeyVerifier(new ApiKeyRepository(createDocumentClient(), 'keys-table'), () => NOW);
const { secret, hash } = newSecret('server');

const record = (overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
  id: '0195a3c4-0000-7000-8000-000000000001',
  name: 'backend',
  type: 'server',
  prefix: secret.slice(0, 16),
  createdBy: 'admin-sub',
  createdAt: '2026-02-01T00:00:00.000Z',
  lastUsedAt: null,
  revokedAt: null,
  secretHash: hash,
  ...overrides,
});
const asItem = (r: ApiKeyRecord) => {
  const { lastUsedAt, revokedAt, ...rest } = r;
  return {
    pk: `HASH#${r.secretHash}`,
    sk: 'KEY',
    ...rest,
    ...(lastUsedAt ? { lastUsedAt } : {}),
    ...(revokedAt ? { revokedAt } : {}),
  };
};

beforeEach(() => {
  ddb.reset();
  jest.mocked(crypto.timingSafeEqual).mockClear();
});

describe('verify', () => {
  it('finds a live key by the hash of its secret, with a strongly consistent read', async () => {
    ddb.on(GetCommand).resolves({ Item: asItem(record()) });
    expect(await verifier.verify(secret)).toEqual(record());
    expect(ddb.commandCalls(GetCommand)[0]!.args[0].input).toEqual({
      TableName: 'keys-table',
      Key: { pk: `HASH#${hashSecret(secret)}`, sk: 'KEY' },
      ConsistentRead: true,
    });
  });

  it('compares the stored and computed hashes with crypto.timingSafeEqual', async () => {
    ddb.on(GetCommand).resolves({ Item: asItem(record()) });
    await verifier.verify(secret);
    expect(crypto.timingSafeEqual).toHaveBeenCalledTimes(1);
    const [a, b] = jest.mocked(crypto.timingSafeEqual).mock.calls[0]!;
    expect(Buffer.from(a as Uint8Array).toString('hex')).toBe(hash);
    expect(Buffer.from(b as Uint8Array).toString('hex')).toBe(hash);
  });

  it('refuses an item whose stored hash differs (never trusts the lookup alone)', async () => {
    ddb.on(GetCommand).resolves({ Item: asItem(record({ secretHash: hashSecret('something else') })) });
    expect(await verifier.verify(secret)).toBeNull();
  });

  it('refuses unknown and revoked keys', async () => {
    ddb
      .on(GetCommand)
      .resolvesOnce({})
      .resolvesOnce({ Item: asItem(record({ revokedAt: '2026-02-02T00:00:00.000Z' })) });
    expect(await verifier.verify(secret)).toBeNull();
    expect(await verifier.verify(secret)).toBeNull();
  });

  it('refuses a secret whose type prefix does not match the stored key', async () => {
    ddb.on(GetCommand).resolves({ Item: asItem(record({ type: 'client' })) });
    expect(await verifier.verify(secret)).toBeNull();
  });

  it.each([
    ['empty', ''],
    ['a JWT', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln'],
    ['an unknown type', secret.replace('sy_server_', 'sy_admin_')],
    ['too short', secret.slice(0, -1)],
    ['too long', `${secret}x`],
    ['characters outside base64url', `${secret.slice(0, -1)}+`],
  ])('refuses a malformed secret (%s) without a lookup', async (_what, candidate) => {
    expect(await verifier.verify(candidate)).toBeNull();
    expect(ddb.calls()).toHaveLength(0);
  });

  it('lets a store failure through (the authorizer must answer 500, not 401)', async () => {
    ddb.on(GetCommand).rejects(new Error('ProvisionedThroughputExceeded'));
    await expect(verifier.verify(secret)).rejects.toThrow('ProvisionedThroughputExceeded');
  });
});

describe('touch', () => {
  const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000).toISOString();

  it('writes nothing when lastUsedAt is less than an hour old', async () => {
    expect(await verifier.touch(record({ lastUsedAt: minutesAgo(59) }))).toBe(false);
    expect(ddb.calls()).toHaveLength(0);
  });

  it.each([
    ['never used', null],
    ['used more than an hour ago', minutesAgo(61)],
  ])('updates lastUsedAt conditionally when %s', async (_what, lastUsedAt) => {
    ddb.on(UpdateCommand).resolves({});
    expect(await verifier.touch(record({ lastUsedAt }))).toBe(true);
    const update = ddb.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(update).toEqual({
      TableName: 'keys-table',
      Key: { pk: `HASH#${hash}`, sk: 'KEY' },
      UpdateExpression: 'SET lastUsedAt = :now',
      ConditionExpression:
        'attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :staleBefore)',
      ExpressionAttributeValues: {
        ':now': NOW.toISOString(),
        ':staleBefore': new Date(NOW.getTime() - TOUCH_INTERVAL_MS).toISOString(),
      },
    });
  });

  it('answers false when another authorizer touched the key first (the condition failed)', async () => {
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    expect(await verifier.touch(record())).toBe(false);
  });

  it('lets other failures through (the authorizer decides to ignore them)', async () => {
    ddb.on(UpdateCommand).rejects(new Error('AccessDenied'));
    await expect(verifier.touch(record())).rejects.toThrow('AccessDenied');
  });

  it('uses an interval of one hour', () => {
    expect(TOUCH_INTERVAL_MS).toBe(3_600_000);
  });
});
