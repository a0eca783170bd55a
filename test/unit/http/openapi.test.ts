import { version as packageVersion, license } from '../../../package.json';
import { buildOpenApiDocument, takesVersion } from '../../../shared/http/openapi';
import { ROUTES } from '../../../shared/http/routes';

interface Operation {
  operationId: string;
  security: unknown[];
  parameters: { $ref?: string; name?: string }[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<
    string,
    { $ref?: string; headers?: object; content?: Record<string, { schema: object }> }
  >;
}
interface Document {
  openapi: string;
  info: { license: { identifier: string } };
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, { properties: Record<string, Record<string, unknown>> }>;
    securitySchemes: Record<string, { type: string; scheme?: string }>;
  };
}

/** Every change to a versioned resource: it names the version it read, and may find it stale (409). */
const VERSIONED_CHANGES = [
  'replaceFlag',
  'patchFlag',
  'deleteFlag',
  'toggleFlag',
  'transferFlagOwner',
  'replaceSegment',
  'patchSegment',
  'deleteSegment',
  'replaceLayer',
  'patchLayer',
  'deleteLayer',
  'replaceMetric',
  'patchMetric',
  'deleteMetric',
  'replaceExperiment',
  'patchExperiment',
  'deleteExperiment',
  'startExperiment',
  'pauseExperiment',
  'resumeExperiment',
  'completeExperiment',
  'archiveExperiment',
  'scheduleExperiment',
  'replaceRolloutSchedule',
  'deleteRolloutSchedule',
  'advanceRolloutSchedule',
  'pauseRolloutSchedule',
  'resumeRolloutSchedule',
  'putSafetySettings',
  'putFlagSafetyConfig',
];

describe('the OpenAPI document', () => {
  const doc = buildOpenApiDocument(packageVersion) as unknown as Document;
  const operations = Object.values(doc.paths).flatMap((methods) => Object.values(methods));
  const op = (path: string, method: string): Operation => {
    const found = doc.paths[path]?.[method];
    if (found === undefined) throw new Error(`no ${method} ${path}`);
    return found;
  };
  const ids = (predicate: (o: Operation) => boolean) =>
    operations
      .filter(predicate)
      .map((o) => o.operationId)
      .sort();
  const hasParameter = (name: string) => (o: Operation) =>
    o.parameters.some((p) => p.$ref === `#/components/parameters/${name}`);

  it('is OpenAPI 3.1 and documents every route of the route table once', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(operations.map((o) => o.operationId).sort()).toEqual(ROUTES.map((r) => r.operationId).sort());
  });

  it('describes intervals as fixed-length arrays, not prefixItems tuples that tools without JSON Schema 2020 refuse', () => {
    const text = JSON.stringify(doc);
    expect(text).not.toContain('prefixItems');
    const comparison = JSON.stringify(doc.components).match(/"absoluteCI":(\{.*?\]\})/)?.[1];
    expect(JSON.parse(comparison!)).toEqual({
      anyOf: [
        expect.objectContaining({ type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 }),
        { type: 'null' },
      ],
    });
  });

  it('has servers and the license of package.json', () => {
    expect(doc.servers.length).toBeGreaterThan(0);
    expect(doc.info.license.identifier).toBe(license);
  });

  it('advertises only the Bearer schemes the server accepts (no X-API-Key)', () => {
    expect(Object.values(doc.components.securitySchemes)).toEqual([
      expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    ]);
    expect(JSON.stringify(doc).toLowerCase()).not.toContain('x-api-key');
    expect(op('/api/v1/users/me', 'get').security).toEqual([{ cognito: [] }]);
    expect(op('/api/v1/evaluate', 'post').security).toEqual([{ apiKey: [] }]);
    expect(op('/health', 'get').security).toEqual([]);
  });

  it('describes responses with the zod schemas, named ones as components', () => {
    const ok = op('/api/v1/users/me', 'get').responses['200']!;
    expect(ok.content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/CurrentUser' });
    expect(Object.keys(doc.components.schemas.CurrentUser!.properties)).toEqual(
      expect.arrayContaining(['sub', 'email', 'role', 'groups']),
    );
    expect(JSON.stringify(doc)).not.toContain('#/$defs/');
    expect(JSON.stringify(doc)).not.toContain('__schema');
  });

  it('declares a schema for every 2xx body but 204s', () => {
    const bodiless = operations.flatMap((o) =>
      Object.entries(o.responses)
        .filter(([status, r]) => status.startsWith('2') && status !== '204' && r.content === undefined)
        .map(([status]) => `${o.operationId} ${status}`),
    );
    expect(bodiless).toEqual([]);
  });

  it('declares 429, 431 and 500 everywhere, 401 wherever credentials are needed', () => {
    for (const o of operations)
      expect(Object.keys(o.responses)).toEqual(expect.arrayContaining(['429', '431', '500']));
    expect(ids((o) => o.responses['401'] === undefined)).toEqual(['getHealth', 'getOpenApi']);
    expect(op('/api/v1/users/me', 'get').responses['403']).toBeUndefined();
  });

  it('declares 503 with Retry-After wherever the function uses a store (all but health and this document)', () => {
    expect(ids((o) => o.responses['503'] === undefined)).toEqual(['getHealth', 'getOpenApi']);
    expect(op('/api/v1/events', 'post').responses['503']).toEqual({
      $ref: '#/components/responses/ServiceUnavailable',
    });
    const unavailable = (
      doc.components as unknown as { responses: Record<string, { headers?: unknown; description: string }> }
    ).responses.ServiceUnavailable!;
    expect(unavailable.headers).toEqual({ 'Retry-After': { $ref: '#/components/headers/RetryAfter' } });
    expect(unavailable.description).toMatch(/POST \/api\/v1\/events/);
  });

  it('declares 404 for routes that address one resource, and 409 where a change can conflict', () => {
    expect(op('/api/v1/feature-flags/{key}', 'get').responses['404']).toEqual({
      $ref: '#/components/responses/NotFound',
    });
    expect(op('/api/v1/feature-flags', 'get').responses['404']).toBeUndefined();
    expect(ids((o) => o.responses['409'] !== undefined)).toEqual(
      [
        ...VERSIONED_CHANGES,
        'createFlag',
        'createSegment',
        'createLayer',
        'createMetric',
        'createExperiment',
        'createRolloutSchedule',
        'rollBackFlag',
        'createUser',
        'setUserRole',
        'disableUser',
      ].sort(),
    );
  });

  it('takes If-Match on every change to a versioned resource, and nowhere else', () => {
    const expected = [...VERSIONED_CHANGES].sort();
    expect(ids(hasParameter('IfMatch'))).toEqual(expected);
    expect(
      ROUTES.filter(takesVersion)
        .map((r) => r.operationId)
        .sort(),
    ).toEqual(expected);
  });

  it('declares the conditional GET of the ruleset and of OFREP bulk: If-None-Match, ETag, 304 with no body', () => {
    expect(ids(hasParameter('IfNoneMatch'))).toEqual(['getSdkRuleset', 'ofrepEvaluateFlags']);
    for (const o of [op('/api/v1/sdk/ruleset', 'get'), op('/ofrep/v1/evaluate/flags', 'post')]) {
      expect(o.responses['304']).toEqual({
        description: expect.any(String),
        headers: { ETag: expect.anything() },
      });
      expect(o.responses['200']?.headers).toEqual({ ETag: expect.anything() });
    }
    expect(op('/api/v1/sdk/ruleset', 'get').responses['200']?.content).toEqual({
      'application/json': { schema: { $ref: '#/components/schemas/Ruleset' } },
    });
  });

  it('declares OFREP bodies in OFREP’s shapes', () => {
    const single = op('/ofrep/v1/evaluate/flags/{key}', 'post').responses;
    expect(single['200']?.content?.['application/json']?.schema).toEqual({
      $ref: '#/components/schemas/OfrepEvaluationSuccess',
    });
    expect(single['404']?.content?.['application/json']?.schema).toEqual({
      $ref: '#/components/schemas/OfrepFlagNotFound',
    });
    // Every 400 of an OFREP route is OFREP's (the routes parse their own bodies): no Error alternative.
    expect(single['400']?.content?.['application/json']?.schema).toEqual({
      $ref: '#/components/schemas/OfrepEvaluationFailure',
    });
    const bulk = op('/ofrep/v1/evaluate/flags', 'post').responses;
    expect(bulk['400']?.content?.['application/json']?.schema).toEqual({
      $ref: '#/components/schemas/OfrepBulkEvaluationFailure',
    });
    for (const path of ['/ofrep/v1/evaluate/flags/{key}', '/ofrep/v1/evaluate/flags']) {
      expect(op(path, 'post').requestBody?.content['application/json']?.schema).toEqual({
        $ref: '#/components/schemas/OfrepRequest',
      });
    }
    const reason = doc.components.schemas.OfrepEvaluationSuccess?.properties.reason;
    expect(reason?.enum).toEqual(['STATIC', 'TARGETING_MATCH', 'SPLIT', 'DISABLED', 'UNKNOWN']);
  });

  it('says when to retry after a 429', () => {
    const components = doc.components as unknown as {
      responses: Record<string, { headers?: Record<string, { $ref: string }> }>;
    };
    expect(components.responses.RateLimited?.headers).toEqual({
      'Retry-After': { $ref: '#/components/headers/RetryAfter' },
    });
  });

  it('says when to retry after a 429', () => {
    const components = doc.components as unknown as {
      responses: Record<string, { headers?: Record<string, { $ref: string }> }>;
    };
    expect(components.responses.RateLimited?.headers).toEqual({
      'Retry-After': { $ref: '#/components/headers/RetryAfter' },
    });
  });

  it('declares the audit export as NDJSON of audit entries, and typed event items', () => {
    expect(op('/api/v1/audit/export', 'get').responses['200']?.content).toEqual({
      'application/x-ndjson': {
        schema: { type: 'string', contentMediaType: 'application/x-ndjson' },
        'x-item-schema': { $ref: '#/components/schemas/AuditEntry' },
      },
    });
    expect(doc.components.schemas.IngestRequest?.properties.events?.items).toEqual({
      $ref: '#/components/schemas/Event',
    });
  });

  it('makes a request body optional only where the route accepts none (experiment and rollout transitions, deletes)', () => {
    const optional = ids((o) => (o.requestBody as { required?: boolean } | undefined)?.required === false);
    expect(optional).toEqual([
      'advanceRolloutSchedule',
      'archiveExperiment',
      'completeExperiment',
      'deleteExperiment',
      'deleteFlag',
      'deleteLayer',
      'deleteMetric',
      'deleteRolloutSchedule',
      'deleteSegment',
      'pauseExperiment',
      'pauseRolloutSchedule',
      'resumeExperiment',
      'resumeRolloutSchedule',
      'startExperiment',
    ]);
  });

  it('has no anyOf branch that accepts anything', () => {
    expect(JSON.stringify(doc)).not.toMatch(/"anyOf":\[[^\]]*\{\}/);
  });
});
