// Calls to the Cunjie API with the session's bearer token. Shared by the
// page and the service worker.

import { getMeta } from './idb.js';

// ApiError is an answer the server gave: it has an HTTP status and, for
// the API's own errors, a code, a message and per-field problems.
export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || '';
    this.fields = e.fields || {};
    this.body = body;
  }

  // Worth trying again later: the server was busy or broken, not the request.
  get retryable() {
    return this.status >= 500 || this.status === 429 || this.status === 408;
  }
}

// NetworkError means no answer arrived at all (offline, aborted, DNS).
export class NetworkError extends Error {
  constructor(cause) {
    super(cause?.message || 'network error');
    this.retryable = true;
  }
}

export async function token() {
  const s = await getMeta('session');
  return s ? s.token : '';
}

// api sends a request and returns the decoded JSON (or the Response when
// opts.raw). Anything but 2xx throws ApiError; no answer throws NetworkError.
export async function api(method, path, opts = {}) {
  const headers = { ...(opts.headers || {}) };
  const tk = opts.token ?? (await token());
  if (tk) headers.Authorization = `Bearer ${tk}`;
  let body = opts.body;
  if (body !== undefined && !(body instanceof Blob) && typeof body !== 'string') {
    body = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body, cache: 'no-store' });
  } catch (err) {
    throw new NetworkError(err);
  }
  if (!res.ok) {
    let data = null;
    try { data = await res.json(); } catch { /* not JSON: a proxy's page */ }
    throw new ApiError(res.status, data);
  }
  if (opts.raw) return res;
  if (res.status === 204) return null;
  try {
    return await res.json();
  } catch (err) {
    // A cut connection can end a 200 halfway through the body.
    throw new NetworkError(err);
  }
}

// A UUID for ids made on the phone: a version-4 UUID from random bytes.
// Not crypto.randomUUID, which needs a secure context and Chrome 92.
export function uuid() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
