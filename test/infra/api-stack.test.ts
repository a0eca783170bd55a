import { FUNCTION_NAMES } from '../../shared/functions';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { IdentitySource, RequestAuthorizer } from 'aws-cdk-lib/aws-apigateway';
import { UserPool } from 'aws-cdk-lib/aws-cognito';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { STAGE_NAMES } from '../../lib/config';
import { SwitchyardApi, type SwitchyardApiProps } from '../../lib/constructs/switchyard-api';
import { BASE_ENV_KEYS, SHUTDOWN_SIGNAL_PRELOAD } from '../../lib/constructs/switchyard-function';
import {
  GATEWAY_ERRORS,
  GATEWAY_MIN_COMPRESSION_BYTES,
  gatewayErrorBody,
} from '../../shared/http/gateway-responses';
import { ROUTES, routeKey, type RouteDefinition } from '../../shared/http/routes';
import { onlyResource, resourcesOf, stageOf, testApp } from './synth';

interface ApiMethod {
  readonly logicalId: string;
  readonly httpMethod: string;
  readonly path: string;
  readonly authorizationType: string;
  readonly authorizerId?: unknown;
  readonly integrationUri?: unknown;
}

/** Every method of the REST API with its full path, rebuilt from the template's resource tree. */
function methodsOf(template: Template): ApiMethod[] {
  const resources = resourcesOf(template, 'AWS::ApiGateway::Resource');
  const pathOf = (ref: unknown): string => {
    const logicalId = (ref as { Ref?: string }).Ref;
    if (logicalId === undefined) return ''; // Fn::GetAtt RestApi.RootResourceId
    const resource = resources[logicalId]!.Properties!;
    return `${pathOf(resource.ParentId)}/${resource.PathPart as string}`;
  };
  return Object.entries(resourcesOf(template, 'AWS::ApiGateway::Method')).map(([logicalId, method]) => {
    const props = method.Properties!;
    const integration = props.Integration as { Uri?: unknown } | undefined;
    return {
      logicalId,
      httpMethod: props.HttpMethod as string,
      path: pathOf(props.ResourceId) || '/',
      authorizationType: props.AuthorizationType as string,
      authorizerId: props.AuthorizerId,
      integrationUri: integration?.Uri,
    };
  });
}

const PUBLIC_ROUTES = new Set([routeKey('GET', '/health'), routeKey('GET', '/api/v1/openapi.json')]);

describe.each(STAGE_NAMES)('API stack (%s)', (name) => {
  const { api, config } = stageOf(name);
  const methods = methodsOf(api);
  const authorizers = Object.entries(resourcesOf(api, 'AWS::ApiGateway::Authorizer'));
  const [cognitoId, cognito] = authorizers.find(([, a]) => a.Properties?.Type === 'COGNITO_USER_POOLS')!;
  const authorizer = { ...cognito, logicalId: cognitoId };
  const hasSdkRoutes = ROUTES.some((r) => r.auth === 'apiKey');
  const apiKeyAuthorizerId = authorizers.find(([, a]) => a.Properties?.Type === 'REQUEST')?.[0];

  it('the management authorizer is the Cognito user pool authorizer on the Authorization header', () => {
    expect(authorizer.Properties).toMatchObject({
      Type: 'COGNITO_USER_POOLS',
      IdentitySource: 'method.request.header.Authorization',
    });
    expect(authorizer.Properties!.ProviderARNs).toHaveLength(1);
  });

  it(
    hasSdkRoutes
      ? 'has the API-key REQUEST authorizer for the SDK routes'
      : 'has no API-key authorizer while no route needs one',
    () => {
      expect(authorizers).toHaveLength(hasSdkRoutes ? 2 : 1);
      expect(apiKeyAuthorizerId !== undefined).toBe(hasSdkRoutes);
    },
  );

  it.each(ROUTES.map((route): [string, RouteDefinition] => [routeKey(route.method, route.path), route]))(
    '%s exists with the auth its route declares',
    (_key, route) => {
      const method = methods.find((m) => m.httpMethod === route.method && m.path === route.path);
      expect(method).toBeDefined();
      const expected = { none: 'NONE', cognito: 'COGNITO_USER_POOLS', apiKey: 'CUSTOM' }[route.auth];
      expect(method!.authorizationType).toBe(expected);
      if (route.auth === 'cognito') expect(method!.authorizerId).toEqual({ Ref: authorizer.logicalId });
      if (route.auth === 'apiKey') expect(method!.authorizerId).toEqual({ Ref: apiKeyAuthorizerId });
    },
  );

  it('every non-OPTIONS method under /api/v1, except the public ones, uses the Cognito authorizer', () => {
    const guarded = methods.filter(
      (m) =>
        m.path.startsWith('/api/v1/') &&
        m.httpMethod !== 'OPTIONS' &&
        !PUBLIC_ROUTES.has(routeKey(m.httpMethod, m.path)) &&
        // SDK routes use the API-key authorizer (none exist yet; when they do, this list names them).
        !ROUTES.some((r) => r.auth === 'apiKey' && r.method === m.httpMethod && r.path === m.path),
    );
    expect(guarded.length).toBeGreaterThan(0);
    for (const method of guarded) {
      expect({ route: routeKey(method.httpMethod, method.path), type: method.authorizationType }).toEqual({
        route: routeKey(method.httpMethod, method.path),
        type: 'COGNITO_USER_POOLS',
      });
      expect(method.authorizerId).toEqual({ Ref: authorizer.logicalId });
    }
  });

  it('has no method that the route table does not declare (besides CORS preflight)', () => {
    const declared = new Set(ROUTES.map((r) => routeKey(r.method, r.path)));
    const extra = methods
      .filter((m) => m.httpMethod !== 'OPTIONS')
      .map((m) => routeKey(m.httpMethod, m.path))
      .filter((key) => !declared.has(key));
    expect(extra).toEqual([]);
  });

  it('proxies every route to its handler group function', () => {
    const functions = resourcesOf(api, 'AWS::Lambda::Function');
    for (const method of methods.filter((m) => m.httpMethod !== 'OPTIONS')) {
      const route = ROUTES.find((r) => r.method === method.httpMethod && r.path === method.path)!;
      const target = JSON.stringify(method.integrationUri);
      const fnId = Object.keys(functions).find((id) => target.includes(`"${id}"`));
      const pascal = route.handler.replace(/(^|-)([a-z])/g, (_m, _dash: string, c: string) =>
        c.toUpperCase(),
      );
      expect(fnId).toMatch(new RegExp(`^${pascal}Handler`));
      const integration = resourcesOf(api, 'AWS::ApiGateway::Method')[method.logicalId]!.Properties!
        .Integration;
      expect(integration).toMatchObject({ Type: 'AWS_PROXY' });
    }
  });

  it(config.corsAllowedOrigins.length > 0 ? 'answers CORS preflight' : 'has no CORS preflight', () => {
    const preflight = methods.filter((m) => m.httpMethod === 'OPTIONS');
    if (config.corsAllowedOrigins.length === 0) {
      expect(preflight).toEqual([]);
      return;
    }
    for (const route of ROUTES) expect(preflight.map((m) => m.path)).toContain(route.path);
    for (const method of preflight) expect(method.authorizationType).toBe('NONE');
  });

  it('one function per handler group (and the API-key authorizer, background jobs, exact-time schedule target): nodejs22.x on arm64, active tracing, source maps, base environment', () => {
    const all = Object.values(resourcesOf(api, 'AWS::Lambda::Function'));
    // The search setup's custom-resource provider framework function is CDK's own (its runtime, no tracing).
    const isProviderFramework = (fn: (typeof all)[number]) =>
      String(fn.Properties!.Description).startsWith('AWS CDK resource provider framework');
    const withSearch = config.footprint.searchDomain;
    expect(all.filter(isProviderFramework)).toHaveLength(withSearch ? 1 : 0);
    const functions = all.filter((fn) => !isProviderFramework(fn));
    // Every registered function (shared/functions.ts) once; the authorizer only when there are SDK routes, the
    // search setup only with a search domain.
    expect(functions).toHaveLength(FUNCTION_NAMES.length - (hasSdkRoutes ? 0 : 1) - (withSearch ? 0 : 1));
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Handler: 'index.handler',
      });
      const env = (fn.Properties!.Environment as { Variables: Record<string, string> }).Variables;
      expect(Object.keys(env)).toEqual(expect.arrayContaining([...BASE_ENV_KEYS]));
      expect(env).toMatchObject({
        STAGE: config.name,
        POWERTOOLS_SERVICE_NAME: 'switchyard',
        POWERTOOLS_LOG_LEVEL: config.name === 'dev' ? 'DEBUG' : 'INFO',
        // Only the evaluation function (exposures sent after the answer) preloads the shutdown-signal extension,
        // so that Lambda sends it SIGTERM before destroying an environment (SwitchyardFunction `shutdownSignal`).
        NODE_OPTIONS: String(fn.Properties!.Description).includes('Flag evaluation and experiment assignment')
          ? `--enable-source-maps --import=${SHUTDOWN_SIGNAL_PRELOAD}`
          : '--enable-source-maps',
      });
      expect(fn.Properties!.LoggingConfig).toHaveProperty('LogGroup');
    }
    expect(
      functions.filter((fn) => JSON.stringify(fn.Properties!.Environment).includes('shutdown-signal.mjs')),
    ).toHaveLength(1);
  });

  it('function roles carry no AWS managed policy but the VPC one, and that only in the VPC', () => {
    const functions = Object.values(resourcesOf(api, 'AWS::Lambda::Function'));
    const rolesInVpc = new Set(
      functions
        .filter((f) => f.Properties!.VpcConfig !== undefined)
        .map((f) => JSON.stringify(f.Properties!.Role)),
    );
    // Only the cache and the search domain bring functions into the VPC (lib/config.ts footprint).
    expect(rolesInVpc.size > 0).toBe(config.footprint.rulesetCache || config.footprint.searchDomain);
    for (const [id, role] of Object.entries(resourcesOf(api, 'AWS::IAM::Role'))) {
      const assumedBy = JSON.stringify(role.Properties!.AssumeRolePolicyDocument);
      if (!assumedBy.includes('lambda.amazonaws.com')) continue;
      const managed = JSON.stringify(role.Properties!.ManagedPolicyArns ?? []);
      if (rolesInVpc.has(JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] }))) {
        expect(managed).toMatch(/service-role\/AWSLambdaVPCAccessExecutionRole/);
        expect((role.Properties!.ManagedPolicyArns as unknown[]).length).toBe(1);
      } else {
        expect(role.Properties!.ManagedPolicyArns).toBeUndefined();
      }
    }
  });

  it('the stage is throttled per config, traced, with metrics and JSON access logs', () => {
    const stage = onlyResource(api, 'AWS::ApiGateway::Stage');
    expect(stage.Properties).toMatchObject({
      StageName: config.name,
      TracingEnabled: true,
      MethodSettings: [
        {
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: config.apiThrottle.rateLimit,
          ThrottlingBurstLimit: config.apiThrottle.burstLimit,
          MetricsEnabled: true,
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
        },
      ],
    });
    expect(stage.Properties!.AccessLogSetting).toHaveProperty('DestinationArn');
    const format = JSON.parse((stage.Properties!.AccessLogSetting as { Format: string }).Format) as object;
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
  });

  it('has a request validator', () => {
    api.resourceCountIs('AWS::ApiGateway::RequestValidator', 1);
  });

  it('gzips answers of 1 KiB or more for callers that accept it (as the local gateway does)', () => {
    api.hasResourceProperties('AWS::ApiGateway::RestApi', {
      MinimumCompressionSize: GATEWAY_MIN_COMPRESSION_BYTES,
    });
  });

  describe('gateway responses', () => {
    const responses = Object.values(resourcesOf(api, 'AWS::ApiGateway::GatewayResponse')).map(
      (r) =>
        r.Properties as {
          ResponseType: string;
          StatusCode?: string;
          ResponseTemplates: Record<string, string>;
          ResponseParameters?: Record<string, string>;
        },
    );
    const byType = new Map(responses.map((r) => [r.ResponseType, r]));

    it.each([
      ['MISSING_AUTHENTICATION_TOKEN', GATEWAY_ERRORS.notFound, '404'],
      ['UNAUTHORIZED', GATEWAY_ERRORS.unauthorized, '401'],
      ['ACCESS_DENIED', GATEWAY_ERRORS.accessDenied, '403'],
      ['THROTTLED', GATEWAY_ERRORS.throttled, '429'],
      ['REQUEST_TOO_LARGE', GATEWAY_ERRORS.tooLarge, '413'],
      // The defaults keep API Gateway's own status: a status set on them would rewrite every other 4XX/5XX.
      ['DEFAULT_4XX', GATEWAY_ERRORS.badRequest, undefined],
      ['DEFAULT_5XX', GATEWAY_ERRORS.internal, undefined],
    ] as const)('%s answers %s with the JSON error body', (type, error, status) => {
      const response = byType.get(type);
      expect(response).toBeDefined();
      expect(response!.StatusCode).toBe(status);
      expect(response!.ResponseTemplates).toEqual({
        'application/json': gatewayErrorBody(error, '$context.requestId'),
      });
      const body = JSON.parse(response!.ResponseTemplates['application/json']!) as object;
      expect(body).toEqual({ code: error.code, message: error.message, requestId: '$context.requestId' });
      if (config.corsAllowedOrigins.length > 0) {
        expect(response!.ResponseParameters).toHaveProperty([
          'gatewayresponse.header.Access-Control-Allow-Origin',
        ]);
        // A browser reads Retry-After (and ETag) only where the answer itself exposes them.
        expect(response!.ResponseParameters).toHaveProperty(
          ['gatewayresponse.header.Access-Control-Expose-Headers'],
          "'ETag,Retry-After'",
        );
      }
    });

    it('says when a throttled caller may retry (Retry-After, as OFREP clients read it)', () => {
      for (const type of ['THROTTLED', 'QUOTA_EXCEEDED']) {
        expect(byType.get(type)?.ResponseParameters).toHaveProperty(
          ['gatewayresponse.header.Retry-After'],
          "'1'",
        );
      }
    });
  });

  it(config.firewall.enabled ? 'attaches a WAF web ACL to the stage' : 'has no WAF web ACL', () => {
    api.resourceCountIs('AWS::WAFv2::WebACL', config.firewall.enabled ? 1 : 0);
    api.resourceCountIs('AWS::WAFv2::WebACLAssociation', config.firewall.enabled ? 1 : 0);
    if (config.firewall.enabled) {
      api.hasResourceProperties('AWS::WAFv2::WebACL', {
        Scope: 'REGIONAL',
        Rules: Match.arrayWith([
          Match.objectLike({
            Statement: {
              RateBasedStatement: { Limit: config.firewall.rateLimitPer5Minutes, AggregateKeyType: 'IP' },
            },
          }),
        ]),
      });
    }
  });

  it('alarms on API 5xx, function errors, DLQ depth and Kinesis iterator age, to an SSL-only topic', () => {
    const alarms = Object.values(resourcesOf(api, 'AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties as { MetricName: string; Namespace: string; AlarmActions: unknown[] },
    );
    const metrics = alarms.map((a) => `${a.Namespace}/${a.MetricName}`);
    expect(metrics).toEqual(
      expect.arrayContaining([
        'AWS/ApiGateway/5XXError',
        'AWS/Lambda/Errors',
        'AWS/SQS/ApproximateNumberOfMessagesVisible',
        'AWS/Kinesis/GetRecords.IteratorAgeMilliseconds',
      ]),
    );
    for (const alarm of alarms) expect(alarm.AlarmActions).toHaveLength(1);
    // Lost exposures: counted from the evaluation function's log, alarmed on from the first one.
    // (Safety rollbacks are counted the same way: test/infra/safety-notifications.test.ts.)
    const filters = Object.values(resourcesOf(api, 'AWS::Logs::MetricFilter')).filter(
      (f) =>
        !/^Safety/.test((f.Properties!.MetricTransformations as { MetricName: string }[])[0]!.MetricName),
    );
    expect(filters).toHaveLength(1);
    expect(filters[0]!.Properties).toMatchObject({
      FilterPattern: '{ $.message = "exposures not delivered" }',
      MetricTransformations: [{ MetricName: 'ExposuresLost', MetricValue: '$.count' }],
    });
    expect(metrics.filter((m) => m.endsWith('/ExposuresLost'))).toHaveLength(1);
    api.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    api.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('routes that need an API key', () => {
  const sdkRoute: RouteDefinition = {
    operationId: 'evaluate',
    method: 'POST',
    path: '/api/v1/sdk-test',
    handler: 'system',
    auth: 'apiKey',
    permission: 'public',
    summary: 'Evaluate flags (test route)',
    tag: 'sdk',
  };

  function apiProps(stack: Stack): Omit<SwitchyardApiProps, 'apiKeyAuthorizer'> {
    const fn = new LambdaFunction(stack, 'Handler', {
      runtime: Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: Code.fromInline('exports.handler = async () => ({})'),
    });
    return {
      stageName: 'test',
      handlers: {
        system: fn,
        users: fn,
        audit: fn,
        'feature-flags': fn,
        segments: fn,
        layers: fn,
        metrics: fn,
        experiments: fn,
        'rollout-schedules': fn,
        safety: fn,
        'api-keys': fn,
        evaluation: fn,
        events: fn,
      },
      userPool: new UserPool(stack, 'UserPool'),
      routes: [...ROUTES, sdkRoute],
      throttlingRateLimit: 10,
      throttlingBurstLimit: 20,
      corsAllowedOrigins: [],
      logRetention: RetentionDays.ONE_DAY,
      logRemovalPolicy: RemovalPolicy.DESTROY,
    };
  }

  it('fail the synth with a clear error when no API-key authorizer is given', () => {
    const stack = new Stack(testApp(), 'Test');
    expect(() => new SwitchyardApi(stack, 'Api', apiProps(stack))).toThrow(
      "route POST /api/v1/evaluate needs auth 'apiKey', but SwitchyardApi was given no apiKeyAuthorizer",
    );
  });

  it('use the given authorizer', () => {
    const stack = new Stack(testApp(), 'Test');
    const props = apiProps(stack);
    const apiKeyAuthorizer = new RequestAuthorizer(stack, 'ApiKeyAuthorizer', {
      handler: props.handlers.system,
      identitySources: [IdentitySource.header('X-API-Key')],
    });
    new SwitchyardApi(stack, 'Api', { ...props, apiKeyAuthorizer });
    const template = Template.fromStack(stack);
    const method = methodsOf(template).find((m) => m.httpMethod === 'POST' && m.path === '/api/v1/sdk-test');
    expect(method).toMatchObject({ authorizationType: 'CUSTOM' });
    const [authorizerId] = Object.keys(
      template.findResources('AWS::ApiGateway::Authorizer', { Properties: { Type: 'REQUEST' } }),
    );
    expect(method!.authorizerId).toEqual({ Ref: authorizerId });
  });
});
