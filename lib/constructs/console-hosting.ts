import * as fs from 'node:fs';
import * as path from 'node:path';
import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  Function as CloudFrontFunction,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginRequestPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { RestApiOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import {
  OAuthScope,
  UserPoolClient,
  UserPoolClientIdentityProvider,
  UserPoolDomain,
  type IUserPool,
} from 'aws-cdk-lib/aws-cognito';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { acknowledgeWildcardResourcesOf } from '../nag';
import { consoleContentSecurityPolicy } from '../../shared/http/console-headers';
import type { ConsoleDomainConfig } from '../config';

/** What the console reads from `/config.json` in AWS (console/src/auth/config.ts parses it). */
export interface ConsoleRuntimeConfig {
  readonly region: string;
  /** The REST API's own invoke URL (for SDKs and scripts); the console calls it through its origin, at `/api/`. */
  readonly apiUrl: string;
  readonly cognito: {
    readonly userPoolId: string;
    readonly clientId: string;
    /** `https://<prefix>.auth.<region>.amazoncognito.com`: the hosted UI and its token endpoint. */
    readonly domain: string;
    readonly redirectUri: string;
    readonly logoutUri: string;
    readonly scopes: readonly string[];
  };
}

export interface ConsoleHostingProps {
  /** dev, staging or prod: part of the hosted UI's domain prefix and of descriptions. */
  readonly stageName: string;
  /** The built console (`console/dist`): must hold index.html. */
  readonly contentDirectory: string;
  /** The API the console calls; CloudFront forwards `/api/*` to its stage, so the console stays same-origin. */
  readonly restApi: RestApi;
  /** The pool whose users sign in; the hosted UI domain and the console's app client are added to it. */
  readonly userPool: IUserPool;
  /**
   * A custom domain and its us-east-1 certificate.
   * @default - the distribution's `*.cloudfront.net` name with CloudFront's default certificate
   */
  readonly domain?: ConsoleDomainConfig;
  /** Days the access logs (CloudFront and S3) are kept. */
  readonly logRetention: RetentionDays;
  /** Of the log bucket and the deployment's log group: prod keeps its logs. */
  readonly removalPolicy: RemovalPolicy;
}

/** OAuth scopes the console asks for: the ID token's identity and email claims (groups come with any ID token). */
export const CONSOLE_OAUTH_SCOPES = [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE];

/**
 * The SPA fallback as a viewer-request function on the S3 behaviour only: the build's files are `/assets/…` and a
 * few at the root (`/index.html`, `/config.json`); every other path (`/flags/checkout`, `/flags/web.banner` — keys
 * may hold dots) is the app's own route and gets index.html. Custom error responses would do the same for 403/404,
 * but they apply to the whole distribution and would turn the API's 403s and 404s under `/api/*` into index.html
 * with 200. cloudfront-js-2.0 (ES 5.1 plus a few later features): no arrow functions in here.
 */
export const SPA_ROUTING_FUNCTION_CODE = `function handler(event) {
  var request = event.request;
  var uri = request.uri;
  var file = uri.indexOf('/assets/') === 0 || (uri.lastIndexOf('/') === 0 && uri.indexOf('.') > 0);
  if (!file) request.uri = '/index.html';
  return request;
}`;

/** Vite names everything under assets/ by content hash: cached for a year; the rest is revalidated each time. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The web console in AWS: the built SPA in a private S3 bucket behind CloudFront (origin access control, HTTPS
 * only, the security headers of the local gateway plus HSTS), the API's `/api/*` on the same distribution (so the
 * console's calls are same-origin, as on the local platform, and the API needs no CORS for it), the Cognito hosted
 * UI domain and a public app client for the authorization-code flow with PKCE, and `/config.json` telling the
 * console where all of that is.
 */
export class ConsoleHosting extends Construct {
  public readonly bucket: Bucket;
  /** CloudFront standard logs (`cloudfront/`) and the content bucket's server access logs (`s3/`). */
  public readonly logBucket: Bucket;
  public readonly distribution: Distribution;
  public readonly responseHeadersPolicy: ResponseHeadersPolicy;
  public readonly userPoolDomain: UserPoolDomain;
  public readonly userPoolClient: UserPoolClient;
  /** `https://<console domain>` without a trailing slash. */
  public readonly origin: string;
  /** What `/config.json` holds. */
  public readonly runtimeConfig: ConsoleRuntimeConfig;

  constructor(scope: Construct, id: string, props: ConsoleHostingProps) {
    super(scope, id);
    if (!fs.existsSync(path.join(props.contentDirectory, 'index.html'))) {
      throw new Error(
        `The console is not built (no index.html in ${props.contentDirectory}): run \`npm run build:console\` ` +
          '(npm ci and npm install run it) before synthesizing.',
      );
    }

    this.logBucket = new Bucket(this, 'LogBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      // CloudFront standard logging writes with the log-delivery ACL: the bucket must accept ACLs.
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(props.logRetention) }],
      removalPolicy: props.removalPolicy,
    });
    this.bucket = new Bucket(this, 'ContentBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 's3/',
      // Everything in it is rebuilt from the repository by each deploy.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.userPoolDomain = new UserPoolDomain(this, 'HostedUiDomain', {
      userPool: props.userPool,
      // Prefixes are unique per region across all accounts: the account id keeps two deployments apart.
      cognitoDomain: { domainPrefix: `switchyard-${props.stageName}-${Aws.ACCOUNT_ID}` },
    });
    const cognitoOrigin = this.userPoolDomain.baseUrl();

    this.responseHeadersPolicy = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: `Switchyard console (${props.stageName}): CSP, HSTS, nosniff, no framing, no referrer`,
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: consoleContentSecurityPolicy([cognitoOrigin]),
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(730),
          includeSubdomains: true,
          override: true,
        },
        // The values of shared/http/console-headers.ts (test/infra/console-hosting.test.ts compares them).
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });

    const spaRouting = new CloudFrontFunction(this, 'SpaRouting', {
      comment: 'Console routes (paths without a file extension) are answered with index.html',
      code: FunctionCode.fromInline(SPA_ROUTING_FUNCTION_CODE),
      runtime: FunctionRuntime.JS_2_0,
    });

    const certificate = props.domain
      ? Certificate.fromCertificateArn(this, 'Certificate', props.domain.certificateArn)
      : undefined;
    this.distribution = new Distribution(this, 'Distribution', {
      comment: `Switchyard console (${props.stageName})`,
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      // North America and Europe edges only: the console is an operator tool, not a global audience.
      priceClass: PriceClass.PRICE_CLASS_100,
      ...(props.domain && certificate
        ? {
            domainNames: [props.domain.domainName],
            certificate,
            minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.responseHeadersPolicy,
        compress: true,
        functionAssociations: [{ function: spaRouting, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors: {
        // The management API, uncached, with every viewer header but Host (API Gateway routes on its own host
        // name); with caching disabled that includes Authorization. The API sends its own security headers.
        '/api/*': {
          origin: new RestApiOrigin(props.restApi),
          viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: AllowedMethods.ALLOW_ALL,
          cachePolicy: CachePolicy.CACHING_DISABLED,
          originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          compress: true,
        },
      },
    });
    this.acknowledgeDistributionFindings(props);

    this.origin = props.domain
      ? `https://${props.domain.domainName}`
      : `https://${this.distribution.distributionDomainName}`;
    const redirectUri = `${this.origin}/`;

    // A public client (no secret: a browser cannot keep one) for the authorization-code grant; the console sends a
    // PKCE S256 challenge with every authorization request. Only the hosted UI signs in through it.
    this.userPoolClient = new UserPoolClient(this, 'Client', {
      userPool: props.userPool,
      generateSecret: false,
      // SRP as the stateful stack's WebClient (and refresh, always); never USER_PASSWORD_AUTH.
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: CONSOLE_OAUTH_SCOPES,
        callbackUrls: [redirectUri],
        logoutUrls: [redirectUri],
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      // The console keeps no refresh token (only the ID token, in sessionStorage): the shortest Cognito allows.
      refreshTokenValidity: Duration.hours(1),
    });

    this.runtimeConfig = {
      region: Aws.REGION,
      apiUrl: props.restApi.url,
      cognito: {
        userPoolId: props.userPool.userPoolId,
        clientId: this.userPoolClient.userPoolClientId,
        domain: cognitoOrigin,
        redirectUri,
        logoutUri: redirectUri,
        scopes: CONSOLE_OAUTH_SCOPES.map((scope) => scope.scopeName),
      },
    };

    const deploymentLogs = new LogGroup(this, 'DeploymentLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    const content = Source.asset(props.contentDirectory);
    const common = {
      destinationBucket: this.bucket,
      logGroup: deploymentLogs,
      // The bucket goes with the stack; its files go with it rather than blocking the bucket's deletion.
      retainOnDelete: false,
    };
    // Two deployments for two cache lifetimes; each prunes only the keys it owns (its filters also guard deletes).
    const assets = new BucketDeployment(this, 'DeployAssets', {
      ...common,
      sources: [content],
      exclude: ['*'],
      include: ['assets/*'],
      cacheControl: [CacheControl.fromString(IMMUTABLE)],
    });
    const site = new BucketDeployment(this, 'DeploySite', {
      ...common,
      sources: [content, Source.jsonData('config.json', this.runtimeConfig)],
      exclude: ['assets/*'],
      cacheControl: [CacheControl.noCache()],
    });
    // index.html names the new hashed assets: they must be there first.
    site.node.addDependency(assets);
    this.acknowledgeDeploymentFindings(assets);
  }

  private acknowledgeDistributionFindings(props: ConsoleHostingProps): void {
    const acknowledge = (id: string, reason: string) =>
      Validations.of(this.distribution).acknowledge({ id, reason });
    acknowledge(
      'AwsSolutions-CFR1',
      'The console is for the operators of this deployment wherever they are; every screen needs a Cognito ' +
        'sign-in and every API call a token, so a country allow-list would add nothing but support calls.',
    );
    acknowledge(
      'AwsSolutions-CFR2',
      'No CloudFront WAF web ACL (a fixed monthly cost per distribution): the distribution serves static files, ' +
        'and /api/* goes on to the API stage, where the stage’s regional web ACL (staging, prod), its throttling ' +
        'and the Cognito authorizer apply as to any caller.',
    );
    if (props.domain === undefined) {
      acknowledge(
        'AwsSolutions-CFR4',
        'No custom domain configured (lib/config.ts consoleDomain): the *.cloudfront.net default certificate, ' +
          'whose minimum protocol CloudFront fixes; with a custom domain the distribution requires TLS 1.2.',
      );
    }
  }

  /** The S3 deployment's provider Lambda (one per stack, shared by both deployments) is CDK's own. */
  private acknowledgeDeploymentFindings(deployment: BucketDeployment): void {
    const role = deployment.handlerRole;
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'CDK’s BucketDeployment provider role uses AWSLambdaBasicExecutionRole (writing its own logs); it runs only ' +
        'at deploy time and the construct offers no way to replace the managed policy.',
    });
    const syncs =
      'CDK’s BucketDeployment provider syncs whole prefixes from the CDK asset bucket into the console bucket ' +
      '(aws s3 sync, with deletes): ';
    for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*']) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: `${syncs}the construct grants ${action} on those two buckets only (bucket.grantRead/grantReadWrite).`,
      });
    }
    acknowledgeWildcardResourcesOf(
      role,
      '/*',
      `${syncs}every object of the asset bucket's (read) and of the console bucket's (write), none elsewhere.`,
    );
    const stack = Stack.of(this);
    for (const child of stack.node.children) {
      if (child.node.id.startsWith('Custom::CDKBucketDeployment')) {
        Validations.of(child).acknowledge({
          id: 'AwsSolutions-L1',
          reason:
            'CDK’s BucketDeployment provider pins its own Python runtime (with the AWS CLI layer); it runs only at ' +
            'deploy time and is upgraded with aws-cdk-lib, not by this app.',
        });
      }
    }
  }
}
