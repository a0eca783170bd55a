import { RemovalPolicy } from 'aws-cdk-lib';
import { STAGE_NAMES, stageConfig, validateStageConfig, type StageConfig } from '../../lib/config';

describe('stage configuration', () => {
  it.each(STAGE_NAMES)('%s is valid and named after itself', (name) => {
    const config = stageConfig(name);
    expect(config.name).toBe(name);
    expect(() => validateStageConfig(config)).not.toThrow();
  });

  it('refuses an unknown stage with the list of known ones', () => {
    expect(() => stageConfig('production')).toThrow(
      'Unknown stage "production": expected one of dev, staging, prod (cdk synth -c stage=dev)',
    );
  });

  it('retains and protects data in prod only; point-in-time recovery everywhere', () => {
    expect(stageConfig('prod')).toMatchObject({
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
    });
    for (const name of ['dev', 'staging'] as const) {
      expect(stageConfig(name)).toMatchObject({
        removalPolicy: RemovalPolicy.DESTROY,
        deletionProtection: false,
      });
    }
    for (const name of STAGE_NAMES) expect(stageConfig(name).pointInTimeRecovery).toBe(true);
  });

  it('sizes search per stage: one small node in dev, dedicated masters and two AZs in prod', () => {
    expect(stageConfig('dev').search).toMatchObject({
      dataNodeInstanceType: 't3.small.search',
      dataNodes: 1,
      masterNodes: 0,
      zoneAwareness: false,
    });
    expect(stageConfig('prod').search).toMatchObject({
      dataNodeInstanceType: 'm6g.large.search',
      masterNodes: 3,
      masterNodeInstanceType: 'm6g.large.search',
      zoneAwareness: true,
    });
  });

  it('accepts 1 MiB request bodies in every stage', () => {
    for (const name of STAGE_NAMES) expect(stageConfig(name).maxBodyBytes).toBe(1048576);
  });

  it('lists every inconsistency at once', () => {
    const dev = stageConfig('dev');
    const broken: StageConfig = {
      ...dev,
      search: { ...dev.search, dataNodes: 3, zoneAwareness: true, masterNodes: 2 },
      apiThrottle: { rateLimit: 100, burstLimit: 10 },
      corsAllowedOrigins: ['https://app.example.org/path'],
    };
    let message = '';
    try {
      validateStageConfig(broken);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('Invalid configuration for stage "dev"');
    expect(message).toContain('search.dataNodes must be even');
    expect(message).toContain('search.masterNodes must be 0, 3 or 5');
    expect(message).toContain('apiThrottle.burstLimit must be at least apiThrottle.rateLimit');
    expect(message).toContain('"https://app.example.org/path" is not an origin');
  });

  it('takes a console domain only with a us-east-1 ACM certificate', () => {
    const dev = stageConfig('dev');
    const withDomain = (domainName: string, certificateArn: string): StageConfig => ({
      ...dev,
      consoleDomain: { domainName, certificateArn },
    });
    expect(() =>
      validateStageConfig(
        withDomain('console.example.com', 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123'),
      ),
    ).not.toThrow();
    expect(() =>
      validateStageConfig(
        withDomain('console.example.com', 'arn:aws:acm:eu-west-1:123456789012:certificate/abc-123'),
      ),
    ).toThrow('consoleDomain.certificateArn must be an ACM certificate ARN in us-east-1');
    expect(() =>
      validateStageConfig(
        withDomain('https://console.example.com', 'arn:aws:acm:us-east-1:123456789012:certificate/a'),
      ),
    ).toThrow('is not a lowercase DNS name');
  });
});
