import { buildOpenApiDocument } from '../../../shared/http/openapi';
import { ResponseValidator, type ObservedAnswer } from '../../support/openapi-validator';

/** The e2e helper's check must be able to fail: these answers break the document in one way each. */
describe('checking answers against the OpenAPI document', () => {
  const validator = new ResponseValidator(buildOpenApiDocument('test'));
  const json = 'application/json; charset=utf-8';
  const answer = (
    method: string,
    path: string,
    status: number,
    body: unknown,
    headers: Record<string, string> = body === undefined ? {} : { 'content-type': json },
  ): ObservedAnswer => ({
    method,
    path,
    status,
    headers: new Headers(headers),
    text: body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const health = { status: 'ok', service: 'switchyard', stage: 'local', time: '2026-01-01T00:00:00.000Z' };
  const error = { code: 'NOT_FOUND', message: 'No flag x', requestId: 'r-1' };
  const entry = {
    id: 'a1',
    at: '2026-01-01T00:00:00.000Z',
    actor: 'u1',
    actorName: null,
    action: 'flag.create',
    resourceKind: 'flag',
    resourceKey: 'x',
    before: null,
    after: { key: 'x' },
    requestId: 'r-1',
  };

  it('accepts answers the document declares', () => {
    expect(() => validator.check(answer('GET', '/health', 200, health))).not.toThrow();
    expect(() => validator.check(answer('GET', '/api/v1/feature-flags/x?y=1', 404, error))).not.toThrow();
    expect(() =>
      validator.check(answer('GET', '/api/v1/sdk/ruleset', 304, undefined, { etag: '"3"' })),
    ).not.toThrow();
    expect(() =>
      validator.check(
        answer('GET', '/api/v1/audit/export', 200, `${JSON.stringify(entry)}\n${JSON.stringify(entry)}\n`, {
          'content-type': 'application/x-ndjson',
        }),
      ),
    ).not.toThrow();
  });

  it('refuses a status the operation does not declare, naming method, path and status', () => {
    expect(() => validator.check(answer('GET', '/health', 404, error))).toThrow(
      /GET \/health answered 404, .*status 404 is not declared/,
    );
    expect(() => validator.check(answer('GET', '/api/v1/feature-flags', 409, error))).toThrow(/409/);
  });

  it('refuses a body that does not match the schema of its status', () => {
    expect(() => validator.check(answer('GET', '/health', 200, { ...health, status: 'degraded' }))).toThrow(
      /body does not match its schema: body\/status must be equal to constant/,
    );
    expect(() => validator.check(answer('GET', '/api/v1/feature-flags/x', 404, { message: 'gone' }))).toThrow(
      /must have required property 'code'/,
    );
    expect(() =>
      validator.check(answer('GET', '/health', 200, 'not json', { 'content-type': json })),
    ).toThrow(/not JSON/);
  });

  it('refuses a body, or a content type, where none is declared, and a missing required header', () => {
    expect(() =>
      validator.check(
        answer('GET', '/api/v1/sdk/ruleset', 304, undefined, { etag: '"3"', 'content-type': json }),
      ),
    ).toThrow(/no body is declared, yet content-type/);
    expect(() => validator.check(answer('GET', '/api/v1/sdk/ruleset', 304, undefined))).toThrow(
      /required header ETag is missing/,
    );
    expect(() =>
      validator.check(answer('DELETE', '/api/v1/feature-flags/x', 204, { deleted: true })),
    ).toThrow(/no body is declared/);
  });

  it('checks every NDJSON line, and the media type', () => {
    expect(() =>
      validator.check(
        answer('GET', '/api/v1/audit/export', 200, `${JSON.stringify(entry)}\n{"id":1}\n`, {
          'content-type': 'application/x-ndjson',
        }),
      ),
    ).toThrow(/line 2 does not match/);
    expect(() => validator.check(answer('GET', '/api/v1/audit/export', 200, entry))).toThrow(
      /content-type application\/json is not declared/,
    );
  });

  it('holds the gateway’s answers to undocumented paths to the Error shape', () => {
    expect(() => validator.check(answer('GET', '/nowhere', 404, error))).not.toThrow();
    expect(() => validator.check(answer('GET', '/nowhere', 431, undefined))).toThrow(/not JSON/);
  });
});
