import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { systemChange } from '../../shared/audit/actor';
import { AuditRepository } from '../../shared/audit/repository';
import { AuditService } from '../../shared/audit/service';
import { ConfigReader, ConfigRepository } from '../../shared/config/repository';
import type { Experiment } from '../../shared/experiments/requests';
import type { Flag } from '../../shared/flags/requests';
import { dynamoConfiguration, RulesetPublisher } from '../../shared/rulesets/publisher';
import { RulesetRepository } from '../../shared/rulesets/repository';
import { noCache } from '../../shared/rulesets/cache';
import { RulesetSource } from '../../shared/rulesets/source';
import type { Ruleset } from '../../shared/rules';
import type { Segment } from '../../shared/segments/requests';
import { segmentInputSchema } from '../../shared/segments/schema';
import { SegmentsService } from '../../shared/segments/service';
import { scaledMs } from '../../local/timing';
import { startTestDynamo, type TestDynamo } from '../support/dynamo';
import { requireEngines } from '../support/engines';

const engines = requireEngines(['java']);

/** 43 characters: 32 random bytes in base64url, as many systems print their unit ids. */
const unitIds = (n: number) => Array.from({ length: n }, () => randomBytes(32).toString('base64url'));

/**
 * The finding "limits that end in 500" (issue 16): a segment of 10 000 included plus 10 000 excluded ids of 43
 * characters (≈ 0.9 MB: over DynamoDB's 400 KB item limit, as are its audit entries) is created, updated,
 * audited, read back and published; a larger one is refused with 400 naming the limit, nothing written.
 */
engines.describe('resources over one DynamoDB item, against DynamoDB Local', () => {
  let dynamo: TestDynamo;
  let segments: SegmentsService;
  let repository: ConfigRepository<Segment>;
  let audit: AuditRepository;

  beforeAll(async () => {
    dynamo = await startTestDynamo();
    audit = new AuditRepository(dynamo.doc, dynamo.tableNames.audit);
    repository = new ConfigRepository<Segment>(dynamo.doc, dynamo.tableNames.config, audit, 'segment');
    segments = new SegmentsService(
      repository,
      new ConfigReader<Flag>(dynamo.doc, dynamo.tableNames.config, 'flag'),
      new ConfigReader<Experiment>(dynamo.doc, dynamo.tableNames.config, 'experiment'),
    );
  }, scaledMs(60_000));
  afterAll(() => dynamo?.stop());

  const context = systemChange('test', 'req-big');
  const partsIn = async (pk: string) =>
    (
      await dynamo.doc.send(
        new QueryCommand({
          TableName: dynamo.tableNames.config,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ProjectionExpression: 'sk',
        }),
      )
    ).Items?.map((i) => String(i.sk)) ?? [];

  it(
    'creates, updates, audits, reads back, publishes and deletes a 10 000 + 10 000 segment',
    async () => {
      const included = unitIds(10_000);
      const excluded = unitIds(10_000);
      const input = segmentInputSchema.parse({ key: 'big', name: 'Big', included, excluded });
      expect(JSON.stringify(input).length).toBeGreaterThan(900_000);

      const created = await segments.create(input, context);
      expect(created.version).toBe(1);
      expect(await segments.get('big')).toEqual(created);
      // Reference checks read keys from the index alone, never the parts.
      expect(await repository.keys()).toEqual(['big']);
      // META and three parts of version 1 (300 KiB each), nothing else.
      expect(await partsIn('SEGMENT#big')).toEqual([
        'META',
        'PART#000000000001#0000',
        'PART#000000000001#0001',
        'PART#000000000001#0002',
      ]);

      const moreIncluded = [...included.slice(1), ...unitIds(1)];
      const updated = await segments.update('big', { included: moreIncluded }, { context, version: 1 });
      expect(updated.version).toBe(2);
      const read = await segments.get('big');
      expect(read.included).toEqual(moreIncluded);
      expect(read.excluded).toEqual(excluded);
      // The parts of version 1 went in the same transaction.
      expect((await partsIn('SEGMENT#big')).filter((sk) => sk.startsWith('PART#000000000001'))).toEqual([]);
      const listed = await segments.list({ page: 1, page_size: 20 });
      expect(listed.items).toEqual([read]);

      // Both changes audited whole: before and after stored beside the entries.
      const history = await audit.find({ resourceKind: 'segment', resourceKey: 'big' });
      expect(history.map((e) => e.action)).toEqual(['segment.update', 'segment.create']);
      expect(history[0]?.before).toEqual(created);
      expect(history[0]?.after).toEqual(read);
      expect(history[1]).toMatchObject({ before: null, after: created });
      // A page of the list keeps to its budget, and the first entry is always whole.
      const page = await new AuditService(audit).list({
        resourceKind: 'segment',
        resourceKey: 'big',
        page: 1,
        page_size: 20,
      });
      expect(page.items[0]?.after).toEqual(read);

      const rulesets = new RulesetRepository(dynamo.doc, dynamo.tableNames.rulesets);
      const publisher = new RulesetPublisher(
        dynamoConfiguration(dynamo.doc, dynamo.tableNames.config),
        rulesets,
      );
      const { published } = await publisher.publishChanges([{ kind: 'segment', key: 'big' }]);
      expect(published).toBe(true);
      const { body } = await new RulesetSource(rulesets, noCache, 0).body();
      expect((JSON.parse(body) as Ruleset).segments).toEqual([
        { key: 'big', included: moreIncluded, excluded },
      ]);

      await segments.remove('big', { context, version: 2 });
      expect(await partsIn('SEGMENT#big')).toEqual([]);
      expect((await audit.find({ resourceKind: 'segment', resourceKey: 'big' }))[0]).toMatchObject({
        action: 'segment.delete',
        before: read,
        after: null,
      });
    },
    scaledMs(30_000),
  );

  it(
    'refuses a segment over 1 MiB with 400 naming the limit, and writes nothing',
    async () => {
      // 10 000 + 10 000 ids of 60 characters: within the count, over the bytes.
      const long = (n: number) => Array.from({ length: n }, () => randomBytes(45).toString('base64url'));
      const input = segmentInputSchema.parse({
        key: 'too-big',
        name: 'Too big',
        included: long(10_000),
        excluded: long(10_000),
      });
      await expect(segments.create(input, context)).rejects.toMatchObject({
        status: 400,
        code: 'VALIDATION_ERROR',
        message: expect.stringContaining('a segment may hold at most 1048576 bytes (1 MiB)'),
      });
      expect(await partsIn('SEGMENT#too-big')).toEqual([]);
      expect(await audit.find({ resourceKind: 'segment', resourceKey: 'too-big' })).toEqual([]);
    },
    scaledMs(30_000),
  );
});
