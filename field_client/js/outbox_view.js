/**
 * The outbox screen: the list of the user's records (waiting and accepted), what
 * the server said about each, the freshness lines, the receipt, and "Kirim" with
 * its automatic retry. The sending rules themselves are in outbox.js and fixes.js.
 */
import * as api from './api.js';
import * as store from './store.js';
import { formatMomentId } from './dates.js';
import { freshnessLines } from './freshness.js';
import { qrDataUrl, receiptOf } from './receipt.js';
import { explainedErrors, fieldForServerKey } from './validate.js';
import {
  REASONED, STATE_LABELS, SERVER_STATUS_LABELS, isEditable, isSendable, nextRetryAt, sendOutbox, stoppedText,
} from './outbox.js';
import {
  FIX_EDITABLE, FIX_STATES, FIX_STATE_LABELS, centralNote, fixRecord, minimised, sendFixes,
} from './fixes.js';
import { erasedText, pullStatuses } from './refresh.js';
import { askLogin, expireSession, myRecords, ownedByMe, sessionValid, updateNetStatus } from './session.js';
import { $, el, say, show, state } from './ui.js';

// The form opens from a card; app.js passes it in (the form view renders this list).
let openForm = async () => {};

export function setFormOpener(open) {
  openForm = open;
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

/** What is wrong with a record, one line each, as the list and the form show it. */
export function problemLines(record) {
  const result = record.result || {};
  const lines = [];
  if (record.state === 'duplicate') {
    lines.push('NIK ini sudah terdaftar di kelurahan. Bila NIK salah ketik, ubah lalu simpan lagi; bila orang yang sama, hapus data ini.');
  }
  for (const [field, messages] of Object.entries(explainedErrors(result, state.clockWrong))) {
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
  const note = record.state === 'accepted' ? centralNote(record.server, state.reference?.central_reasons) : '';
  if (note) {
    const central = el('div', 'central-note', note);
    central.dataset.centralStatus = record.server.central_status || record.server.status;
    li.append(central);
  }
  if (record.state === 'accepted' && record.server) {
    const label = SERVER_STATUS_LABELS[record.server.status] || record.server.status;
    const why = REASONED.has(record.server.status) ? record.server.review_reason : '';
    const review = el('div', 'server-status', label + (why ? `: ${why}` : ''));
    review.dataset.serverStatus = record.server.status;
    li.append(review);
  }
  const lines = problemLines(record);
  if (lines.length) {
    const ul = el('ul', 'problems');
    lines.forEach((line) => ul.append(el('li', '', line)));
    li.append(ul);
  }
  if (record.editing && record.state !== 'draft') {
    // left open (a login in between): its change is not saved, and it is not sent until it is
    li.append(el('div', 'editing-note', 'Sedang diubah: perubahan belum disimpan dan data ini belum dikirim. '
      + `Ketuk "${FIX_EDITABLE.has(record.state) ? 'Perbaiki' : 'Ubah'}" untuk menyimpan atau membuang perubahan.`));
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
  if (['draft', 'needs_fix', 'duplicate', 'erased', 'invalid'].includes(record.state)) {
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

/** What "Kirim" sends now: the outbox's and the fixes' (none open in the form). */
function canGo(record) {
  return isSendable(record) || (record.state === 'fix_queued' && !record.editing);
}

export async function renderOutbox() {
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
  const sendable = records.filter(canGo).length;
  $('#outbox-summary').textContent = `${sendable} siap dikirim · ${waiting.length - sendable} perlu dilengkapi/diperbaiki · ${accepted.length} diterima`;
  $('#send-all').disabled = sendable === 0 || state.sending;
  await renderFreshness(records);
  scheduleRetry(records);
}

/** Back to the list from another screen. */
export async function showOutbox() {
  show('view-outbox');
  await renderOutbox();
}

// --- freshness and receipt (issue 14) --------------------------------------------

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

// --- card actions ------------------------------------------------------------------

async function removeRecord(record) {
  if (!window.confirm(`Hapus data ${record.data.full_name || 'ini'} dari HP? Data yang dihapus tidak bisa dikembalikan.`)) return;
  await store.deleteRecord(record.id);
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

// --- "Kirim" and its automatic retry ----------------------------------------------


export async function send() {
  if (state.sending) return;
  if (!sessionValid()) {
    askLogin('Sesi Anda sudah berakhir. Masuk lagi untuk mengirim; data di HP tetap aman.');
    return;
  }
  state.sending = true;
  // Nothing can go (a record open in the form waits for it): no "Mengirim…", no "0 terkirim".
  if (!(await myRecords()).some(canGo)) {
    state.sending = false;
    return;
  }
  $('#send-all').disabled = true;
  say('Mengirim…');
  const mine = { all: myRecords, putMany: store.putRecords };
  let message = ['', ''];
  try {
    const summary = await sendOutbox({ store: mine, post: (items) => api.postBatch(state.session.token, items),
      onProgress: (p) => say(`Mengirim… ${p.done} dari ${p.total}`) });
    if (summary.stopped === 'auth') {
      await expireSession();
    } else if (summary.stopped) {
      message = [stoppedText(summary), summary.refusal?.status === 403 ? 'error' : 'warn'];
    } else {
      const troubles = summary.needs_fix + summary.duplicate + summary.erased + summary.invalid;
      message = [`Terkirim: ${summary.accepted} diterima, ${summary.needs_fix} perlu perbaikan, `
        + `${summary.duplicate} NIK ganda`
        + `${summary.erased ? `, ${summary.erased} ditolak karena orangnya minta datanya dihapus (hapus dari HP)` : ''}`
        + `${summary.invalid ? `, ${summary.invalid} tidak diterima` : ''}.`, troubles ? 'warn' : ''];
      const fixes = await sendFixes({ store: mine, patch: (id, version, body) => api.patchEnrollment(state.session.token, id, version, body) });
      if (fixes.fixed || fixes.conflict || fixes.invalid || fixes.closed || fixes.stopped) {
        message = [`${message[0]} Perbaikan: ${fixes.fixed} terkirim`
          + `${fixes.conflict ? `, ${fixes.conflict} sudah diubah orang lain (tekan "Muat ulang")` : ''}`
          + `${fixes.closed ? `, ${fixes.closed} sudah ditolak (lihat kartunya)` : ''}`
          + `${fixes.invalid ? `, ${fixes.invalid} perlu diperiksa lagi` : ''}`
          + `${fixes.stopped ? `, ${fixes.pending} menunggu sinyal` : ''}.`,
        fixes.conflict || fixes.invalid || fixes.closed || fixes.stopped ? 'warn' : message[1]];
      }
      const dropped = await pullStatuses();
      if (dropped) message = [`${message[0]} ${erasedText(dropped)}`, 'warn'];
    }
  } finally {
    state.sending = false;
    updateNetStatus();
    await renderOutbox(); // the list first, then the message: what the message says is on screen
  }
  if (sessionValid()) {
    // what the enumerator was just told (changes discarded) stays, with the send's result
    const notice = state.notice && state.notice.until > Date.now() ? state.notice.text : null;
    state.notice = null;
    if (notice && message[0]) say(`${notice} ${message[0]}`, 'warn');
    else if (notice) say(notice, 'warn');
    else say(...message);
  } else if (!$('#view-form').hidden) {
    // an automatic send met the end of the session while a record is open: the enumerator stays in it
    say('Sesi Anda sudah berakhir: isian tetap di HP. Masuk lagi (di daftar: "Masuk lagi") sebelum mengirim.', 'warn');
  } else {
    say(''); // "Mengirim…" is over; the login screen says why
    askLogin('Sesi Anda sudah berakhir. Masuk lagi untuk mengirim; data di HP tetap aman.');
  }
}

function scheduleRetry(records) {
  clearTimeout(state.retryTimer);
  const due = nextRetryAt(records);
  if (!due || !sessionValid()) return;
  const wait = Math.max(1000, Date.parse(due) - Date.now());
  state.retryTimer = setTimeout(() => { if (navigator.onLine && !state.sending) send(); }, wait);
}
