// The one way the console talks to the suite: the gateway's HTTP API (docs/api.md). It sends the bearer
// token and the chosen language, reads paging from Link / X-Total-Count, sends Idempotency-Key on creating
// POSTs and If-Match on changes, and turns an error body into an ApiError carrying the gateway's code,
// its message (already in the caller's language) and the rule (DOMAIN.md id) that refused.
import { accessToken, signIn } from './auth.js';
import { language } from './i18n.js';
import { limited } from './limit.js';
import { router } from './router.js';

export class ApiError extends Error {
  constructor(status, error = {}) {
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || 'HTTP_ERROR';
    this.rule = error.rule || null;
    this.fields = error.fields || null;
    this.details = error.details || null;
  }

  // the service behind the answer is down or did not answer in time: worth a retry, not a fix
  get unavailable() {
    return this.status === 0 || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

const SIGN_IN_AGAIN = new Set(['TOKEN_EXPIRED', 'AUTHENTICATION_REQUIRED']);

function nextCursor(link) {
  const match = /<([^>]+)>;\s*rel="next"/.exec(link || '');
  return match ? new URL(match[1], window.location.origin).searchParams.get('cursor') : null;
}

export function url(path, query = {}) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(name, value);
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

// what every request carries: the caller's token and language
export function baseHeaders(accept = 'application/json') {
  const headers = { 'Accept-Language': language.value, Accept: accept };
  const token = accessToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  return headers;
}

// a refused answer as an ApiError; an expired or missing sign-in first goes back to the provider
// (what was typed is kept as a draft, auth.js)
export async function refusal(answer, headers) {
  let error = {};
  try {
    error = (await answer.json()).error || {};
  } catch { /* not JSON: the status says enough */ }
  if (answer.status === 401 && (!headers.Authorization || SIGN_IN_AGAIN.has(error.code))) {
    await signIn(router.currentRoute.value.fullPath);
  }
  return new ApiError(answer.status, error);
}

export async function request(method, path, { query, body, key, ifMatch, accept } = {}) {
  const headers = baseHeaders(accept);
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (key) headers['Idempotency-Key'] = key;
  if (ifMatch) headers['If-Match'] = ifMatch;
  let answer;
  try {
    answer = await limited(() => fetch(url(path, query), {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store',
    }));
  } catch {
    throw new ApiError(0, { code: 'NETWORK', message: '' });
  }
  if (!answer.ok) throw await refusal(answer, headers);
  const total = answer.headers.get('X-Total-Count');
  return {
    data: accept && !accept.includes('json') ? await answer.blob()
      : (answer.status === 204 ? null : await answer.json()),
    total: total === null ? null : Number(total),
    next: nextCursor(answer.headers.get('Link')),
    etag: answer.headers.get('ETag'),
    headers: answer.headers,
  };
}

export const get = (path, query) => request('GET', path, { query }).then((r) => r.data);
export const page = (path, query) => request('GET', path, { query });

// a creating POST: the same key for every retry of one submission, so a retry never makes it twice
export function newKey() {
  return crypto.randomUUID();
}

export const post = (path, body, options = {}) => request('POST', path, { body, ...options })
  .then((r) => r.data);
