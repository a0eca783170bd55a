import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { AuditRepository } from '../../../shared/audit/repository';
import { ConfigRepository } from '../../../shared/config/repository';
import {
  checkVersion,
  deleteChange,
  deleteVersion,
  firstVersion,
  nextVersion,
  patchBodyOf,
  type Versioned,
} from '../../../shared/config/versioning';
import { ConflictError, NotFoundError, ValidationError } from '../../../shared/errors';
import { ROUTES } from '../../../shared/http/routes';
import { z } from 'zod';

/** The one versioned-resource path every configuration resource takes (flags, segments, layers, metrics, experiments). */
interface Thing extends Versioned {
  readonly name: string;
  readonly note?: string;
}

const context = { actor: 'sub-1', actorName: 'ann@example.com', requestId: 'req-1' };
const stored: Thing = {
  key: 'beta',
  name: 'Beta',
  note: 'old',
  createdBy: 'sub-0',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:00.000Z',
  version: 3,
};
const change = (version?: number, ifMatch?: string) => ({
  context,
  ...(version === undefined ? {} : { version }),
  ...(ifMatch === undefined ? {} : { ifMatch }),
});

describe('version checks', () => {
  it('accepts the stored version from the body or If-Match', () => {
    expect(checkVersion('segment', stored, change(3))).toBe(stored);
    expect(checkVersion('segment', stored, change(undefined, 'W/"3"'))).toBe(stored);
  });

  it('refuses a stale version with one message, and a missing one with 400', () => {
    expect(() => checkVersion('segment', stored, change(2))).toThrow(
      new ConflictError('segment beta is at version 3, not 2: read it again'),
    );
    expect(() => checkVersion('flag', stored, change(undefined, '"4"'))).toThrow(
      'flag beta is at version 3, not 4: read it again',
    );
    expect(() => checkVersion('segment', stored, change())).toThrow(ValidationError);
  });

  it('lets a delete name no version, but refuses a stale one from any source', () => {
    expect(deleteVersion('layer', stored, change())).toBe(3);
    expect(deleteVersion('layer', stored, change(3))).toBe(3);
    expect(() => deleteVersion('layer', stored, change(1))).toThrow(ConflictError);
    expect(() => deleteVersion('layer', stored, change(undefined, '"2"'))).toThrow(ConflictError);
  });

  it('takes a delete version from ?version= or the body, and refuses the two disagreeing', () => {
    const principal = {
      kind: 'user' as const,
      sub: 'sub-1',
      username: 'ann',
      email: null,
      groups: ['admin'],
      role: 'admin' as const,
    };
    const request = { principal, requestId: 'r', headers: { 'if-match': '"7"' } };
    expect(deleteChange({ ...request, query: { version: 2 }, body: undefined })).toMatchObject({
      version: 2,
      ifMatch: '"7"',
    });
    expect(deleteChange({ ...request, query: {}, body: { version: 5 } }).version).toBe(5);
    expect(() => deleteChange({ ...request, query: { version: 2 }, body: { version: 5 } })).toThrow(
      ValidationError,
    );
  });
});

describe('versions', () => {
  it('starts at 1, created and updated now by the actor', () => {
    const now = new Date('2026-03-01T10:00:00Z');
    expect(firstVersion({ key: 'k', name: 'K' }, context, now)).toEqual({
      key: 'k',
      name: 'K',
      createdBy: 'sub-1',
      createdAt: '2026-03-01T10:00:00.000Z',
      updatedAt: '2026-03-01T10:00:00.000Z',
      version: 1,
    });
  });

  it('stores the next version as the whole document: fields it lacks are gone, creation stays', () => {
    const now = new Date('2026-03-01T10:00:00Z');
    const next = nextVersion(stored, { key: 'beta', name: 'Beta 2' }, now);
    expect(next).toEqual({
      key: 'beta',
      name: 'Beta 2',
      createdBy: 'sub-0',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-03-01T10:00:00.000Z',
      version: 4,
    });
  });
});

describe('PATCH bodies', () => {
  const patchRoutes = ROUTES.filter((route) => route.method === 'PATCH');

  it('are derived for every resource with a PATCH route', () => {
    expect(patchRoutes.map((r) => r.operationId).sort()).toEqual([
      'patchExperiment',
      'patchFlag',
      'patchLayer',
      'patchMetric',
      'patchSegment',
    ]);
  });

  it.each(patchRoutes.map((r) => [r.operationId, r.request?.body] as const))(
    '%s applies no default: an empty PATCH changes nothing',
    (_name, body) => {
      expect(body?.parse({})).toEqual({});
    },
  );

  it('strips every default, including one added later, and keeps the fields optional', () => {
    const fields = z.strictObject({
      name: z.string(),
      enabled: z.boolean().default(true),
      tags: z.array(z.string()).default([]),
      colour: z.enum(['red', 'blue']).default('red').describe('a field added later'),
    });
    const patch = patchBodyOf(fields);
    expect(patch.parse({})).toEqual({});
    expect(patch.parse({ colour: 'blue', version: 2 })).toEqual({ colour: 'blue', version: 2 });
    expect(patch.safeParse({ nope: 1 }).success).toBe(false);
    expect(patch.safeParse({ version: 0 }).success).toBe(false);
  });
});

describe('ConfigRepository writes, each committed with its audit entry', () => {
  const doc = mockClient(DynamoDBDocumentClient);
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const repository = new ConfigRepository<Thing>(
    client,
    'config',
    new AuditRepository(client, 'audit'),
    'segment',
  );

  beforeEach(() => doc.reset());
  afterAll(() => doc.restore());

  const sent = () => doc.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems ?? []);

  it('creates version 1 on a free key and audits `<kind>.create`', async () => {
    doc.on(TransactWriteCommand).resolves({});
    const created = await repository.create({ key: 'beta', name: 'Beta' }, context);
    expect(created).toMatchObject({ key: 'beta', version: 1, createdBy: 'sub-1' });
    const [items] = sent();
    expect(items?.[0]?.Put).toMatchObject({
      TableName: 'config',
      Item: { pk: 'SEGMENT#beta', sk: 'META', gsi1pk: 'KIND#segment', name: 'Beta', version: 1 },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(items?.[1]?.Put).toMatchObject({
      TableName: 'audit',
      Item: { action: 'segment.create', resourceKind: 'segment', resourceKey: 'beta', actor: 'sub-1' },
    });
  });

  it('replaces only the version it was based on, audited under the action given', async () => {
    doc.on(TransactWriteCommand).resolves({});
    await repository.replace(stored, { key: 'beta', name: 'Beta 2' }, context, 'rename');
    const [items] = sent();
    expect(items?.[0]?.Put).toMatchObject({
      ConditionExpression: 'attribute_exists(pk) AND version = :expected',
      ExpressionAttributeValues: { ':expected': 3 },
      Item: { version: 4, name: 'Beta 2' },
    });
    expect(items?.[1]?.Put?.Item).toMatchObject({ action: 'segment.rename' });
  });

  it('turns a lost race into 409 and writes nothing else', async () => {
    doc.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'cancelled',
        $metadata: {},
        CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
      }),
    );
    await expect(repository.replace(stored, stored, context)).rejects.toThrow(
      'segment beta was changed by someone else (your version 3 is stale): read it again',
    );
  });

  it('deletes at the version named, refusing a stale one before any write', async () => {
    doc.on(TransactWriteCommand).resolves({});
    await expect(repository.remove(stored, change(2))).rejects.toThrow(ConflictError);
    expect(sent()).toHaveLength(0);
    await repository.remove(stored, change());
    const [items] = sent();
    expect(items?.[0]?.Delete).toMatchObject({
      Key: { pk: 'SEGMENT#beta', sk: 'META' },
      ExpressionAttributeValues: { ':expected': 3 },
    });
    expect(items?.[1]?.Put?.Item).toMatchObject({ action: 'segment.delete', after: null });
  });

  it('answers 404 for a resource that does not exist', async () => {
    doc.onAnyCommand().resolves({});
    await expect(repository.require('nope')).rejects.toThrow(new NotFoundError('No segment nope'));
  });
});
