import { buildOpenApiDocument } from '../../../shared/http/openapi';
import { ROUTES } from '../../../shared/http/routes';

describe('the OpenAPI document', () => {
  const doc = buildOpenApiDocument('test') as {
    openapi: string;
    paths: Record<
      string,
      Record<string, { operationId: string; security: unknown[]; responses: Record<string, unknown> }>
    >;
  };

  it('is OpenAPI 3.1 and documents every route of the route table once', () => {
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.values(doc.paths).flatMap((methods) =>
      Object.values(methods).map((o) => o.operationId),
    );
    expect(operations.sort()).toEqual(ROUTES.map((r) => r.operationId).sort());
  });

  it('marks Cognito routes as secured and public routes as open', () => {
    expect(doc.paths['/api/v1/users/me']?.get?.security).toEqual([{ cognito: [] }]);
    expect(doc.paths['/health']?.get?.security).toEqual([]);
    expect(doc.paths['/api/v1/users/me']?.get?.responses).toHaveProperty('401');
  });

  it('describes responses with the zod schemas, named ones as components', () => {
    const ok = doc.paths['/api/v1/users/me']?.get?.responses['200'] as {
      content: { 'application/json': { schema: { $ref: string } } };
    };
    expect(ok.content['application/json'].schema.$ref).toBe('#/components/schemas/CurrentUser');
    const components = (doc as unknown as { components: { schemas: Record<string, { properties: object }> } })
      .components.schemas;
    expect(Object.keys(components.CurrentUser!.properties)).toEqual(
      expect.arrayContaining(['sub', 'email', 'role', 'groups']),
    );
    expect(JSON.stringify(doc)).not.toContain('#/$defs/');
  });
});
