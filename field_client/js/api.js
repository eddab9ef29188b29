/**
 * Calls to the kelurahan server (same origin as the app). Every call has a
 * timeout: on a weak signal a request can hang for minutes, and a hung send
 * must turn into a retry, not a frozen button.
 */

import { FilterError, loadIndex } from './dedupe.js';

const TIMEOUT_MS = 30000;

function newRequestId() {
  if (globalThis.crypto?.randomUUID) return `hp-${crypto.randomUUID()}`;
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return `hp-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** {status, body} for any HTTP answer; throws only when the server was not reached. */
export async function request(path, { method = 'GET', token = null, body = undefined, timeoutMs = TIMEOUT_MS } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  // A request id per call: the kelurahan logs it with the records it stored, so a
  // record can be followed from this phone to central (docs/operator-guide.md).
  const headers = { Accept: 'application/json', 'X-Request-Id': newRequestId() };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  try {
    const response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      signal: controller.signal, cache: 'no-store', credentials: 'omit',
    });
    let parsed = null;
    try { parsed = await response.json(); } catch { parsed = null; }
    return { status: response.status, body: parsed };
  } finally {
    clearTimeout(timer);
  }
}

/** Log in: {token, role, expires_at} on 200. */
export function login(username, password) {
  return request('/api/v1/auth/token', { method: 'POST', body: { username, password } });
}

/** Log out: revoke this token at the server (204; 401 when already invalid). */
export function revokeToken(token) {
  return request('/api/v1/auth/token', { method: 'DELETE', token });
}

/** Send a chunk of the outbox. */
export function postBatch(token, items) {
  return request('/api/v1/enrollments:batch', { method: 'POST', token, body: { enrollments: items }, timeoutMs: 60000 });
}

/** Lists for the form. */
export function getReference(token) {
  return request('/api/v1/field/reference', { token });
}

/**
 * The duplicate filter and the key to test it with, checked (same key version,
 * checksum) before the phone keeps it; null when either is missing or refused
 * (the index the phone already holds stays in use). fetched_at is the server's time.
 */
export async function getDedupe(token) {
  const [index, key] = await Promise.all([
    request('/api/v1/field/dedupe-index', { token }), request('/api/v1/field/dedupe-key', { token })]);
  if (index.status !== 200 || key.status !== 200) return null;
  try {
    return { ...loadIndex(index.body, key.body), fetched_at: key.body.server_time || null };
  } catch (err) {
    if (err instanceof FilterError) return null;
    throw err;
  }
}

/** One record (with its version), e.g. to reload after a 412. */
export function getEnrollment(token, id) {
  return request(`/api/v1/enrollments/${encodeURIComponent(id)}`, { token });
}

/** Send a fix: PATCH with If-Match (the version the fix was made on). */
export async function patchEnrollment(token, id, version, body) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  try {
    const response = await fetch(`/api/v1/enrollments/${encodeURIComponent(id)}`, {
      method: 'PATCH', body: JSON.stringify(body), signal: controller.signal, cache: 'no-store', credentials: 'omit',
      headers: { Accept: 'application/json', 'Content-Type': 'application/json', Authorization: `Bearer ${token}`,
        'If-Match': `"${version}"` },
    });
    let parsed = null;
    try { parsed = await response.json(); } catch { parsed = null; }
    return { status: response.status, body: parsed };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The statuses of this user's records changed since the last look (``since``, from
 * the previous look; null: all of them), page by page: {status, items, since} with
 * ``since`` where the next look starts (null when this one did not finish). Items
 * hold id, version, statuses and reasons, no personal data
 * (``GET /api/v1/field/statuses``, docs/api.md).
 */
export async function listStatuses(token, since = null) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < 100; page += 1) {
    const query = new URLSearchParams({ limit: '500' });
    if (since) query.set('since', since);
    if (cursor) query.set('cursor', cursor);
    const answer = await request(`/api/v1/field/statuses?${query}`, { token });
    if (answer.status !== 200) return { status: answer.status, items, since: null };
    items.push(...answer.body.items);
    cursor = answer.body.next_cursor;
    if (!cursor) return { status: 200, items, since: answer.body.since };
  }
  return { status: 200, items, since: null };
}

/** All of this enumerator's records on the server, whole, page by page (the full
 * listing; the phone's status look is listStatuses). */
export async function listOwnRecords(token) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < 100; page += 1) {
    const query = `limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const answer = await request(`/api/v1/enrollments?${query}`, { token });
    if (answer.status !== 200) return { status: answer.status, items };
    items.push(...answer.body.items);
    cursor = answer.body.next_cursor;
    if (!cursor) break;
  }
  return { status: 200, items };
}
