import { RULESET_OBJECTS_ENV } from '../../shared/environment';
import { STAGE_NAMES } from '../../lib/config';
import { resourcesOf, stageOf } from './synth';

/** Issue 17, goal 2: rulesets too large for a response are stored in S3 and handed out by presigned URL. */
describe.each(STAGE_NAMES)('rulesets bucket (%s)', (name) => {
  const { stateful, api } = stageOf(name);
  const buckets = Object.entries(resourcesOf(stateful, 'AWS::S3::Bucket')).filter(([id]) =>
    id.startsWith('RulesetsBucket'),
  );

  it('is private, encrypted, TLS-only, and lets old revisions expire', () => {
    expect(buckets).toHaveLength(1);
    const [id, bucket] = buckets[0]!;
    expect(bucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      LifecycleConfiguration: {
        Rules: [{ Prefix: 'rulesets/', ExpirationInDays: 30, Status: 'Enabled' }],
      },
    });
    const policies = Object.values(resourcesOf(stateful, 'AWS::S3::BucketPolicy')).filter(
      (p) => JSON.stringify(p.Properties?.Bucket) === JSON.stringify({ Ref: id }),
    );
    expect(JSON.stringify(policies)).toContain('"aws:SecureTransport":"false"');
  });

  it('only the evaluation function may use it: read and write under rulesets/, list that prefix only', () => {
    const functions = Object.values(resourcesOf(api, 'AWS::Lambda::Function')).filter(
      (f) =>
        (f.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.[
          RULESET_OBJECTS_ENV.kind
        ] !== undefined,
    );
    expect(functions.map((f) => f.Properties?.Description)).toEqual([
      expect.stringMatching(/: Flag evaluation/),
    ]);
    const variables = (functions[0]!.Properties!.Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(variables[RULESET_OBJECTS_ENV.kind]).toBe('s3');
    expect(variables[RULESET_OBJECTS_ENV.bucket]).toBeDefined();

    const statements = Object.values(resourcesOf(api, 'AWS::IAM::Policy')).flatMap(
      (p) =>
        (
          p.Properties?.PolicyDocument as {
            Statement: { Action: unknown; Resource: unknown; Condition?: unknown }[];
          }
        ).Statement,
    );
    const onBucket = statements.filter((s) => JSON.stringify(s.Action).includes('s3:'));
    const touchingRulesets = onBucket.filter((s) => JSON.stringify(s).includes('RulesetsBucket'));
    expect(touchingRulesets.map((s) => s.Action)).toEqual([
      ['s3:GetObject', 's3:PutObject'],
      's3:ListBucket',
    ]);
    expect(JSON.stringify(touchingRulesets[0]!.Resource)).toContain('/rulesets/*');
    expect(touchingRulesets[1]!.Condition).toEqual({ StringLike: { 's3:prefix': ['rulesets/*'] } });
  });

  it('gives the ruleset publisher the time and memory of a full publish at 50 000 flags (5 minutes, 1 GB)', () => {
    const publishers = Object.values(resourcesOf(api, 'AWS::Lambda::Function')).filter((f) =>
      String(f.Properties?.Description).includes('ruleset publisher'),
    );
    expect(publishers).toHaveLength(1);
    expect(publishers[0]!.Properties).toMatchObject({ Timeout: 300, MemorySize: 1024 });
  });
});
