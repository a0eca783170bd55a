import type { RecordedRequest, ScriptedResponse } from './loopback-server';

/**
 * Just enough of an OpenSearch domain (with the ISM and security plugins and Dashboards) to answer the
 * setup's requests the way the real APIs do: ISM refuses to overwrite a policy without
 * `if_seq_no`/`if_primary_term` (409), creating an existing index answers `resource_already_exists_exception`,
 * Dashboards refuses writes without `osd-xsrf`. It keeps state, so a second run meets what the first made.
 */
export class FakeSearchDomain {
  readonly policies = new Map<string, { policy: unknown; seqNo: number; primaryTerm: number }>();
  readonly templates = new Map<string, unknown>();
  readonly roles = new Map<string, unknown>();
  readonly roleMappings = new Map<string, unknown>();
  readonly indices = new Set<string>();
  readonly savedObjects = new Map<string, unknown>();
  /** Answers to give before the real one, per `METHOD path` (e.g. a Dashboards still starting). */
  readonly interruptions = new Map<string, ScriptedResponse[]>();
  private seqNo = 0;

  readonly respond = (request: RecordedRequest): ScriptedResponse => {
    const key = `${request.method} ${request.path}`;
    const interruption = this.interruptions.get(key)?.shift();
    if (interruption) return interruption;
    const body =
      request.body && request.headers['content-type']?.startsWith('application/json')
        ? (JSON.parse(request.body) as Record<string, unknown>)
        : undefined;
    const [, first, second, third] = request.path.split('/');

    if (first === '_plugins' && second === '_ism' && third === 'policies') {
      return this.policy(request, body);
    }
    if (first === '_plugins' && second === '_ism' && (third === 'add' || third === 'change_policy')) {
      return {
        status: 200,
        body: { updated_indices: this.indices.size, failures: false, failed_indices: [] },
      };
    }
    if (first === '_plugins' && second === '_security') {
      const [, , , , kind, name] = request.path.split('/');
      const store = kind === 'roles' ? this.roles : this.roleMappings;
      const existed = store.has(name!);
      store.set(name!, body);
      return {
        status: existed ? 200 : 201,
        body: { status: existed ? 'OK' : 'CREATED', message: `'${name}' updated.` },
      };
    }
    if (first === '_index_template' && request.method === 'PUT') {
      this.templates.set(second!, body);
      return { status: 200, body: { acknowledged: true } };
    }
    if (first === '_aliases') return { status: 200, body: { acknowledged: true } };
    if (first === '_dashboards') return this.importSavedObjects(request);
    if (first?.startsWith('switchyard-events-') && second === undefined) {
      if (request.method === 'HEAD') return { status: this.indices.has(first) ? 200 : 404 };
      if (request.method === 'PUT') {
        if (this.indices.has(first)) {
          return {
            status: 400,
            body: {
              error: { type: 'resource_already_exists_exception', reason: `index [${first}] already exists` },
              status: 400,
            },
          };
        }
        this.indices.add(first);
        return { status: 200, body: { acknowledged: true, shards_acknowledged: true, index: first } };
      }
    }
    return { status: 400, body: { error: { type: 'fake_unsupported', reason: key }, status: 400 } };
  };

  private policy(request: RecordedRequest, body: unknown): ScriptedResponse {
    const id = request.path.split('/')[4]!;
    const current = this.policies.get(id);
    if (request.method === 'GET') {
      if (!current) return { status: 404, body: { error: { type: 'status_exception' }, status: 404 } };
      return {
        status: 200,
        body: {
          _id: id,
          _version: 1,
          _seq_no: current.seqNo,
          _primary_term: current.primaryTerm,
          policy: current.policy,
        },
      };
    }
    const seqNo = request.query.get('if_seq_no');
    const primaryTerm = request.query.get('if_primary_term');
    const conflict = {
      status: 409,
      body: {
        error: {
          type: 'version_conflict_engine_exception',
          reason: `[${id}]: version conflict, document already exists`,
        },
        status: 409,
      },
    };
    if (seqNo === null) {
      if (current) return conflict;
    } else if (!current || Number(seqNo) !== current.seqNo || Number(primaryTerm) !== current.primaryTerm) {
      return conflict;
    }
    this.seqNo += 1;
    const stored = { policy: (body as { policy: unknown }).policy, seqNo: this.seqNo, primaryTerm: 1 };
    this.policies.set(id, stored);
    return {
      status: current ? 200 : 201,
      body: {
        _id: id,
        _version: 1,
        _seq_no: stored.seqNo,
        _primary_term: 1,
        policy: { policy: stored.policy },
      },
    };
  }

  private importSavedObjects(request: RecordedRequest): ScriptedResponse {
    if (request.headers['osd-xsrf'] !== 'true') {
      return {
        status: 400,
        body: { statusCode: 400, error: 'Bad Request', message: 'Request must contain a osd-xsrf header.' },
      };
    }
    const boundary = /boundary=(.+)$/.exec(request.headers['content-type'] ?? '')?.[1];
    const file = boundary ? multipartFile(request.body, boundary) : undefined;
    if (file === undefined) return { status: 415, body: { message: 'Unsupported Media Type' } };
    const objects = file
      .split('\n')
      .filter((line) => line.trim().length > 0)
      .map((line) => JSON.parse(line) as { type: string; id: string });
    if (
      request.query.get('overwrite') !== 'true' &&
      objects.some((o) => this.savedObjects.has(`${o.type}:${o.id}`))
    ) {
      return {
        status: 200,
        body: { success: false, successCount: 0, errors: [{ error: { type: 'conflict' } }] },
      };
    }
    for (const object of objects) this.savedObjects.set(`${object.type}:${object.id}`, object);
    return { status: 200, body: { success: true, successCount: objects.length } };
  }
}

/** The content of the single file part of a multipart/form-data body. */
export function multipartFile(body: string, boundary: string): string | undefined {
  const part = body.split(`--${boundary}`)[1];
  if (part === undefined) return undefined;
  const headerEnd = part.indexOf('\r\n\r\n');
  if (headerEnd < 0 || !/name="file"/.test(part.slice(0, headerEnd))) return undefined;
  return part.slice(headerEnd + 4).replace(/\r\n$/, '');
}
