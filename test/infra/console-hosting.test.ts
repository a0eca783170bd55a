import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { UserPool } from 'aws-cdk-lib/aws-cognito';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ConsoleHosting, SPA_ROUTING_FUNCTION_CODE } from '../../lib/constructs/console-hosting';
import { CONSOLE_SECURITY_HEADERS } from '../../local/console';
import { consoleContentSecurityPolicy } from '../../shared/http/console-headers';
import { awsSolutionsFindings } from './nag';
import { onlyResource, resourcesOf, stageOf, testApp } from './synth';

/** Issue 18: the console in AWS — S3 + CloudFront with origin access control, security headers, hosted UI + PKCE. */

type Json = Record<string, unknown>;
const props = (resource: { Properties?: Json }): Json => resource.Properties ?? {};

describe.each(['dev', 'prod'] as const)('the console stack (%s)', (name) => {
  const { console: template, app, config } = stageOf(name);
  const bucket = Object.entries(resourcesOf(template, 'AWS::S3::Bucket')).find(([id]) =>
    id.startsWith('ConsoleContentBucket'),
  )!;
  const [bucketId] = bucket;
  const distribution = onlyResource(template, 'AWS::CloudFront::Distribution');
  const distributionConfig = props(distribution).DistributionConfig as Json;
  const defaultBehavior = distributionConfig.DefaultCacheBehavior as Json;
  const headers = onlyResource(template, 'AWS::CloudFront::ResponseHeadersPolicy');
  const security = (props(headers).ResponseHeadersPolicyConfig as Json).SecurityHeadersConfig as Json;
  const client = onlyResource(template, 'AWS::Cognito::UserPoolClient');
  const domain = onlyResource(template, 'AWS::Cognito::UserPoolDomain');

  it('keeps every bucket private: all public access blocked, TLS only, encrypted', () => {
    for (const [, b] of Object.entries(resourcesOf(template, 'AWS::S3::Bucket'))) {
      expect(props(b).PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(props(b).BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      });
    }
    expect(props(bucket[1]).LoggingConfiguration).toMatchObject({ LogFilePrefix: 's3/' });
  });

  it("lets only CloudFront read the content, for this distribution only (the bucket policy's one Allow)", () => {
    const policy = Object.values(resourcesOf(template, 'AWS::S3::BucketPolicy')).find(
      (p) => JSON.stringify(props(p).Bucket) === JSON.stringify({ Ref: bucketId }),
    )!;
    const statements = (props(policy).PolicyDocument as { Statement: Json[] }).Statement;
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] },
        Condition: {
          StringEquals: {
            'AWS:SourceArn': {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':cloudfront::',
                  { Ref: 'AWS::AccountId' },
                  ':distribution/',
                  { Ref: distribution.logicalId },
                ],
              ],
            },
          },
        },
      },
    ]);
    // The rest denies plain HTTP.
    expect(statements.filter((s) => s.Effect === 'Deny')).toEqual([
      expect.objectContaining({ Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    ]);
  });

  it('reads the bucket through an origin access control (SigV4, always), no legacy OAI', () => {
    const oac = onlyResource(template, 'AWS::CloudFront::OriginAccessControl');
    expect(props(oac).OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: 's3',
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
    });
    const origins = distributionConfig.Origins as Json[];
    const s3 = origins.find((o) => JSON.stringify(o.DomainName).includes(bucketId))!;
    expect(s3.OriginAccessControlId).toEqual({ 'Fn::GetAtt': [oac.logicalId, 'Id'] });
    expect(s3.S3OriginConfig).toEqual({ OriginAccessIdentity: '' });
    expect(defaultBehavior.TargetOriginId).toBe(s3.Id);
  });

  it('redirects HTTP to HTTPS, serves index.html at the root, and logs every request', () => {
    expect(defaultBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(defaultBehavior.AllowedMethods).toEqual(['GET', 'HEAD']);
    expect(distributionConfig.DefaultRootObject).toBe('index.html');
    expect(distributionConfig.Logging).toMatchObject({ Prefix: 'cloudfront/' });
  });

  it('sends the local gateway’s security headers, with the hosted UI domain as a connect source, and HSTS', () => {
    expect(defaultBehavior.ResponseHeadersPolicyId).toEqual({ Ref: headers.logicalId });
    const csp = (security.ContentSecurityPolicy as Json).ContentSecurityPolicy as {
      'Fn::Join': [string, unknown[]];
    };
    // The policy is the local one with the Cognito origin added to connect-src and nothing else.
    const [before, after] = consoleContentSecurityPolicy(['<cognito>']).split('<cognito>');
    expect(csp).toEqual({
      'Fn::Join': [
        '',
        [
          `${before}https://`,
          { Ref: domain.logicalId },
          '.auth.',
          { Ref: 'AWS::Region' },
          `.amazoncognito.com${after}`,
        ],
      ],
    });
    expect(before).toContain("default-src 'self'");
    expect(after).toContain("frame-ancestors 'none'");
    expect(security).toMatchObject({
      ContentSecurityPolicy: { Override: true },
      StrictTransportSecurity: {
        AccessControlMaxAgeSec: 63_072_000,
        IncludeSubdomains: true,
        Override: true,
      },
      ContentTypeOptions: { Override: true },
      FrameOptions: { FrameOption: CONSOLE_SECURITY_HEADERS['x-frame-options'], Override: true },
      ReferrerPolicy: { ReferrerPolicy: CONSOLE_SECURITY_HEADERS['referrer-policy'], Override: true },
    });
    expect(CONSOLE_SECURITY_HEADERS['x-frame-options']).toBe('DENY');
    expect(CONSOLE_SECURITY_HEADERS['x-content-type-options']).toBe('nosniff');
  });

  it('answers the app’s own routes with index.html (a viewer-request function), on the S3 behaviour only', () => {
    const fn = onlyResource(template, 'AWS::CloudFront::Function');
    expect(props(fn).FunctionCode).toBe(SPA_ROUTING_FUNCTION_CODE);
    expect((props(fn).FunctionConfig as Json).Runtime).toBe('cloudfront-js-2.0');
    expect(defaultBehavior.FunctionAssociations).toEqual([
      { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [fn.logicalId, 'FunctionARN'] } },
    ]);
    // No distribution-wide error responses: they would rewrite the API's 403s and 404s under /api/*.
    expect(distributionConfig.CustomErrorResponses).toBeUndefined();
  });

  it('forwards /api/* to the API stage, uncached, HTTPS only, every method and header but Host', () => {
    const [api] = distributionConfig.CacheBehaviors as Json[];
    expect(distributionConfig.CacheBehaviors).toHaveLength(1);
    expect(api).toMatchObject({
      PathPattern: '/api/*',
      ViewerProtocolPolicy: 'https-only',
      AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
      CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad', // Managed-CachingDisabled
      OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac', // Managed-AllViewerExceptHostHeader
    });
    const origin = (distributionConfig.Origins as Json[]).find((o) => o.Id === api!.TargetOriginId)!;
    expect(origin.CustomOriginConfig).toEqual({
      OriginProtocolPolicy: 'https-only',
      OriginSSLProtocols: ['TLSv1.2'],
    });
    expect(JSON.stringify(origin.DomainName)).toContain('.execute-api.');
    expect(JSON.stringify(origin.OriginPath)).toContain('ApiRestApiDeploymentStage');
  });

  it('uses the default certificate when the stage names no custom domain', () => {
    expect(config.consoleDomain).toBeUndefined();
    expect(distributionConfig.Aliases).toBeUndefined();
  });

  it('adds a public app client for the authorization-code flow (PKCE), calling back to the distribution', () => {
    expect(props(client)).toMatchObject({
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      GenerateSecret: false,
      SupportedIdentityProviders: ['COGNITO'],
      PreventUserExistenceErrors: 'ENABLED',
      ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    });
    const redirect = {
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distribution.logicalId, 'DomainName'] }, '/']],
    };
    expect(props(client).CallbackURLs).toEqual([redirect]);
    expect(props(client).LogoutURLs).toEqual([redirect]);
    expect(props(client).UserPoolId).toEqual({ 'Fn::ImportValue': expect.stringContaining('UserPool') });
  });

  it('gives the hosted UI a per-stage domain prefix, distinct per account', () => {
    expect(props(domain).Domain).toEqual({
      'Fn::Join': ['', [`switchyard-${name}-`, { Ref: 'AWS::AccountId' }]],
    });
  });

  describe('the deployment of the build and /config.json', () => {
    const deployments = Object.values(resourcesOf(template, 'Custom::CDKBucketDeployment'));
    const site = deployments.find((d) => JSON.stringify(props(d).Exclude) === '["assets/*"]')!;
    const assets = deployments.find((d) => JSON.stringify(props(d).Include) === '["assets/*"]')!;

    it('caches hashed assets for a year and revalidates everything else', () => {
      expect(deployments).toHaveLength(2);
      expect(props(assets)).toMatchObject({
        Exclude: ['*'],
        SystemMetadata: { 'cache-control': 'public, max-age=31536000, immutable' },
        DestinationBucketName: { Ref: bucketId },
      });
      expect(props(site)).toMatchObject({
        SystemMetadata: { 'cache-control': 'no-cache' },
        DestinationBucketName: { Ref: bucketId },
      });
      expect(site.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^ConsoleDeployAssets/)]));
    });

    it('writes config.json with the API URL, region, client id, hosted UI domain and redirect URI', () => {
      const keys = props(site).SourceObjectKeys as string[];
      const markers = props(site).SourceMarkers as Json[];
      const index = markers.findIndex((m) => Object.keys(m).length > 0);
      const staged = path.join(app.outdir, `asset.${keys[index]!.replace(/\.zip$/, '')}`, 'config.json');
      // Deploy-time values travel as markers, which the deployment replaces: shown here as «<reference>».
      const resolve = (value: unknown): unknown =>
        typeof value === 'string'
          ? Object.entries(markers[index]!).reduce(
              (text, [marker, reference]) => text.split(marker).join(`«${JSON.stringify(reference)}»`),
              value,
            )
          : Array.isArray(value)
            ? value.map(resolve)
            : typeof value === 'object' && value !== null
              ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]))
              : value;
      const document = resolve(JSON.parse(fs.readFileSync(staged, 'utf8'))) as { cognito: Json } & Json;
      expect(Object.keys(document).sort()).toEqual(['apiUrl', 'cognito', 'region']);
      expect(document.region).toBe('«{"Ref":"AWS::Region"}»');
      expect(document.apiUrl).toMatch(
        /^https:\/\/«.*ApiRestApi.*»\.execute-api\.«.*»\.«.*»\/«.*DeploymentStage.*»\/$/,
      );
      expect(document.cognito).toEqual({
        userPoolId: expect.stringContaining('UserPool'),
        clientId: `«{"Ref":"${client.logicalId}"}»`,
        domain: `https://«{"Ref":"${domain.logicalId}"}».auth.«{"Ref":"AWS::Region"}».amazoncognito.com`,
        redirectUri: `https://«{"Fn::GetAtt":["${distribution.logicalId}","DomainName"]}»/`,
        logoutUri: `https://«{"Fn::GetAtt":["${distribution.logicalId}","DomainName"]}»/`,
        scopes: ['openid', 'email', 'profile'],
      });
    });
  });

  it('outputs the console URL', () => {
    const outputs = (template.toJSON() as { Outputs: Record<string, { Value: unknown }> }).Outputs;
    expect(outputs.ConsoleUrl?.Value).toEqual({
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distribution.logicalId, 'DomainName'] }, '/']],
    });
  });
});

describe('ConsoleHosting on its own', () => {
  const content = fs.mkdtempSync(path.join(os.tmpdir(), 'console-dist-'));
  fs.mkdirSync(path.join(content, 'assets'));
  fs.writeFileSync(path.join(content, 'index.html'), '<!doctype html><title>console</title>');

  const build = (domain?: { domainName: string; certificateArn: string }, directory = content) => {
    const app = testApp();
    const stack = new Stack(app, 'Hosting');
    const restApi = new RestApi(stack, 'Api');
    restApi.root.addMethod('GET');
    const hosting = new ConsoleHosting(stack, 'Console', {
      stageName: 'dev',
      contentDirectory: directory,
      restApi,
      userPool: new UserPool(stack, 'Pool'),
      domain,
      logRetention: RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    return { app, stack, hosting };
  };

  it('serves a custom domain with its certificate, SNI, TLS 1.2 at least, and calls back there', () => {
    const { stack } = build({
      domainName: 'console.example.com',
      certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123',
    });
    const template = Template.fromStack(stack);
    const distribution = onlyResource(template, 'AWS::CloudFront::Distribution');
    expect(props(distribution).DistributionConfig).toMatchObject({
      Aliases: ['console.example.com'],
      ViewerCertificate: {
        AcmCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123',
        MinimumProtocolVersion: 'TLSv1.2_2021',
        SslSupportMethod: 'sni-only',
      },
    });
    expect(props(onlyResource(template, 'AWS::Cognito::UserPoolClient')).CallbackURLs).toEqual([
      'https://console.example.com/',
    ]);
  });

  it('raises no cdk-nag finding with a custom domain, and acknowledges no default-certificate finding', () => {
    const { app, hosting } = build({
      domainName: 'console.example.com',
      certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123',
    });
    app.synth();
    const findings = awsSolutionsFindings(app).filter((f) => f.path.includes('/Console/'));
    expect(findings).toEqual([]);
    const acknowledged = hosting.distribution.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.keys(entry.data as Json));
    expect(acknowledged.join(' ')).not.toContain('CFR4');
  });

  it('refuses to synthesize without a built console', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'console-empty-'));
    expect(() => build(undefined, empty)).toThrow(/npm run build:console/);
  });
});

describe('the SPA routing function', () => {
  // The function's source as CloudFront runs it: a script declaring `handler`.
  const handler = vm.runInNewContext(`${SPA_ROUTING_FUNCTION_CODE}; handler`) as (event: {
    request: { uri: string };
  }) => { uri: string };
  const route = (uri: string) => handler({ request: { uri } }).uri;

  it('answers app routes with index.html and leaves files alone', () => {
    expect(route('/')).toBe('/index.html');
    expect(route('/flags')).toBe('/index.html');
    expect(route('/flags/checkout')).toBe('/index.html');
    expect(route('/experiments/exp-1/')).toBe('/index.html');
    expect(route('/index.html')).toBe('/index.html');
    expect(route('/config.json')).toBe('/config.json');
    expect(route('/assets/index-abc.js')).toBe('/assets/index-abc.js');
    expect(route('/favicon.ico')).toBe('/favicon.ico');
    // Flag keys may hold dots: only the build's own files are files.
    expect(route('/flags/web.banner')).toBe('/index.html');
    expect(route('/flags/web.banner/edit')).toBe('/index.html');
  });
});
