/**
 * The public API, from the console's origin, with the user's ID token. Every failure becomes an ApiError
 * carrying the API's own `message` (SPEC §4: `{code, message, details?}`), which the screens show as is.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  /** A 409 for a stale `version`: someone changed the resource since it was read. */
  get isVersionConflict(): boolean {
    return this.status === 409 && /is at version \d+, not \d+/.test(this.message);
  }

  /** `path: message` for each validation issue the API named. */
  get issues(): string[] {
    const details = this.details as { issues?: { path?: unknown; message?: unknown }[] } | undefined;
    if (!Array.isArray(details?.issues)) return [];
    return details.issues.map((issue) => {
      const path =
        typeof issue.path === 'string' ? issue.path : Array.isArray(issue.path) ? issue.path.join('.') : '';
      return `${path === '' ? '' : `${path}: `}${typeof issue.message === 'string' ? issue.message : 'invalid'}`;
    });
  }
}

type Listener = () => void;
let onUnauthorized: Listener = () => undefined;

/** Called when the API answers 401 (expired or refused token): the app signs the user out. */
export function whenUnauthorized(listener: Listener): void {
  onUnauthorized = listener;
}

export async function call<T>(
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The API cannot be reached: check your connection and try again.');
  }
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    json = null;
  }
  if (!response.ok) {
    const error = (json ?? {}) as { code?: string; message?: string; details?: unknown };
    if (response.status === 401 && token !== null) onUnauthorized();
    throw new ApiError(
      response.status,
      error.code ?? String(response.status),
      error.message ?? `The API answered ${response.status}`,
      error.details,
    );
  }
  return json as T;
}

/**
 * A download the API answers as a file (the audit log's NDJSON): fetched with the token, since a plain link
 * cannot carry it, and handed to the browser as a file of `filename`.
 */
export async function download(token: string, path: string, filename: string): Promise<number> {
  let response: Response;
  try {
    response = await fetch(path, { headers: { authorization: `Bearer ${token}` } });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The API cannot be reached: check your connection and try again.');
  }
  if (!response.ok) {
    const error = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
    if (response.status === 401) onUnauthorized();
    throw new ApiError(
      response.status,
      error.code ?? String(response.status),
      error.message ?? `The API answered ${response.status}`,
    );
  }
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return blob.size;
}
