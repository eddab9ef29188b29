/**
 * The outbox: record states and the sending loop, with no DOM and no IndexedDB
 * (a ``store`` and a ``post`` function are passed in, so node tests drive it).
 *
 * Why it cannot lose or double a record:
 * - every record has its UUID from the moment it is created, and the server
 *   answers 200 to the same id with the same content (a retry);
 * - before a chunk goes out its records are written as ``sent``; a power cut or
 *   a closed tab leaves them ``sent``, and the next "Kirim" sends them again
 *   unchanged (a ``sent`` record cannot be edited, so its content cannot drift
 *   into an ``id_conflict``);
 * - a record becomes ``accepted`` only on the server's 201/200 for its id.
 */

export const STATES = ['draft', 'queued', 'sent', 'accepted', 'needs_fix', 'duplicate', 'erased', 'invalid'];

export const STATE_LABELS = {
  draft: 'Draf (belum lengkap)',
  queued: 'Siap dikirim',
  sent: 'Sedang dikirim / menunggu jawaban',
  accepted: 'Diterima server',
  needs_fix: 'Perlu perbaikan',
  duplicate: 'NIK sudah terdaftar',
  erased: 'Ditolak: orang ini minta datanya dihapus',
  invalid: 'Tidak dapat diterima',
};

/** Review statuses from the supervisor, as shown under an accepted record. */
export const SERVER_STATUS_LABELS = {
  submitted: 'Menunggu pemeriksaan pengawas',
  needs_fix: 'Perlu perbaikan (dari pengawas)',
  approved: 'Disetujui',
  rejected: 'Ditolak',
  synced: 'Terkirim ke pusat',
  registered: 'Terdaftar di BPJS',
  central_rejected: 'Ditolak pusat',
};

// The review statuses a supervisor's reason explains: a record sent back and fixed
// is "submitted" again, and the old reason would read as the current one.
export const REASONED = new Set(['needs_fix', 'rejected']);

const EDITABLE = new Set(['draft', 'queued', 'needs_fix', 'duplicate']);
const SENDABLE = new Set(['queued', 'sent']);
export const DEFAULT_CHUNK = 50;
const MAX_BACKOFF_MS = 5 * 60 * 1000;

/** A fresh draft with its permanent id and the device's capture time. */
export function newRecord(id, now = new Date(), kelurahanCode = '') {
  const at = now.toISOString();
  return {
    id, state: 'draft', created_at: at, updated_at: at, attempts: 0, next_try_at: null,
    result: null, server: null,
    data: { id, captured_at: at, kelurahan_code: kelurahanCode },
  };
}

/** Whether the enumerator may change this record now. */
/** A record belongs to the user who wrote it (records from before owners existed: to anyone). */
export function ownedBy(record, username) {
  return Boolean(username) && (!record.owner || record.owner === username);
}

export function isEditable(record) {
  return EDITABLE.has(record.state);
}

/**
 * Whether "Kirim" (or any automatic send: Background Sync, the retry, the next
 * open) picks this record up. A record open in the form (``editing``, written
 * before the form shows it) is never sent from under the enumerator: it goes
 * once the form is saved or closed.
 */
export function isSendable(record) {
  return SENDABLE.has(record.state) && !record.editing;
}

/** The record with its form closed: no ``editing`` mark, no pending change. */
export function closedForEditing(record) {
  const { editing, ...rest } = record;
  return rest;
}

/** Edits saved from the form: queued when complete, else a draft; old answers cleared. */
export function saveEdits(record, data, complete, now = new Date()) {
  if (!isEditable(record)) throw new Error(`record ${record.id} cannot be edited in state ${record.state}`);
  return {
    ...closedForEditing(record), data: { ...data, id: record.id }, state: complete ? 'queued' : 'draft',
    result: null, attempts: 0, next_try_at: null, updated_at: now.toISOString(),
  };
}

/** Exponential back-off with jitter: 2 s, 4 s, 8 s ... capped at 5 minutes. */
export function backoffMs(attempts, random = Math.random) {
  const base = Math.min(MAX_BACKOFF_MS, 2000 * 2 ** Math.max(0, attempts - 1));
  return Math.round(base * (0.5 + random() / 2));
}

/** The body an item is sent with: exactly the API fields, empty optionals left out. */
export function payloadOf(record) {
  const out = {};
  for (const [key, value] of Object.entries(record.data)) {
    if (value === null || value === undefined || value === '') continue;
    out[key] = value;
  }
  return out;
}

/** A NIK as 737101******0001, enough to recognise a record in the list. */
/** Another record on this phone with the same NIK (a person recorded twice in one
 * offline round, before the server could say so), or null. Accepted records keep
 * only a masked NIK: the server's hints cover those. */
export function sameNikHere(records, nik, ownId) {
  const digits = String(nik || '').replace(/\s/g, '');
  if (!/^\d{16}$/.test(digits)) return null;
  return records.find((r) => r.id !== ownId
    && String(r.data?.nik || '').replace(/\s/g, '') === digits) || null;
}

export function maskNik(nik) {
  const digits = String(nik || '').replace(/\s/g, '');
  return digits.length === 16 ? `${digits.slice(0, 6)}******${digits.slice(12)}` : '';
}

/** The record after the server's per-item answer in a batch. */
export function applyResult(record, result, now = new Date()) {
  const at = now.toISOString();
  const base = { ...record, updated_at: at, attempts: 0, next_try_at: null };
  if (result.status === 201 || result.status === 200) {
    // The server has it now: keep only what the list shows, so a lost phone
    // does not carry the worker's full record (UU PDP: data minimisation).
    return { ...base, state: 'accepted', accepted_at: at, result: { status: result.status },
      data: { id: record.id, full_name: record.data.full_name || '', nik_masked: maskNik(record.data.nik) },
      // 200: stored by an earlier send whose answer was lost, perhaps decided on since,
      // which a status look "since the last one" would not bring again: recheck it
      server: { status: 'submitted', version: result.version ?? 1, checked_at: at,
        ...(result.status === 200 ? { recheck: true } : {}) } };
  }
  const answer = {
    status: result.status, code: result.code || null, message: result.message || '',
    errors: result.errors || {}, error_codes: result.error_codes || {}, existing_id: result.existing_id || null,
  };
  if (result.status === 422) return { ...base, state: 'needs_fix', result: answer };
  if (result.status === 409 && result.code === 'duplicate_nik') return { ...base, state: 'duplicate', result: answer };
  // the person asked to be erased after this record was captured: it must leave the phone
  if (result.status === 409 && result.code === 'erased') return { ...base, state: 'erased', result: answer };
  return { ...base, state: 'invalid', result: answer };
}

/**
 * Send every sendable record in chunks. ``post(payloads)`` resolves to
 * {status, body} or throws when the server cannot be reached. Returns a summary:
 * {accepted, needs_fix, duplicate, erased, invalid, pending, stopped: null|'offline'|'auth'|'server',
 * refusal: null|{status, message}} (what the server said when it answered but took nothing).
 */
export async function sendOutbox({ store, post, chunkSize = DEFAULT_CHUNK, now = () => new Date(),
  random = Math.random, onProgress = () => {} }) {
  const summary = { accepted: 0, needs_fix: 0, duplicate: 0, erased: 0, invalid: 0, pending: 0, stopped: null,
    refusal: null };
  const queue = (await store.all()).filter(isSendable)
    .sort((a, b) => a.created_at.localeCompare(b.created_at));
  let size = chunkSize;
  for (let start = 0; start < queue.length;) {
    const chunk = queue.slice(start, start + size);
    const marked = chunk.map((r) => ({ ...r, state: 'sent', sent_at: now().toISOString() }));
    await store.putMany(marked);
    let answer;
    try {
      answer = await post(marked.map(payloadOf));
    } catch (err) {
      answer = null;
    }
    if (answer && answer.status === 413 && size > 1) {
      size = Math.max(1, Math.floor(size / 2)); // the chunk was too big for the server: halve it
      continue;
    }
    if (!answer || answer.status !== 200 || !Array.isArray(answer.body?.results)) {
      // No usable answer: the records stay "sent" (the server may have stored
      // them) and are retried later, unchanged.
      const later = marked.map((r) => {
        const attempts = (r.attempts || 0) + 1;
        return { ...r, attempts, next_try_at: new Date(now().getTime() + backoffMs(attempts, random)).toISOString() };
      });
      await store.putMany(later);
      summary.pending = queue.length - start;
      if (!answer) summary.stopped = 'offline';
      else summary.stopped = answer.status === 401 ? 'auth' : 'server';
      if (answer) summary.refusal = { status: answer.status, message: String(answer.body?.message || '') };
      return summary;
    }
    const byId = new Map(answer.body.results.map((res) => [res.id, res]));
    const updated = [];
    for (const record of marked) {
      const res = byId.get(record.id);
      if (!res) { summary.pending += 1; continue; } // not answered: stays "sent"
      const next = applyResult(record, res, now());
      summary[next.state === 'accepted' ? 'accepted' : next.state] += 1;
      updated.push(next);
    }
    await store.putMany(updated);
    onProgress({ ...summary, done: start + chunk.length, total: queue.length });
    start += chunk.length;
  }
  return summary;
}

/** The soonest time an automatic retry is due, or null when nothing waits. */
export function nextRetryAt(records) {
  const times = records.filter((r) => r.state === 'sent' && r.next_try_at).map((r) => r.next_try_at).sort();
  return times[0] || null;
}

/** The ids a status look answers ``erased`` (the person asked to be erased, or the
 * record's retention ended): the phone deletes its copy of each (docs/field-app.md). */
export function erasedIds(items) {
  return new Set(items.filter((item) => item.status === 'erased').map((item) => item.id));
}

/** Merge the server's view of accepted records (status pulled when online). */
export function applyServerStatuses(records, items, now = new Date()) {
  const byId = new Map(items.map((item) => [item.id, item]));
  const changed = [];
  for (const record of records) {
    const item = byId.get(record.id);
    if (!item || record.state !== 'accepted') continue;
    const server = { status: item.status, version: item.version, review_reason: item.review_reason || null,
      checked_at: now.toISOString() };
    const before = record.server || {};
    if (before.status !== server.status || before.review_reason !== server.review_reason
        || before.version !== server.version) {
      changed.push({ ...record, server });
    }
  }
  return changed;
}

/** Why a send stopped with records left, in words: no signal, the server in
 * trouble, or the server refusing (its own message). */
export function stoppedText({ stopped, pending, refusal }) {
  const left = `${pending} data tetap di HP`;
  if (stopped !== 'server' || !refusal) {
    return `Server tidak terjangkau. ${pending} data menunggu dan akan dicoba lagi otomatis.`;
  }
  if (refusal.status === 403) {
    return `Server menolak kiriman: akun ini tidak boleh mengirim data pendaftaran. ${left}; `
      + 'masuk sebagai petugas pendata atau pengawas untuk mengirimnya.';
  }
  if (refusal.status >= 500) {
    return `Server kelurahan sedang bermasalah (kode ${refusal.status}). ${left} dan akan dicoba lagi otomatis.`;
  }
  const said = refusal.message.replace(/[.\s]+$/, '');
  return `Server menolak kiriman (kode ${refusal.status})${said ? `: ${said}` : ''}. `
    + `${left} dan akan dicoba lagi otomatis.`;
}
