/**
 * Records sent back for a fix (by the supervisor or by central's verifier), and
 * central's decisions, on the phone. No DOM and no IndexedDB here: app.js passes
 * a store and a ``patch`` function, so node tests can drive it.
 *
 * The flow, offline-first like new records:
 * - when online, the enumerator's records in ``needs_fix`` on the server come to
 *   the phone whole (state ``fix``, with the version they were read at);
 * - the enumerator edits one in the form; "Simpan" makes it ``fix_queued``;
 * - "Kirim" (or the automatic retry) sends it with ``PATCH`` + ``If-Match: <version>``;
 *   200: back to ``accepted`` (the list keeps only the name and masked NIK);
 *   412: someone else changed it first: ``fix_conflict``, shown with a "Muat ulang";
 *   422: the server names the fields (``fix`` again, errors shown in the form);
 *   no answer: stays ``fix_queued`` and is tried again.
 */

import { backoffMs, closedForEditing, maskNik } from './outbox.js';

export const FIX_STATES = new Set(['fix', 'fix_queued', 'fix_conflict']);
export const FIX_EDITABLE = new Set(['fix', 'fix_queued']);
export const FIX_STATE_LABELS = {
  fix: 'Perlu diperbaiki',
  fix_queued: 'Perbaikan siap dikirim',
  fix_conflict: 'Diubah orang lain: muat ulang',
};
const SENT_BACK_PREFIX = 'Dikirim balik oleh pusat: ';
// Statuses no fix can change: a PATCH answered 409 with one of these closes the fix.
const FINAL_STATUSES = new Set(['central_rejected', 'rejected']);
// Keys the server adds to a record: never sent back in a PATCH.
const SERVER_KEYS = new Set(['status', 'version', 'enumerator', 'last_edited_by', 'received_at', 'updated_at',
  'reviewed_by', 'reviewed_at', 'review_reason', 'warnings', 'eligibility', 'central', 'history']);

/** Why the record must be fixed, in the words of whoever sent it back. */
export function fixReason(item) {
  const central = item.central || {};
  if (central.status === 'sent_back' && central.reason) {
    return { from: 'pusat', text: String(central.reason).replace(SENT_BACK_PREFIX, '') };
  }
  return { from: 'pengawas', text: item.review_reason || '' };
}

/** The client fields of a server record (what the form edits). */
export function clientData(item) {
  const data = {};
  for (const [key, value] of Object.entries(item)) if (!SERVER_KEYS.has(key)) data[key] = value;
  return data;
}

/** A phone record for a server record in needs_fix. */
export function fixRecord(item, existing, now = new Date()) {
  const at = now.toISOString();
  return {
    id: item.id, state: 'fix', owner: item.enumerator || existing?.owner || null,
    created_at: existing?.created_at || item.captured_at || at, updated_at: at,
    base_version: item.version, reason: fixReason(item), attempts: 0, next_try_at: null,
    result: null, server: { status: item.status, version: item.version, checked_at: at },
    data: clientData(item),
  };
}

/** The record back in the "accepted" list with only what the list shows. */
export function minimised(record, item, now = new Date()) {
  const at = now.toISOString();
  const data = record.data || {};
  return {
    ...record, state: 'accepted', attempts: 0, next_try_at: null, result: null, base_version: undefined,
    data: { id: record.id, full_name: item?.full_name || data.full_name || '', nik_masked: data.nik_masked || maskNik(item?.nik || data.nik) },
    server: item ? serverView(item, at) : record.server,
  };
}

/** What the phone keeps of the server's view: status, version, reasons, central's decision. */
export function serverView(item, at) {
  const central = item.central || {};
  return { status: item.status, version: item.version, review_reason: item.review_reason || null,
    central_status: central.status || null, central_reason: central.reason || null,
    kpj_number: central.kpj_number || null, checked_at: at };
}

/**
 * Merge the server's list into the phone's records: needs_fix records arrive
 * whole; a local fix the server no longer waits for goes back to "accepted".
 * Local edits not yet sent (fix_queued, or a record open in the form) are never
 * overwritten: their PATCH will answer 412 if the server moved on. Returns the
 * records to store.
 */
export function mergeFixes(records, items, now = new Date()) {
  const local = new Map(records.map((r) => [r.id, r]));
  const changed = [];
  for (const item of items) {
    const mine = local.get(item.id);
    // open in the form, or a fix kept as a draft (``local_change``): never replaced; its
    // PATCH carries the version the form was based on and answers 412 if the server moved on
    if (mine?.editing || mine?.local_change) continue;
    if (item.status === 'needs_fix') {
      if (!mine || mine.state === 'accepted'
          || (mine.state === 'fix' && mine.base_version !== item.version)) {
        changed.push(fixRecord(item, mine, now));
      }
    } else if (mine && mine.state === 'fix') {
      changed.push(minimised(mine, item, now));
    }
  }
  return changed;
}

/** Edits saved from the form: queued for sending (the version read stays the base). */
export function saveFix(record, data, now = new Date()) {
  if (!FIX_EDITABLE.has(record.state)) throw new Error(`record ${record.id} cannot be edited in state ${record.state}`);
  return { ...closedForEditing(record), data: { ...data, id: record.id }, state: 'fix_queued', result: null, attempts: 0,
    next_try_at: null, updated_at: now.toISOString() };
}

/** The PATCH body: the client fields, empty optionals left out. */
export function fixPayload(record) {
  const out = {};
  for (const [key, value] of Object.entries(record.data)) {
    if (value === null || value === undefined || value === '' || key === 'nik_masked') continue;
    out[key] = value;
  }
  return out;
}

/**
 * Send every queued fix. ``patch(id, version, body)`` resolves to {status, body}
 * or throws when the server cannot be reached. Returns
 * {fixed, conflict, invalid, closed (rejected for good meanwhile: 409 with a final status),
 * pending, stopped: null|'offline'|'auth'|'server'}.
 */
export async function sendFixes({ store, patch, now = () => new Date(), random = Math.random }) {
  const summary = { fixed: 0, conflict: 0, invalid: 0, closed: 0, pending: 0, stopped: null };
  const queue = (await store.all()).filter((r) => r.state === 'fix_queued' && !r.editing); // not from under the form
  for (let i = 0; i < queue.length; i += 1) {
    const record = queue[i];
    let answer;
    try {
      answer = await patch(record.id, record.base_version, fixPayload(record));
    } catch {
      answer = null;
    }
    if (!answer || answer.status === 401 || answer.status >= 500) {
      const attempts = (record.attempts || 0) + 1;
      await store.putMany([{ ...record, attempts,
        next_try_at: new Date(now().getTime() + backoffMs(attempts, random)).toISOString() }]);
      summary.pending = queue.length - i;
      summary.stopped = !answer ? 'offline' : (answer.status === 401 ? 'auth' : 'server');
      return summary;
    }
    if (answer.status === 200) {
      await store.putMany([minimised(record, answer.body, now())]);
      summary.fixed += 1;
    } else if (answer.status === 412) {
      await store.putMany([{ ...record, state: 'fix_conflict', result: { status: 412,
        message: 'Data ini sudah diubah orang lain (misalnya pengawas) sejak Anda membukanya. '
          + 'Tekan "Muat ulang" untuk mengambil versi terbaru, lalu perbaiki lagi.' } }]);
      summary.conflict += 1;
    } else if (answer.status === 409 && FINAL_STATUSES.has(answer.body?.current_status)) {
      // decided for good while it was being fixed (central or the supervisor rejected it):
      // the card says so at once, with the reason from the next status look (recheck)
      const status = answer.body.current_status;
      const item = { status, version: answer.body.current_version ?? record.server?.version,
        central: status === 'central_rejected' ? { status: 'rejected' } : {} };
      const done = minimised(record, item, now());
      await store.putMany([{ ...done, server: { ...done.server, recheck: true } }]);
      summary.closed += 1;
    } else {
      // 422 names the fields; 409: the record is no longer waiting for a fix
      const result = { status: answer.status, code: answer.body?.code || null,
        message: answer.body?.message || '', errors: answer.body?.errors || {},
        error_codes: answer.body?.error_codes || {} };
      await store.putMany([{ ...record, state: answer.status === 422 ? 'fix' : 'fix_conflict', result }]);
      summary.invalid += 1;
    }
  }
  return summary;
}

/**
 * Central's decision on an accepted record, in words for the list (or '').
 * ``reasons``: central's rejection codes in Indonesian (``central_reasons`` of
 * /api/v1/field/reference, kept offline with the other lists).
 */
export function centralNote(server, reasons = {}) {
  if (!server) return '';
  if (server.status === 'registered' || server.central_status === 'registered') {
    return `Terdaftar di BPJS Ketenagakerjaan${server.kpj_number ? ` (KPJ ${server.kpj_number})` : ''}.`;
  }
  const reason = server.central_reason || '';
  if (server.central_status === 'duplicate' || reason.startsWith('duplicate_')) {
    return 'Ditolak pusat: orang ini sudah terdaftar di kelurahan lain.';
  }
  if (server.status === 'central_rejected' || server.central_status === 'rejected') {
    // codes joined by commas; a verifier's own words ("verifikasi: ...") stay as written
    const text = reason.replace(/^rejected: /, '');
    const codes = text.split(',').map((code) => code.trim()).filter(Boolean);
    const words = codes.length && codes.every((code) => reasons[code])
      ? codes.map((code) => reasons[code]).join('; ') : text;
    return `Ditolak pusat${words ? `: ${words}` : ''}.`;
  }
  if (server.central_status === 'accepted' && server.status === 'synced') return 'Diterima pusat.';
  return '';
}
