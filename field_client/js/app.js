/**
 * The field app: login, the outbox list, the form, sending and status pulls.
 * State that matters lives in IndexedDB (store.js); this module only wires the
 * screens to it, so a reload at any moment resumes where the phone was.
 */
import * as api from './api.js';
import * as store from './store.js';
import { RecordForm } from './form.js';
import { fieldForServerKey, isComplete, validateRecord } from './validate.js';
import { duplicateHints } from './dedupe.js';
import { formatMomentId } from './dates.js';
import { freshnessLines, offsetOf, stamp } from './freshness.js';
import { householdCopy, proposeFromNik, toDmy } from './nikpropose.js';
import { qrDataUrl, receiptOf } from './receipt.js';
import {
  STATE_LABELS, SERVER_STATUS_LABELS, applyServerStatuses, isEditable, newRecord, nextRetryAt, saveEdits,
  sendOutbox,
} from './outbox.js';
import {
  FIX_EDITABLE, FIX_STATES, FIX_STATE_LABELS, centralNote, fixRecord, mergeFixes, minimised, saveFix, sendFixes,
  serverView,
} from './fixes.js';

const $ = (sel) => document.querySelector(sel);
const state = { session: null, reference: null, dedupe: null, record: null, serverErrors: {}, sending: false, retryTimer: null };
let form;

/** A UUID v4: crypto.randomUUID needs a secure context, getRandomValues does not. */
export function uuid4() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function show(view) {
  for (const id of ['view-loading', 'view-login', 'view-outbox', 'view-form', 'view-receipt']) $(`#${id}`).hidden = id !== view;
}

function say(text, kind = '') {
  const box = $('#message');
  box.textContent = text;
  box.className = `banner ${kind}`;
  box.hidden = !text;
}

function sessionValid() {
  return Boolean(state.session && Date.parse(state.session.expires_at) > Date.now());
}

function updateNetStatus() {
  const pill = $('#net-status');
  pill.textContent = navigator.onLine ? 'Online' : 'Tanpa sinyal';
  pill.classList.toggle('offline', !navigator.onLine);
  $('#user-name').textContent = state.session ? state.session.username : '';
  $('#relogin').hidden = !state.session || sessionValid();
}

// --- the outbox list ----------------------------------------------------------

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Field names as the form shows them, for the server's answers in the list.
const FIELD_LABELS = {
  nik: 'NIK', kk_number: 'Nomor KK', full_name: 'Nama', birth_place: 'Tempat lahir', birth_date: 'Tanggal lahir',
  sex: 'Jenis kelamin', address: 'Alamat', rt: 'RT', rw: 'RW', kelurahan_code: 'Kelurahan', mother_name: 'Nama ibu',
  phone: 'Nomor HP', occupation: 'Pekerjaan', work_category: 'Pekerjaan sehari-hari', monthly_income: 'Penghasilan',
  heir_name: 'Ahli waris', heir_relation: 'Hubungan ahli waris', heir_phone: 'HP ahli waris', consent: 'Persetujuan',
  consent_method: 'Cara persetujuan', location: 'Lokasi', captured_at: 'Waktu pendataan', notes: 'Catatan',
  disability: 'Disabilitas', disability_kinds: 'Jenis disabilitas',
};

function problemLines(record) {
  const result = record.result || {};
  const lines = [];
  if (record.state === 'duplicate') {
    lines.push('NIK ini sudah terdaftar di kelurahan. Bila NIK salah ketik, ubah lalu simpan lagi; bila orang yang sama, hapus data ini.');
  }
  for (const [field, messages] of Object.entries(result.errors || {})) {
    const label = FIELD_LABELS[fieldForServerKey(field)] || field;
    for (const m of messages) lines.push(`${label}: ${m}`);
  }
  if (!lines.length && result.message) lines.push(result.message);
  return lines;
}

function card(record) {
  const li = el('li', 'card');
  li.dataset.state = record.state;
  li.dataset.id = record.id;
  li.append(el('div', 'name', record.data.full_name || '(nama belum diisi)'));
  const nik = record.data.nik_masked || record.data.nik || '';
  li.append(el('div', 'meta', `${nik ? `NIK ${nik} · ` : ''}dicatat ${formatMomentId(record.created_at)}`));
  li.append(el('div', 'state', STATE_LABELS[record.state] || FIX_STATE_LABELS[record.state] || record.state));
  if (FIX_STATES.has(record.state) && record.reason?.text) {
    const why = el('div', 'fix-reason', `Alasan dari ${record.reason.from}: ${record.reason.text}`);
    li.append(why);
  }
  const note = record.state === 'accepted' ? centralNote(record.server) : '';
  if (note) {
    const central = el('div', 'central-note', note);
    central.dataset.centralStatus = record.server.central_status || record.server.status;
    li.append(central);
  }
  if (record.state === 'accepted' && record.server) {
    const label = SERVER_STATUS_LABELS[record.server.status] || record.server.status;
    const review = el('div', 'server-status', label + (record.server.review_reason ? `: ${record.server.review_reason}` : ''));
    review.dataset.serverStatus = record.server.status;
    li.append(review);
  }
  const lines = problemLines(record);
  if (lines.length) {
    const ul = el('ul', 'problems');
    lines.forEach((line) => ul.append(el('li', '', line)));
    li.append(ul);
  }
  if (record.state === 'sent' && record.next_try_at) {
    li.append(el('div', 'meta', `Dicoba lagi otomatis sekitar ${formatMomentId(record.next_try_at)}`));
  }
  const actions = el('div', 'card-actions');
  if (FIX_EDITABLE.has(record.state)) {
    const fix = el('button', 'edit fix', 'Perbaiki');
    fix.type = 'button';
    fix.addEventListener('click', () => openForm(record.id));
    actions.append(fix);
  }
  if (record.state === 'fix_conflict') {
    const reload = el('button', 'reload', 'Muat ulang');
    reload.type = 'button';
    reload.addEventListener('click', () => reloadFix(record));
    actions.append(reload);
  }
  if (isEditable(record)) {
    const edit = el('button', 'edit', record.state === 'draft' ? 'Lanjutkan' : 'Ubah');
    edit.type = 'button';
    edit.addEventListener('click', () => openForm(record.id));
    actions.append(edit);
  }
  if (['draft', 'needs_fix', 'duplicate', 'invalid'].includes(record.state)) {
    const remove = el('button', 'delete', 'Hapus');
    remove.type = 'button';
    remove.addEventListener('click', () => removeRecord(record));
    actions.append(remove);
  }
  if (['queued', 'sent', 'accepted'].includes(record.state)) {
    const receipt = el('button', 'receipt-open', 'Tanda terima');
    receipt.type = 'button';
    receipt.addEventListener('click', () => showReceipt(record));
    actions.append(receipt);
  }
  if (actions.childElementCount) li.append(actions);
  return li;
}

// The outbox belongs to the user who wrote it: on a shared phone another user
// sees only how many records others left (never their names or NIKs).
function ownedByMe(record) {
  return Boolean(state.session) && (!record.owner || record.owner === state.session.username);
}

async function myRecords() {
  return (await store.allRecords()).filter(ownedByMe);
}

async function renderOutbox() {
  const all = await store.allRecords();
  const records = all.filter(ownedByMe).sort((a, b) => b.created_at.localeCompare(a.created_at));
  const others = all.filter((r) => !ownedByMe(r) && r.state !== 'accepted').length;
  $('#outbox-others').hidden = others === 0;
  $('#outbox-others').textContent = others
    ? `${others} data milik petugas lain tersimpan di HP ini (tidak ditampilkan; dikirim saat petugas itu masuk).` : '';
  const waiting = records.filter((r) => r.state !== 'accepted');
  const accepted = records.filter((r) => r.state === 'accepted');
  $('#outbox-list').replaceChildren(...waiting.map(card));
  $('#sent-list').replaceChildren(...accepted.map(card));
  $('#outbox-empty').hidden = waiting.length > 0;
  $('#sent-empty').hidden = accepted.length > 0;
  const sendable = records.filter((r) => r.state === 'queued' || r.state === 'sent' || r.state === 'fix_queued').length;
  $('#outbox-summary').textContent = `${sendable} siap dikirim · ${waiting.length - sendable} perlu dilengkapi/diperbaiki · ${accepted.length} diterima`;
  $('#send-all').disabled = sendable === 0 || state.sending;
  await renderFreshness(records);
  scheduleRetry(records);
}

// --- freshness, receipt, NIK proposal, household (issue 14) -------------------------

async function renderFreshness(records) {
  const ref = state.reference || {};
  const lines = freshnessLines({ reference: await store.getMeta('reference_stamp'), dedupe: await store.getMeta('dedupe_stamp'),
    records, staleDays: ref.field_stale_days || 7, outboxDays: ref.field_outbox_stale_days || 3,
    offsetMs: (await store.getMeta('clock_offset')) ?? null });
  const items = lines.map((line) => {
    const li = el('li', line.warn ? 'warn' : 'ok', line.text);
    li.dataset.kind = line.kind;
    li.dataset.warn = String(line.warn);
    return li;
  });
  if (state.session?.role !== 'enumerator') items.splice(1, 1);
  $('#freshness').replaceChildren(...items);
}

function showReceipt(record) {
  const r = receiptOf(record, state.session?.username);
  $('#receipt-id').textContent = r.id;
  $('#receipt-name').textContent = r.full_name;
  $('#receipt-nik').textContent = r.nik_masked;
  $('#receipt-date').textContent = r.date;
  $('#receipt-enumerator').textContent = r.enumerator;
  $('#receipt-qr').src = qrDataUrl(r.id);
  $('#receipt').dataset.id = r.id;
  state.receiptRecord = record;
  show('view-receipt');
}

async function addHouseholdMember() {
  const from = state.receiptRecord;
  await openForm(null, from ? householdCopy(from.data) : {});
  say('Data rumah tangga (KK, alamat, RT/RW, kelurahan) disalin: periksa sebelum melanjutkan.', 'warn');
}

function refreshNikProposal() {
  const data = form.getData();
  const proposal = proposeFromNik(data.nik);
  const box = $('#nik-proposal');
  if (!proposal || (proposal.birth_date === data.birth_date && proposal.sex === data.sex)) {
    box.hidden = true;
    return;
  }
  state.nikProposal = proposal;
  $('#nik-proposal-text').textContent = `Dari NIK: lahir ${toDmy(proposal.birth_date)}, ${proposal.sex === 'P' ? 'perempuan' : 'laki-laki'}. Benar?`;
  box.hidden = false;
}

function useNikProposal() {
  const proposal = state.nikProposal;
  if (!proposal) return;
  const root = $('#record-form');
  const date = root.querySelector('[name=birth_date]');
  date.value = toDmy(proposal.birth_date);
  date.dispatchEvent(new Event('input', { bubbles: true }));
  const sex = root.querySelector(`[name=sex][value=${proposal.sex}]`);
  sex.checked = true;
  sex.dispatchEvent(new Event('change', { bubbles: true }));
  sex.dispatchEvent(new Event('input', { bubbles: true }));
  $('#nik-proposal').hidden = true;
}

async function forgetHints() {
  state.dedupe = null;
  await store.setMeta('dedupe', undefined);
  await store.setMeta('dedupe_stamp', undefined);
}

function askBackgroundSync() {
  // Android Chrome: the service worker's sync event fires when the signal returns,
  // even with the app closed; elsewhere the outbox goes at the next open (start()).
  navigator.serviceWorker?.ready?.then((reg) => reg.sync?.register('outbox')).catch(() => {});
}

async function removeRecord(record) {
  if (!window.confirm(`Hapus data ${record.data.full_name || 'ini'} dari HP? Data yang dihapus tidak bisa dikembalikan.`)) return;
  await store.deleteRecord(record.id);
  await renderOutbox();
}

// --- the form -----------------------------------------------------------------

async function openForm(id = null, prefill = {}) {
  let record = id ? await store.getRecord(id) : null;
  if (!record) {
    // The id exists from the first moment, so every later save and send is the same record.
    record = newRecord(uuid4(), new Date(), state.reference?.kelurahan?.code || '');
    record.data = { ...record.data, ...prefill };
    record.owner = state.session?.username || null;
    await store.putRecords([record]);
  }
  state.record = record;
  form.setReference(state.reference);
  form.setData(record.data);
  const serverErrors = { ...(record.result?.errors || {}) };
  state.serverErrors = serverErrors;
  const banner = $('#form-result');
  const lines = problemLines(record);
  const why = FIX_STATES.has(record.state) && record.reason?.text ? `Perlu diperbaiki (alasan dari ${record.reason.from}): ${record.reason.text}. ` : '';
  banner.textContent = (why + (lines.length ? `Jawaban server: ${lines.join(' ')}` : '')).trim();
  banner.hidden = !banner.textContent;
  const firstBad = form.showProblems(validateRecord(form.getData(), state.reference), serverErrors, true);
  if (firstBad && Object.keys(serverErrors).length) form.goTo(firstBad);
  refreshDedupeHint();
  refreshNikProposal();
  show('view-form');
}

function refreshDedupeHint() {
  const hints = duplicateHints(state.dedupe, form.getData());
  const box = $('#dedupe-hint');
  box.textContent = hints.length
    ? `Perhatian: ${hints.includes('nik') ? 'NIK ini' : 'nama dan tanggal lahir ini'} mungkin sudah terdaftar (di kelurahan ini atau sekitarnya). `
      + 'Tanyakan apakah pekerja pernah didata; server akan memastikan saat dikirim.'
    : '';
  box.hidden = !hints.length;
}

async function saveForm(wantQueue) {
  const current = await store.getRecord(state.record.id);
  if (current && FIX_EDITABLE.has(current.state)) {
    await saveFixForm(current, wantQueue);
    return;
  }
  if (!current || !isEditable(current)) {
    say('Data ini sedang dikirim dan tidak bisa diubah sekarang.', 'error');
    show('view-outbox');
    await renderOutbox();
    return;
  }
  const data = { ...current.data, ...form.getData() };
  const checked = validateRecord(data, state.reference);
  const complete = isComplete(data, state.reference);
  if (wantQueue && !complete) {
    const step = form.showProblems(checked, {}, false);
    if (step) form.goTo(step);
    say('Ada isian yang perlu diperbaiki (tanda merah). Bila belum lengkap, pilih "Simpan sebagai draf".', 'error');
    return;
  }
  const hints = duplicateHints(state.dedupe, data);
  if (hints.length) data.possible_duplicate = hints.join(','); // saved despite the hint: the flag travels
  else delete data.possible_duplicate;
  const saved = saveEdits(current, data, wantQueue && complete);
  saved.owner = current.owner || state.session?.username || null;
  try {
    await store.putRecords([saved]);
  } catch (err) {
    if (err?.name === 'QuotaExceededError' || /quota/i.test(String(err?.message))) {
      say('Memori HP penuh: data ini BELUM tersimpan dan masih ada di formulir. Kirim data yang menunggu atau kosongkan ruang, lalu tekan Simpan lagi.', 'error');
      return;
    }
    throw err;
  }
  if (saved.state === 'queued') askBackgroundSync();
  state.record = null;
  say(saved.state === 'queued' ? 'Tersimpan di HP. Tekan "Kirim" saat ada sinyal.' : 'Draf tersimpan di HP.');
  show('view-outbox');
  await renderOutbox();
}

async function saveFixForm(current, wantQueue) {
  const data = { ...current.data, ...form.getData() };
  if (!isComplete(data, state.reference)) {
    const step = form.showProblems(validateRecord(data, state.reference), {}, false);
    if (step) form.goTo(step);
    say('Ada isian yang perlu diperbaiki (tanda merah).', 'error');
    return;
  }
  if (!wantQueue) {
    await store.putRecords([{ ...current, data: { ...data, id: current.id }, updated_at: new Date().toISOString() }]);
  } else {
    await store.putRecords([saveFix(current, data)]);
  }
  state.record = null;
  say(wantQueue ? 'Perbaikan tersimpan di HP. Tekan "Kirim" saat ada sinyal.' : 'Perbaikan disimpan sebagai draf.');
  show('view-outbox');
  await renderOutbox();
}

async function reloadFix(record) {
  if (!sessionValid() || !navigator.onLine) {
    say('Muat ulang perlu sinyal dan sesi yang masih berlaku.', 'warn');
    return;
  }
  try {
    const answer = await api.getEnrollment(state.session.token, record.id);
    if (answer.status !== 200) {
      say(`Data tidak dapat dimuat ulang (kode ${answer.status}).`, 'error');
      return;
    }
    const fresh = answer.body.status === 'needs_fix' ? fixRecord(answer.body, record) : minimised(record, answer.body);
    await store.putRecords([fresh]);
    say(fresh.state === 'fix' ? 'Versi terbaru dimuat. Periksa lalu perbaiki lagi.' : 'Versi terbaru dimuat: data ini tidak perlu diperbaiki lagi.');
  } catch {
    say('Server tidak terjangkau. Coba lagi nanti.', 'warn');
  }
  await renderOutbox();
}

async function autosaveDraft() {
  // A draft is kept as typed (power cuts, phone calls); other states only change on "Simpan".
  if (!state.record) return;
  const current = await store.getRecord(state.record.id);
  if (current && current.state === 'draft') {
    await store.putRecords([{ ...current, data: { ...current.data, ...form.getData() }, updated_at: new Date().toISOString() }]);
  }
}

function captureLocation() {
  if (!navigator.geolocation) {
    $('#gps-status').textContent = 'HP ini tidak bisa memberi lokasi.';
    return;
  }
  $('#gps-status').textContent = 'Mencari lokasi… (di luar rumah lebih cepat)';
  navigator.geolocation.getCurrentPosition(
    (pos) => form.setLocation({ lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy_m: pos.coords.accuracy }),
    (err) => { $('#gps-status').textContent = `Lokasi tidak didapat (${err.code === 1 ? 'izin ditolak' : 'sinyal GPS lemah'}). Boleh dilewati.`; },
    { enableHighAccuracy: true, timeout: 30000, maximumAge: 60000 },
  );
}

// --- server: login, sending, pulls ------------------------------------------------

async function doLogin(event) {
  event.preventDefault();
  const f = event.target;
  $('#login-error').textContent = '';
  let answer;
  try {
    answer = await api.login(f.username.value.trim(), f.password.value);
  } catch {
    $('#login-error').textContent = 'Server tidak terjangkau. Masuk hanya bisa saat terhubung ke server kelurahan.';
    return;
  }
  if (answer.status !== 200) {
    $('#login-error').textContent = answer.body?.message || `Gagal masuk (kode ${answer.status}).`;
    return;
  }
  state.session = { token: answer.body.token, role: answer.body.role, expires_at: answer.body.expires_at,
    username: answer.body.username || f.username.value.trim() };
  await store.setMeta('session', state.session);
  f.password.value = '';
  updateNetStatus();
  show('view-outbox');
  await refreshFromServer();
  await renderOutbox();
}

function askLogin(reason) {
  $('#login-reason').textContent = reason;
  $('#login-cancel').hidden = !state.session;
  show('view-login');
}

async function send() {
  if (state.sending) return;
  if (!sessionValid()) {
    askLogin('Sesi Anda sudah berakhir. Masuk lagi untuk mengirim; data di HP tetap aman.');
    return;
  }
  state.sending = true;
  $('#send-all').disabled = true;
  say('Mengirim…');
  const mine = { all: myRecords, putMany: store.putRecords };
  let message = ['', ''];
  try {
    const summary = await sendOutbox({ store: mine, post: (items) => api.postBatch(state.session.token, items),
      onProgress: (p) => say(`Mengirim… ${p.done} dari ${p.total}`) });
    if (summary.stopped === 'auth') {
      state.session = { ...state.session, expires_at: new Date(0).toISOString() };
      await store.setMeta('session', state.session);
    } else if (summary.stopped) {
      message = [`Server tidak terjangkau. ${summary.pending} data menunggu dan akan dicoba lagi otomatis.`, 'warn'];
    } else {
      const troubles = summary.needs_fix + summary.duplicate + summary.invalid;
      message = [`Terkirim: ${summary.accepted} diterima, ${summary.needs_fix} perlu perbaikan, `
        + `${summary.duplicate} NIK ganda${summary.invalid ? `, ${summary.invalid} tidak diterima` : ''}.`, troubles ? 'warn' : ''];
      const fixes = await sendFixes({ store: mine, patch: (id, version, body) => api.patchEnrollment(state.session.token, id, version, body) });
      if (fixes.fixed || fixes.conflict || fixes.invalid || fixes.stopped) {
        message = [`${message[0]} Perbaikan: ${fixes.fixed} terkirim`
          + `${fixes.conflict ? `, ${fixes.conflict} sudah diubah orang lain (tekan "Muat ulang")` : ''}`
          + `${fixes.invalid ? `, ${fixes.invalid} perlu diperiksa lagi` : ''}`
          + `${fixes.stopped ? `, ${fixes.pending} menunggu sinyal` : ''}.`, fixes.conflict || fixes.invalid || fixes.stopped ? 'warn' : message[1]];
      }
      await pullStatuses();
    }
  } finally {
    state.sending = false;
    updateNetStatus();
    await renderOutbox(); // the list first, then the message: what the message says is on screen
  }
  if (!sessionValid()) askLogin('Sesi Anda sudah berakhir. Masuk lagi untuk mengirim; data di HP tetap aman.');
  else say(...message);
}

function scheduleRetry(records) {
  clearTimeout(state.retryTimer);
  const due = nextRetryAt(records);
  if (!due || !sessionValid()) return;
  const wait = Math.max(1000, Date.parse(due) - Date.now());
  state.retryTimer = setTimeout(() => { if (navigator.onLine && !state.sending) send(); }, wait);
}

async function revokePending() {
  const tokens = (await store.getMeta('revoke')) || [];
  if (!tokens.length || !navigator.onLine) return;
  const left = [];
  for (const token of tokens) {
    try {
      const answer = await api.revokeToken(token);
      if (answer.status >= 500) left.push(token);
    } catch {
      left.push(token); // unreachable: try again later
    }
  }
  await store.setMeta('revoke', left.length ? left : undefined);
}

async function pullStatuses() {
  if (!sessionValid() || !navigator.onLine) return;
  try {
    const answer = await api.listOwnRecords(state.session.token);
    if (answer.status !== 200) return;
    const records = await store.allRecords();
    const changed = applyServerStatuses(records, answer.items);
    if (changed.length) await store.putRecords(changed);
    await mergeFromServer(answer.items);
  } catch {
    // offline again: statuses wait for the next chance
  }
}

/** Records sent back for a fix come to the phone whole; central's decisions show on accepted ones. */
async function mergeFromServer(items) {
  const records = await store.allRecords();
  const fixes = mergeFixes(records, items);
  const fixed = new Set(fixes.map((r) => r.id));
  const byId = new Map(items.map((item) => [item.id, item]));
  const at = new Date().toISOString();
  const notes = [];
  for (const record of records) {
    const item = byId.get(record.id);
    if (!item || record.state !== 'accepted' || fixed.has(record.id)) continue;
    const view = serverView(item, at);
    const before = record.server || {};
    if (before.status !== view.status || before.central_status !== view.central_status
        || before.central_reason !== view.central_reason || before.kpj_number !== view.kpj_number) {
      notes.push({ ...record, server: view });
    }
  }
  if (fixes.length || notes.length) await store.putRecords([...fixes, ...notes]);
}

async function refreshFromServer() {
  if (!sessionValid() || !navigator.onLine) return;
  try {
    const ref = await api.getReference(state.session.token);
    if (ref.status === 200) {
      state.reference = ref.body;
      await store.setMeta('reference', ref.body);
      const refStamp = stamp(ref.body.server_time);
      await store.setMeta('reference_stamp', refStamp);
      if (offsetOf(refStamp) !== null) await store.setMeta('clock_offset', offsetOf(refStamp));
      document.body.dataset.reference = ref.body.app_build || 'ready'; // lists are on the phone now
    }
    if (state.session.role === 'enumerator') {
      const dedupe = await api.getDedupe(state.session.token);
      if (dedupe) {
        state.dedupe = dedupe;
        await store.setMeta('dedupe', dedupe);
        await store.setMeta('dedupe_stamp', stamp(dedupe.fetched_at));
      }
    }
    await pullStatuses();
    document.body.dataset.refreshedAt = new Date().toISOString(); // lists, hints and statuses are current
  } catch {
    // no connection: the cached lists stay in use
  }
}

// --- start --------------------------------------------------------------------

function registerServiceWorker() {
  const secure = window.isSecureContext && 'serviceWorker' in navigator;
  $('#secure-warning').hidden = secure;
  if (!secure) return;
  navigator.serviceWorker.register('/app/sw.js', { scope: '/app/' }).catch(() => {
    // Secure context but no worker: over https that means an untrusted certificate.
    $(location.protocol === 'https:' ? '#cert-warning' : '#secure-warning').hidden = false;
  });
}

function wire() {
  form = new RecordForm($('#record-form'));
  $('#login-form').addEventListener('submit', doLogin);
  $('#login-cancel').addEventListener('click', async () => { show('view-outbox'); await renderOutbox(); });
  $('#new-record').addEventListener('click', () => openForm());
  $('#send-all').addEventListener('click', send);
  $('#relogin').addEventListener('click', () => askLogin('Masuk lagi untuk mengirim.'));
  $('#logout').addEventListener('click', async () => {
    const waiting = (await myRecords()).filter((r) => r.state !== 'accepted').length;
    if (waiting && !window.confirm(`${waiting} data belum diterima server dan tetap disimpan di HP. Keluar?`)) return;
    const token = state.session?.token;
    state.session = null;
    await store.setMeta('session', undefined);
    await forgetHints(); // the key and filter leave with the token
    // The token is revoked at the server, not only forgotten here; offline, it is
    // kept (alone) and revoked at the next chance.
    if (token) await store.setMeta('revoke', [...((await store.getMeta('revoke')) || []), token]);
    await revokePending();
    updateNetStatus();
    askLogin('');
  });
  $('#record-form').addEventListener('submit', (e) => { e.preventDefault(); saveForm(true); });
  $('#save-draft').addEventListener('click', () => saveForm(false));
  $('#form-cancel').addEventListener('click', async () => { await autosaveDraft(); state.record = null; show('view-outbox'); await renderOutbox(); });
  $('#step-next').addEventListener('click', autosaveDraft);
  $('#step-prev').addEventListener('click', autosaveDraft);
  $('#gps-button').addEventListener('click', captureLocation);
  $('#nik-proposal-use').addEventListener('click', useNikProposal);
  $('#receipt-done').addEventListener('click', async () => { show('view-outbox'); await renderOutbox(); });
  $('#receipt-household').addEventListener('click', addHouseholdMember);
  navigator.serviceWorker?.addEventListener('message', (e) => {
    if (e.data?.type === 'send-outbox' && navigator.onLine && sessionValid() && !state.sending) send();
  });
  $('#gps-clear').addEventListener('click', () => form.setLocation(null));
  $('#record-form').addEventListener('record-change', (e) => {
    // A field the enumerator has changed no longer shows the server's old complaint.
    const changed = e.detail.name === 'consent_method' ? 'consent_method' : e.detail.name;
    for (const key of Object.keys(state.serverErrors)) if (fieldForServerKey(key) === changed) delete state.serverErrors[key];
    form.showProblems(validateRecord(form.getData(), state.reference), state.serverErrors, true);
    if (['nik', 'full_name', 'birth_date'].includes(e.detail.name)) refreshDedupeHint();
    if (['nik', 'birth_date', 'sex'].includes(e.detail.name)) refreshNikProposal();
  });
  $('#record-form').addEventListener('change', () => {
    form.showProblems(validateRecord(form.getData(), state.reference), state.serverErrors, true);
  });
  document.addEventListener('visibilitychange', () => { if (document.hidden) autosaveDraft(); });
  window.addEventListener('online', async () => { updateNetStatus(); await revokePending(); await refreshFromServer(); await renderOutbox(); });
  window.addEventListener('offline', updateNetStatus);
}

async function start() {
  wire();
  registerServiceWorker();
  state.session = (await store.getMeta('session')) || null;
  state.reference = (await store.getMeta('reference')) || null;
  state.dedupe = (await store.getMeta('dedupe')) || null;
  if (state.dedupe && !sessionValid()) await forgetHints(); // tied to the token: gone when it ends
  if (state.reference) document.body.dataset.reference = state.reference.app_build || 'ready';
  updateNetStatus();
  revokePending().catch(() => {});
  if (!state.session) {
    askLogin('Masuk sekali saat terhubung ke server kelurahan; setelah itu aplikasi bisa dipakai tanpa sinyal.');
    return;
  }
  show('view-outbox');
  await renderOutbox();
  if (!sessionValid()) say('Sesi Anda sudah berakhir: data tetap bisa dicatat; masuk lagi sebelum mengirim.', 'warn');
  await refreshFromServer();
  await renderOutbox();
  // Without Background Sync the outbox goes at the next open (the same idempotent :batch).
  const waiting = (await myRecords()).some((r) => r.state === 'queued');
  if (waiting && navigator.onLine && sessionValid() && !state.sending) await send();
}

start().catch((err) => say(`Aplikasi gagal dimulai: ${err.message}`, 'error'));
