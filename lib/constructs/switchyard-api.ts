import { Duration, Size, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  ApiKeySourceType,
  AuthorizationType,
  CognitoUserPoolsAuthorizer,
  Cors,
  EndpointType,
  IdentitySource,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  ResponseType,
  RestApi,
  type IAuthorizer,
  type Method,
  type MethodOptions,
  type RequestValidator,
} from 'aws-cdk-lib/aws-apigateway';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CORS_ALLOWED_HEADERS, CORS_EXPOSED_HEADERS } from '../../shared/http/cors';
import {
  GATEWAY_ERRORS,
  gatewayErrorBody,
  gatewayErrorHeaders,
  GATEWAY_MIN_COMPRESSION_BYTES,
  type GatewayError,
} from '../../shared/http/gateway-responses';
import { ROUTES, routeKey, type HandlerGroup, type RouteDefinition } from '../../shared/http/routes';

export interface SwitchyardApiProps {
  /** API Gateway stage name (part of the invoke URL). */
  readonly stageName: string;
  /** One function per handler group; every route of the group is proxied to it. */
  readonly handlers: Readonly<Record<HandlerGroup, IFunction>>;
  /** Verifies the Cognito tokens of `cognito` routes. */
  readonly userPool: IUserPool;
  /**
   * The API-key REQUEST authorizer for `apiKey` (SDK) routes.
   * @default - none: synthesis fails if a route needs it
   */
  readonly apiKeyAuthorizer?: IAuthorizer;
  /**
   * The routes to serve.
   * @default ROUTES from shared/http/routes.ts
   */
  readonly routes?: readonly RouteDefinition[];
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
  /** Browser origins answered by CORS preflight and gateway errors; empty = no CORS. */
  readonly corsAllowedOrigins: readonly string[];
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
}

interface GatewayResponseSpec {
  readonly type: ResponseType;
  readonly error: GatewayError;
  /**
   * Keep API Gateway's own status code. A status set on DEFAULT_4XX/DEFAULT_5XX would replace the code of
   * every 4XX/5XX type without its own response (e.g. 415, 504), so those only get the body.
   */
  readonly keepStatus?: true;
}

const GATEWAY_RESPONSES: readonly GatewayResponseSpec[] = [
  // API Gateway reports an unknown method/path as a missing authentication token (403); we say 404.
  { type: ResponseType.MISSING_AUTHENTICATION_TOKEN, error: GATEWAY_ERRORS.notFound },
  { type: ResponseType.RESOURCE_NOT_FOUND, error: GATEWAY_ERRORS.notFound },
  { type: ResponseType.UNAUTHORIZED, error: GATEWAY_ERRORS.unauthorized },
  { type: ResponseType.ACCESS_DENIED, error: GATEWAY_ERRORS.accessDenied },
  { type: ResponseType.WAF_FILTERED, error: GATEWAY_ERRORS.accessDenied },
  { type: ResponseType.THROTTLED, error: GATEWAY_ERRORS.throttled },
  { type: ResponseType.QUOTA_EXCEEDED, error: GATEWAY_ERRORS.throttled },
  { type: ResponseType.REQUEST_TOO_LARGE, error: GATEWAY_ERRORS.tooLarge },
  { type: ResponseType.BAD_REQUEST_BODY, error: GATEWAY_ERRORS.badRequest },
  { type: ResponseType.UNSUPPORTED_MEDIA_TYPE, error: GATEWAY_ERRORS.unsupportedMediaType },
  { type: ResponseType.BAD_REQUEST_PARAMETERS, error: GATEWAY_ERRORS.badRequest },
  { type: ResponseType.DEFAULT_4XX, error: GATEWAY_ERRORS.badRequest, keepStatus: true },
  { type: ResponseType.DEFAULT_5XX, error: GATEWAY_ERRORS.internal, keepStatus: true },
];

/**
 * The Switchyard REST API, generated from the route table: one resource path and method per route, the
 * authorizer its `auth` names, a Lambda proxy integration to its handler group's function, gateway
 * errors in the API's own `{code, message, requestId}` shape, JSON access logs, tracing and throttling.
 */
export class SwitchyardApi extends Construct {
  public readonly restApi: RestApi;
  public readonly accessLogGroup: LogGroup;
  public readonly cognitoAuthorizer: CognitoUserPoolsAuthorizer;
  /** The method of each route, by `routeKey(method, path)`. */
  public readonly methods: ReadonlyMap<string, Method>;

  private readonly requestValidator: RequestValidator;
  private readonly integrations = new Map<HandlerGroup, LambdaIntegration>();

  constructor(scope: Construct, id: string, props: SwitchyardApiProps) {
    super(scope, id);
    const routes = props.routes ?? ROUTES;
    validateRoutes(this, routes, props);

    this.accessLogGroup = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    const origins = [...props.corsAllowedOrigins];
    this.restApi = new RestApi(this, 'RestApi', {
      restApiName: `switchyard-${props.stageName}`,
      description: `Switchyard API (${props.stageName})`,
      endpointTypes: [EndpointType.REGIONAL],
      // gzip for callers that accept it (the ruleset is JSON that compresses ~10×); the ETag is unchanged.
      minCompressionSize: Size.bytes(GATEWAY_MIN_COMPRESSION_BYTES),
      // SDK routes require an API Gateway key for their usage plans, which only the API-key authorizer names
      // (`usageIdentifierKey`, shared/api-keys/usage-plans.ts): an X-API-Key header is never read as one.
      apiKeySourceType: props.apiKeyAuthorizer ? ApiKeySourceType.AUTHORIZER : undefined,
      // Execution and access logging need the account-level API Gateway CloudWatch role.
      cloudWatchRole: true,
      deployOptions: {
        stageName: props.stageName,
        throttlingRateLimit: props.throttlingRateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        accessLogDestination: new LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: accessLogFormat(),
      },
      defaultCorsPreflightOptions:
        origins.length > 0
          ? {
              allowOrigins: origins,
              allowHeaders: [...CORS_ALLOWED_HEADERS],
              allowMethods: Cors.ALL_METHODS,
              exposeHeaders: [...CORS_EXPOSED_HEADERS],
              maxAge: Duration.hours(1),
            }
          : undefined,
    });
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        'The account-level API Gateway logging role uses the AWS-documented AmazonAPIGatewayPushToCloudWatchLogs ' +
        'policy; API Gateway writes execution and access logs to log groups it names itself.',
    });

    this.cognitoAuthorizer = new CognitoUserPoolsAuthorizer(this, 'CognitoAuthorizer', {
      cognitoUserPools: [props.userPool],
      identitySource: IdentitySource.header('Authorization'),
    });
    this.requestValidator = this.restApi.addRequestValidator('RequestValidator', {
      validateRequestParameters: true,
      validateRequestBody: true,
    });

    const methods = new Map<string, Method>();
    for (const route of routes) {
      methods.set(routeKey(route.method, route.path), this.addRoute(route, props));
    }
    this.methods = methods;

    this.addGatewayResponses(origins);
  }

  private addRoute(route: RouteDefinition, props: SwitchyardApiProps): Method {
    const resource = this.restApi.root.resourceForPath(route.path);
    const method = resource.addMethod(route.method, this.integrationFor(route.handler, props), {
      ...this.authorization(route, props),
      requestValidator: this.requestValidator,
      requestParameters: Object.fromEntries(
        pathParameters(route.path).map((name) => [`method.request.path.${name}`, true]),
      ),
      operationName: route.operationId,
    });
    const key = routeKey(route.method, route.path);
    if (route.auth === 'none') {
      Validations.of(method).acknowledge(
        {
          id: 'AwsSolutions-APIG4',
          reason: `${key} is public by design (SPEC §3: health and the OpenAPI document answer without credentials).`,
        },
        {
          id: 'AwsSolutions-COG4',
          reason: `${key} is public by design (SPEC §3), so it has no Cognito authorizer.`,
        },
      );
    } else if (route.auth === 'apiKey') {
      Validations.of(method).acknowledge({
        id: 'AwsSolutions-COG4',
        reason: `${key} is an SDK route: applications authenticate with a Switchyard API key through the Lambda REQUEST authorizer, not a Cognito user token (SPEC §3).`,
      });
    }
    return method;
  }

  private authorization(route: RouteDefinition, props: SwitchyardApiProps): MethodOptions {
    switch (route.auth) {
      case 'none':
        return { authorizationType: AuthorizationType.NONE };
      case 'cognito':
        return { authorizationType: AuthorizationType.COGNITO, authorizer: this.cognitoAuthorizer };
      case 'apiKey':
        // validateRoutes has checked that it is there. apiKeyRequired: throttled per key by the usage plans
        // (SdkUsagePlans), in the bucket the authorizer names.
        return {
          authorizationType: AuthorizationType.CUSTOM,
          authorizer: props.apiKeyAuthorizer,
          apiKeyRequired: true,
        };
    }
  }

  private integrationFor(group: HandlerGroup, props: SwitchyardApiProps): LambdaIntegration {
    let integration = this.integrations.get(group);
    if (!integration) {
      integration = new LambdaIntegration(props.handlers[group], { proxy: true, allowTestInvoke: false });
      this.integrations.set(group, integration);
    }
    return integration;
  }

  private addGatewayResponses(origins: readonly string[]): void {
    const headers = corsErrorHeaders(origins);
    for (const spec of GATEWAY_RESPONSES) {
      this.restApi.addGatewayResponse(`${pascal(spec.type.responseType)}Response`, {
        type: spec.type,
        statusCode: spec.keepStatus ? undefined : String(spec.error.status),
        responseHeaders: { ...headers, ...staticValues(gatewayErrorHeaders(spec.error)) },
        templates: { 'application/json': gatewayErrorBody(spec.error, '$context.requestId') },
      });
    }
  }
}

function validateRoutes(
  scope: Construct,
  routes: readonly RouteDefinition[],
  props: SwitchyardApiProps,
): void {
  const seen = new Set<string>();
  for (const route of routes) {
    const key = routeKey(route.method, route.path);
    if (seen.has(key))
      throw new Error(`${scope.node.path}: route ${key} is defined twice in the route table`);
    seen.add(key);
    if (!route.path.startsWith('/'))
      throw new Error(`${scope.node.path}: route ${key}: path must start with "/"`);
    if (route.auth === 'apiKey' && !props.apiKeyAuthorizer) {
      throw new Error(
        `${scope.node.path}: route ${key} needs auth 'apiKey', but SwitchyardApi was given no apiKeyAuthorizer`,
      );
    }
  }
}

function pathParameters(path: string): string[] {
  return [...path.matchAll(/\{([^}+]+)\+?\}/g)].map((match) => match[1]!);
}

/**
 * CORS headers on API Gateway's own errors, so a browser app can read why it was refused. With several
 * allowed origins API Gateway cannot pick the matching one, so the caller's Origin is echoed: these bodies
 * carry no data (code, message, request id), and real responses are answered by the functions' allowlist.
 */
function corsErrorHeaders(origins: readonly string[]): Record<string, string> {
  if (origins.length === 0) return {};
  // A browser reads Retry-After on a 429 only if the answer itself exposes it.
  const expose = { 'Access-Control-Expose-Headers': `'${CORS_EXPOSED_HEADERS.join(',')}'` };
  if (origins.includes('*')) return { 'Access-Control-Allow-Origin': "'*'", ...expose };
  if (origins.length === 1) return { 'Access-Control-Allow-Origin': `'${origins[0]}'`, ...expose };
  return { 'Access-Control-Allow-Origin': 'method.request.header.origin', Vary: "'Origin'", ...expose };
}

/** Gateway response header values are mapping expressions: a fixed value is quoted. */
function staticValues(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, `'${value}'`]));
}

function accessLogFormat(): AccessLogFormat {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: AccessLogField.contextRequestId(),
      extendedRequestId: AccessLogField.contextExtendedRequestId(),
      requestTime: AccessLogField.contextRequestTime(),
      ip: AccessLogField.contextIdentitySourceIp(),
      userAgent: AccessLogField.contextIdentityUserAgent(),
      httpMethod: AccessLogField.contextHttpMethod(),
      resourcePath: AccessLogField.contextResourcePath(),
      path: AccessLogField.contextPath(),
      protocol: AccessLogField.contextProtocol(),
      status: AccessLogField.contextStatus(),
      responseLength: AccessLogField.contextResponseLength(),
      responseLatency: AccessLogField.contextResponseLatency(),
      integrationStatus: AccessLogField.contextIntegrationStatus(),
      integrationLatency: AccessLogField.contextIntegrationLatency(),
      errorType: AccessLogField.contextErrorResponseType(),
      error: AccessLogField.contextErrorMessage(),
      sub: AccessLogField.contextAuthorizerClaims('sub'),
      xrayTraceId: AccessLogField.contextXrayTraceId(),
    }),
  );
}

function pascal(value: string): string {
  return value
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}
