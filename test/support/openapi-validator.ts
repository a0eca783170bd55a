import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { z } from 'zod';
import { matchRoute } from '../../local/gateway';
import { buildOpenApiDocument } from '../../shared/http/openapi';
import { ROUTES, type RouteDefinition } from '../../shared/http/routes';

/**
 * Checks an HTTP answer against the OpenAPI document the code generates: the status is declared for the
 * operation, required headers are there, and the body conforms to the schema declared for that status and
 * media type (none declared: no body and no content type). The end-to-end tests' HTTP helper runs every
 * answer through it, so a route that answers something its document does not say fails the test that asked.
 */
export interface ObservedAnswer {
  readonly method: string;
  /** Path and query, as requested. */
  readonly path: string;
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

const headerSchema = z.object({
  required: z.boolean().optional(),
  schema: z.record(z.string(), z.unknown()).optional(),
});
const mediaTypeSchema = z.object({
  schema: z.record(z.string(), z.unknown()),
  /** The schema of each line of a sequence such as NDJSON (what OpenAPI 3.2 calls `itemSchema`). */
  'x-item-schema': z.record(z.string(), z.unknown()).optional(),
});
const responseSchema = z.object({
  headers: z.record(z.string(), z.unknown()).optional(),
  content: z.record(z.string(), mediaTypeSchema).optional(),
});
const documentSchema = z.object({
  paths: z.record(
    z.string(),
    z.record(z.string(), z.object({ responses: z.record(z.string(), z.unknown()) })),
  ),
  components: z.object({
    schemas: z.record(z.string(), z.unknown()),
    responses: z.record(z.string(), z.unknown()).default({}),
    headers: z.record(z.string(), z.unknown()).default({}),
  }),
});
type OpenApiDocument = z.infer<typeof documentSchema>;

const SCHEMAS_ID = 'https://switchyard.test/openapi/components';
const JSON_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json$/;

/** `#/components/schemas/X` refs, pointed at the one Ajv schema that holds the components. */
function retarget<T>(schema: T): T {
  return JSON.parse(
    JSON.stringify(schema).replaceAll('"#/components/schemas/', `"${SCHEMAS_ID}#/$defs/`),
  ) as T;
}

/** An object of the document, following one `#/components/<kind>/<name>` reference if it is one. */
function resolve(document: OpenApiDocument, value: unknown): unknown {
  const ref = (value as { $ref?: unknown } | undefined)?.$ref;
  if (typeof ref !== 'string') return value;
  const match = /^#\/components\/(responses|headers)\/(.+)$/.exec(ref);
  if (match?.[1] === undefined || match[2] === undefined) throw new Error(`Unsupported $ref ${ref}`);
  return document.components[match[1] as 'responses' | 'headers'][match[2]];
}

export class OpenApiViolation extends Error {
  override readonly name = 'OpenApiViolation';
}

export class ResponseValidator {
  private readonly document: OpenApiDocument;
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(
    document: unknown,
    private readonly routes: readonly RouteDefinition[] = ROUTES,
  ) {
    this.document = documentSchema.parse(document);
    this.ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
    addFormats(this.ajv);
    this.ajv.addSchema(retarget({ $id: SCHEMAS_ID, $defs: this.document.components.schemas }));
  }

  /** Throws an {@link OpenApiViolation} naming method, path, status and what is wrong. */
  check(answer: ObservedAnswer): void {
    const problem = this.problem(answer);
    if (problem !== null) {
      throw new OpenApiViolation(
        `${answer.method} ${answer.path} answered ${answer.status}, which the OpenAPI document does not allow: ${problem}`,
      );
    }
  }

  private problem({ method, path, status, headers, text }: ObservedAnswer): string | null {
    const pathname = new URL(path, 'http://localhost').pathname;
    const route = matchRoute(method.toUpperCase(), pathname, this.routes);
    const operation =
      route === null ? undefined : this.document.paths[route.route.path]?.[method.toLowerCase()];
    if (route === null || operation === undefined) {
      // Not a documented operation (an unknown route, a preflight): only the gateway's errors are checked.
      if (status < 400 || method.toUpperCase() === 'OPTIONS') return null;
      return this.bodyProblem(`undocumented:${status}`, { $ref: '#/components/schemas/Error' }, text, 'json');
    }
    const key = [String(status), `${String(status).charAt(0)}XX`, 'default'].find(
      (k) => operation.responses[k] !== undefined,
    );
    if (key === undefined) {
      return `status ${status} is not declared (declared: ${Object.keys(operation.responses).join(', ')}); body ${text.slice(0, 300)}`;
    }
    const response = responseSchema.parse(resolve(this.document, operation.responses[key]));

    for (const [name, declared] of Object.entries(response.headers ?? {})) {
      const header = headerSchema.parse(resolve(this.document, declared));
      const value = headers.get(name);
      if (value === null) {
        if (header.required === true) return `required header ${name} is missing`;
        continue;
      }
      if (header.schema !== undefined && !this.validator(`header:${name}`, header.schema)(value)) {
        return `header ${name}: ${JSON.stringify(value)} does not match its schema`;
      }
    }

    const contentType = headers.get('content-type');
    if (response.content === undefined) {
      if (text !== '') return `no body is declared, got ${JSON.stringify(text.slice(0, 200))}`;
      if (contentType !== null) return `no body is declared, yet content-type is ${contentType}`;
      return null;
    }
    if (contentType === null) return 'a body is declared, but there is no content-type';
    const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
    const media = response.content[mediaType];
    if (media === undefined) {
      return `content-type ${mediaType} is not declared (declared: ${Object.keys(response.content).join(', ')})`;
    }
    const id = `${route.route.operationId}:${key}:${mediaType}`;
    const items = media['x-item-schema'];
    if (items !== undefined) {
      const problem = this.bodyProblem(`${id}:string`, media.schema, text, 'text');
      return problem ?? this.bodyProblem(`${id}:items`, items, text, 'lines');
    }
    return this.bodyProblem(id, media.schema, text, JSON_TYPE.test(mediaType) ? 'json' : 'text');
  }

  /** `json`: the body is one JSON value; `lines`: each non-empty line is one; `text`: the body is a string. */
  private bodyProblem(
    id: string,
    schema: Record<string, unknown>,
    text: string,
    as: 'json' | 'lines' | 'text',
  ): string | null {
    const validate = this.validator(id, schema);
    if (as === 'text') {
      if (validate(text)) return null;
      return `body does not match its schema: ${this.ajv.errorsText(validate.errors, { dataVar: 'body' })}`;
    }
    const values = as === 'lines' ? text.split('\n').filter((line) => line.trim() !== '') : [text];
    for (const [i, raw] of values.entries()) {
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        return `the body is not JSON: ${JSON.stringify(raw.slice(0, 200))}`;
      }
      if (!validate(value)) {
        const where = as === 'lines' ? `line ${i + 1}` : 'body';
        return `${where} does not match its schema: ${this.ajv.errorsText(validate.errors, { dataVar: where })}; got ${raw.slice(0, 500)}`;
      }
    }
    return null;
  }

  private validator(id: string, schema: Record<string, unknown>): ValidateFunction {
    let validate = this.compiled.get(id);
    if (validate === undefined) {
      validate = this.ajv.compile(retarget(schema));
      this.compiled.set(id, validate);
    }
    return validate;
  }
}

let shared: ResponseValidator | undefined;

/** The validator of the route table's document, built once per test file (jest loads modules per file). */
export function documentValidator(): ResponseValidator {
  shared ??= new ResponseValidator(buildOpenApiDocument('test'));
  return shared;
}
