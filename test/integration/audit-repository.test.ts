import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { auditRecord, systemChange, userChange } from '../../shared/audit/actor';
import { AuditRepository } from '../../shared/audit/repository';
import { AuditService } from '../../shared/audit/service';
import type { UserPrincipal } from '../../shared/auth/principal';
import { startTestDynamo, type TestDynamo } from '../support/dynamo';
import { scaledMs } from '../../local/timing';
import { requireEngines } from '../support/engines';

const engines = requireEngines(['java']);

const alice: UserPrincipal = {
  kind: 'user',
  sub: 'alice',
  username: 'alice',
  email: 'alice@example.com',
  groups: ['admin'],
  role: 'admin',
};

engines.describe('audit log against DynamoDB Local', () => {
  let dynamo: TestDynamo;
  let repo: AuditRepository;

  beforeAll(async () => {
    dynamo = await startTestDynamo();
    repo = new AuditRepository(dynamo.doc, dynamo.tableNames.audit);
  }, scaledMs(60_000));
  afterAll(() => dynamo?.stop());

  const putFlag = (key: string, condition?: string) => ({
    Put: {
      TableName: dynamo.tableNames.config,
      Item: { pk: `FLAG#${key}`, sk: 'META', name: key },
      ...(condition ? { ConditionExpression: condition } : {}),
    },
  });
  const getFlag = async (key: string) =>
    (
      await dynamo.doc.send(
        new GetCommand({ TableName: dynamo.tableNames.config, Key: { pk: `FLAG#${key}`, sk: 'META' } }),
      )
    ).Item;

  it('writes the change and its entry together', async () => {
    const entry = await repo.commit(
      [putFlag('checkout')],
      auditRecord(userChange(alice, 'req-1'), 'flag.create', { kind: 'flag', key: 'checkout' }, null, {
        name: 'checkout',
      }),
    );
    expect(await getFlag('checkout')).toMatchObject({ name: 'checkout' });
    const found = await repo.find({ resourceKind: 'flag', resourceKey: 'checkout' });
    expect(found).toEqual([entry]);
    expect(entry).toMatchObject({
      actor: 'alice',
      actorName: 'alice@example.com',
      action: 'flag.create',
      requestId: 'req-1',
    });
  });

  it('leaves no entry when the change fails', async () => {
    await expect(
      repo.commit(
        [putFlag('checkout', 'attribute_not_exists(pk)')],
        auditRecord(userChange(alice, 'req-2'), 'flag.create', { kind: 'flag', key: 'checkout' }, null, {}),
      ),
    ).rejects.toBeInstanceOf(TransactionCanceledException);
    expect(await repo.find({ actor: 'alice' })).toHaveLength(1);
  });

  it('leaves no change when the entry cannot be written', async () => {
    const broken = new AuditRepository(dynamo.doc, 'no-such-audit-table');
    await expect(
      broken.commit(
        [putFlag('orphan')],
        auditRecord(userChange(alice, 'req-3'), 'flag.create', { kind: 'flag', key: 'orphan' }, null, {}),
      ),
    ).rejects.toThrow();
    expect(await getFlag('orphan')).toBeUndefined();
  });

  it('undoes an external change whose entry cannot be written, and records nothing when the change fails', async () => {
    const broken = new AuditRepository(dynamo.doc, 'no-such-audit-table');
    const log: string[] = [];
    const change = { apply: async () => void log.push('apply'), undo: async () => void log.push('undo') };
    const record = () =>
      auditRecord(userChange(alice, 'req-4'), 'user.disable', { kind: 'user', key: 'bob' }, {}, {});
    await expect(broken.commitExternal(change, record)).rejects.toThrow();
    expect(log).toEqual(['apply', 'undo']);

    const failing = {
      apply: async () => Promise.reject(new Error('Cognito said no')),
      undo: async () => undefined,
    };
    await expect(repo.commitExternal(failing, record)).rejects.toThrow('Cognito said no');
    expect(await repo.find({ resourceKind: 'user', resourceKey: 'bob' })).toEqual([]);
  });

  it('answers by resource, actor and time range, newest first, and exports NDJSON', async () => {
    for (let i = 0; i < 5; i++) {
      await repo.commit(
        [],
        auditRecord(
          systemChange('scheduler', `job-${i}`),
          'experiment.start',
          { kind: 'experiment', key: `exp-${i % 2}` },
          { status: 'DRAFT' },
          { status: 'ACTIVE' },
        ),
      );
    }
    const byActor = await repo.find({ actor: 'system:scheduler' });
    expect(byActor.map((e) => e.requestId)).toEqual(['job-4', 'job-3', 'job-2', 'job-1', 'job-0']);
    expect(
      (await repo.find({ resourceKind: 'experiment', resourceKey: 'exp-1' })).map((e) => e.requestId),
    ).toEqual(['job-3', 'job-1']);
    const all = await repo.find({});
    expect(all.length).toBeGreaterThanOrEqual(6);
    const future = new Date(Date.now() + 86_400_000).toISOString();
    expect(
      await repo.find({ from: future, to: new Date(Date.now() + 2 * 86_400_000).toISOString() }),
    ).toEqual([]);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    expect(await repo.find({ from: yesterday })).toHaveLength(all.length);

    const service = new AuditService(repo);
    const page = await service.list({ actor: 'system:scheduler', page: 2, page_size: 2 });
    expect(page).toMatchObject({ total: 5, page: 2, page_size: 2, total_pages: 3 });
    expect(page.items.map((e) => e.requestId)).toEqual(['job-2', 'job-1']);
    const lines = (await service.exportNdjson({ actor: 'system:scheduler' })).trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      actor: 'system:scheduler',
      action: 'experiment.start',
      before: { status: 'DRAFT' },
    });
  });
});
