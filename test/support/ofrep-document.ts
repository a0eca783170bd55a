import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import vendored from '../fixtures/ofrep/openapi.json';

/**
 * Checks answers against OFREP's own OpenAPI document (open-feature/protocol, vendored in
 * test/fixtures/ofrep/ with its commit): the status is one OFREP declares for the operation, a declared header
 * that is present matches its schema, and a body OFREP describes is JSON of its schema (304: no body). Where
 * OFREP describes no body (401, 403, 429), ours — the API's `{code, message, requestId}` — is not checked.
 */
export interface OfrepObserved {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

type Json = Record<string, unknown>;
interface Response {
  readonly headers?: Record<string, { readonly schema?: Json }>;
  readonly content?: Record<string, { readonly schema: Json }>;
}
interface Operation {
  readonly responses: Record<string, Response>;
}

const SCHEMAS_ID = 'https://switchyard.test/ofrep/components';

/**
 * The document, with `evaluationSuccess`'s value alternatives read as their descriptions say (see
 * test/fixtures/ofrep/README.md): as written, `codeDefaultFlag` ("has no value property", yet `type: object`
 * with `properties: {}`) matches every answer and an integer is both an `integerFlag` and a `floatFlag`, so the
 * `oneOf` refuses every boolean, string, number and object and accepts only arrays, null or no value. The
 * alternatives are checked as `anyOf`, and `codeDefaultFlag` as an answer without `value`.
 */
function readAsDescribed(document: typeof vendored): Json {
  const copy = JSON.parse(JSON.stringify(document)) as {
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, Json> };
  };
  const success = copy.components.schemas.evaluationSuccess as { allOf: Json[] };
  const alternatives = success.allOf[1]!;
  if (!Array.isArray(alternatives.oneOf))
    throw new Error('OFREP document changed: evaluationSuccess.allOf[1]');
  alternatives.anyOf = alternatives.oneOf;
  delete alternatives.oneOf;
  const codeDefault = copy.components.schemas.codeDefaultFlag!;
  if (JSON.stringify(codeDefault.properties) !== '{}')
    throw new Error('OFREP document changed: codeDefaultFlag');
  codeDefault.not = { required: ['value'] };
  return copy;
}

function retarget<T>(schema: T): T {
  return JSON.parse(
    JSON.stringify(schema).replaceAll('"#/components/schemas/', `"${SCHEMAS_ID}#/$defs/`),
  ) as T;
}

export class OfrepDocument {
  private readonly paths: Record<string, Record<string, Operation>>;
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(document: typeof vendored = vendored) {
    const read = readAsDescribed(document) as {
      paths: Record<string, Record<string, Operation>>;
      components: { schemas: Json };
    };
    this.paths = read.paths;
    // strictRequired off: `not: {required: [...]}` (eventStream, codeDefaultFlag) names properties declared
    // beside it, which is valid JSON Schema.
    this.ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
    addFormats(this.ajv);
    // OpenAPI's `example` annotation, which JSON Schema 2020-12 does not define.
    this.ajv.addKeyword({ keyword: 'example' });
    this.ajv.addSchema(retarget({ $id: SCHEMAS_ID, $defs: read.components.schemas }));
  }

  /** The JSON Schema of one of the document's components, for checking a body outside HTTP. */
  schema(name: string): ValidateFunction {
    return this.validator(`component:${name}`, { $ref: `#/components/schemas/${name}` });
  }

  /** What is wrong with an answer, or null when OFREP allows it. */
  problem({ method, path, status, headers, text }: OfrepObserved): string | null {
    const pathname = new URL(path, 'http://localhost').pathname;
    const template = /^\/ofrep\/v1\/evaluate\/flags\/[^/]+$/.test(pathname)
      ? '/ofrep/v1/evaluate/flags/{key}'
      : pathname;
    const operation = this.paths[template]?.[method.toLowerCase()];
    if (operation === undefined) return `${method} ${template} is not an OFREP operation`;
    const response = operation.responses[String(status)];
    if (response === undefined) {
      return `status ${status} is not declared (declared: ${Object.keys(operation.responses).join(', ')})`;
    }
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      const value = headers.get(name);
      if (value === null || header.schema === undefined) continue;
      const validate = this.validator(`${template}:${status}:header:${name}`, header.schema);
      // Integer-valued headers (Retry-After in seconds) are compared as numbers when they are digits.
      if (!validate(value) && !(/^\d+$/.test(value) && validate(Number(value)))) {
        return `header ${name}: ${JSON.stringify(value)} does not match ${JSON.stringify(header.schema)}`;
      }
    }
    if (response.content === undefined) {
      if (status === 304 && text !== '') return `304 must have no body, got ${text.slice(0, 200)}`;
      return null;
    }
    const contentType = headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
    const media = contentType === undefined ? undefined : response.content[contentType];
    if (media === undefined) {
      return `content-type ${String(contentType)} is not declared (${Object.keys(response.content).join(', ')})`;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return `the body is not JSON: ${JSON.stringify(text.slice(0, 200))}`;
    }
    const validate = this.validator(`${template}:${status}:${contentType}`, media.schema);
    if (validate(body)) return null;
    return `body does not match OFREP's schema: ${this.ajv.errorsText(validate.errors, { dataVar: 'body' })}; got ${text.slice(0, 500)}`;
  }

  /** Throws, naming the request and what OFREP's document does not allow. */
  check(answer: OfrepObserved): void {
    const problem = this.problem(answer);
    if (problem !== null) {
      throw new Error(`${answer.method} ${answer.path} answered ${answer.status}: ${problem}`);
    }
  }

  private validator(id: string, schema: Json): ValidateFunction {
    let validate = this.compiled.get(id);
    if (validate === undefined) {
      validate = this.ajv.compile(retarget(schema));
      this.compiled.set(id, validate);
    }
    return validate;
  }
}
