// The one place that talks HTTP to the admin API. Writes carry the CSRF header the API requires.
// Paths are written `/api/…`; they are sent under the dashboard's base (`/admin/jobs/api/…`).
import { apiUrl } from '../config';

/** An answer other than 2xx, with the API's error body when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

async function readAnswer<T>(res: Response): Promise<T> {
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = text;
  }
  if (!res.ok) {
    const message =
      typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string'
        ? (body as { message: string }).message
        : `${res.status} ${res.statusText}`;
    throw new ApiError(res.status, message, body);
  }
  return body as T;
}

/** Query string from the defined, non-empty values. */
export function toQuery(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return readAnswer<T>(await fetch(apiUrl(path), { headers: { accept: 'application/json' }, signal }));
}

export async function postJson<T>(path: string, body: unknown = {}): Promise<T> {
  return sendJson<T>('POST', path, body);
}

/** A write (`POST`, `PATCH`, `DELETE`) with a JSON body and the CSRF header. */
export async function sendJson<T>(method: string, path: string, body: unknown = {}): Promise<T> {
  const res = await fetch(apiUrl(path), {
    method,
    headers: { 'content-type': 'application/json', accept: 'application/json', 'x-requested-with': 'jobs-dashboard' },
    body: JSON.stringify(body),
  });
  return readAnswer<T>(res);
}

/** A readable message for any error a query or mutation produced. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) {
    const action =
      typeof err.body === 'object' && err.body !== null ? (err.body as { action?: unknown }).action : undefined;
    if (err.status === 403 && typeof action === 'string') return `Not allowed: you may not ${action} (403).`;
    return `${err.message} (${err.status})`;
  }
  return err instanceof Error ? err.message : String(err);
}
