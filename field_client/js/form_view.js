/**
 * The form screen: opening a record (new, draft, or one sent back for a fix),
 * saving it as a draft or into the outbox, closing it (the leave dialog), and
 * "Tambah anggota keluarga" from a receipt. The form's fields and steps are form.js;
 * the rules are validate.js; what is typed written as typed is form_autosave.js; the
 * duplicate hint, the NIK proposal, the location and the household copy are
 * form_assist.js.
 *
 * What is typed is never lost (docs/field-app.md, 4): while a record is open it
 * carries ``editing`` (written before the form shows, so no send takes the record
 * from under the form), and what is typed is written as typed (form_autosave.js).
 * A draft keeps it as its data; a record already saved keeps it as its pending
 * change (``editing.data``) until "Simpan" or the enumerator's choice on leaving.
 * A reload or Back resumes the form where it was.
 */
import * as store from './store.js';
import { RecordForm } from './form.js';
import {
  centralFieldErrors, clockOf, explainedErrors, fieldForServerKey, isComplete, validateRecord,
} from './validate.js';
import { duplicateHints } from './dedupe.js';
import { householdCopy } from './nikpropose.js';
import { STATE_LABELS, closedForEditing, isEditable, newRecord, saveEdits } from './outbox.js';
import { FIX_EDITABLE, FIX_STATES, FIX_STATE_LABELS, saveFix } from './fixes.js';
import {
  cancelAutosave, flushAutosave, initAutosave, isQuotaError, markWritten, putKept, scheduleAutosave, typedNow,
} from './form_autosave.js';
import {
  householdFromServer, initAssist, refreshDedupeHint, refreshNikProposal, rememberHousehold,
} from './form_assist.js';
import { problemLines, showOutbox } from './outbox_view.js';
import { hintsInForce, myRecords } from './session.js';
import { $, NOTICE_MS, inert, say, show, state } from './ui.js';

let form;
let clock = clockOf(); // the server's time as the phone knows it (consent time), read as a form opens
let untouched = null; // a new record's form values as opened (prefill only): {id, typed}

/** Builds the form on the page; called once at start, before any record opens. */
export function initForm() {
  form = new RecordForm($('#record-form'));
  initAutosave(form);
  initAssist(form);
}

/** A UUID v4: crypto.randomUUID needs a secure context, getRandomValues does not. */
export function uuid4() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Whether the form may open this record now (a draft, a refused or sent-back one, one waiting to be sent). */
function openable(record) {
  return isEditable(record) || FIX_EDITABLE.has(record.state);
}

export async function openForm(id = null, prefill = {}) {
  let record = id ? await store.getRecord(id) : null;
  if (record && !openable(record)) {
    if (record.editing) await store.putRecords([closedForEditing(record)]);
    say('Data ini sedang dikirim dan tidak bisa diubah sekarang.', 'error');
    await showOutbox();
    return false;
  }
  if (record && state.sending && !record.editing && ['queued', 'fix_queued'].includes(record.state)) {
    // the send in progress holds it: opening it now would lose the change
    say('Data ini sedang dikirim. Tunggu sampai pengiriman selesai, lalu ubah lagi bila perlu.', 'warn');
    return false;
  }
  const isNew = !record;
  if (!record) {
    // The id exists from the first moment, so every later save and send is the same record.
    record = newRecord(uuid4(), new Date(), state.reference?.kelurahan?.code || '');
    record.data = { ...record.data, ...prefill };
    record.owner = state.session?.username || null;
  }
  const shown = record.editing?.data || record.data;
  const step = record.editing?.step || 1;
  // Marked open before the form shows it: from here no send takes it from under the form.
  record = { ...record, editing: { ...(record.editing || {}), at: new Date().toISOString(), step } };
  await store.putRecords([record]);
  state.record = record;
  rememberHousehold(record.id, shown);
  state.localRecords = await myRecords(); // for "already recorded on this phone"
  form.setReference(state.reference);
  form.setData(shown);
  const typed = typedNow();
  markWritten(typed);
  if (isNew) {
    // kept with the record too: a reload before any typing reopens it still untouched
    record = { ...record, editing: { ...record.editing, untouched: typed } };
    state.record = record;
    await store.putRecords([record]);
  }
  const opened = record.state === 'draft' ? record.editing?.untouched : undefined;
  untouched = typeof opened === 'string' ? { id: record.id, typed: opened } : null;
  state.notice = null;
  await readClock();
  const serverErrors = { ...centralFieldErrors(record.reason, state.reference?.central_reasons || {}),
    ...explainedErrors(record.result, clock.wrong) };
  state.serverErrors = serverErrors;
  const banner = $('#form-result');
  const lines = problemLines(record);
  const why = FIX_STATES.has(record.state) && record.reason?.text ? `Perlu diperbaiki (alasan dari ${record.reason.from}): ${record.reason.text}. ` : '';
  banner.textContent = inert((why + (lines.length ? `Jawaban server: ${lines.join(' ')}` : '')).trim());
  banner.hidden = !banner.textContent;
  // a record saved before (a fix, one refused or waiting) may hold a value stored by an
  // older app or changed elsewhere (U+202E in the address, a consent time central refused):
  // marked red, with its code, as it opens; a new record or a draft only where visited
  const saved = record.state !== 'draft';
  const firstBad = form.showProblems(checks(form.getData()), serverErrors, !saved);
  if (firstBad && (saved || Object.keys(serverErrors).length)) form.goTo(firstBad);
  else if (step > 1) form.goTo(step);
  refreshDedupeHint();
  refreshNikProposal();
  say(''); // the list's last message was about another moment
  show('view-form');
  return true;
}

/** The phone's clock against the server's (clock_offset from the last server answer). */
async function readClock() {
  clock = clockOf((await store.getMeta('clock_offset')) ?? null);
  state.clockWrong = clock.wrong;
}

/** The phone's checks of the form's values (validate.js), with the clock as known. */
function checks(data) {
  return validateRecord(data, state.reference, undefined, clock);
}

/** At start or after a login: the record the enumerator had open (reload, Back, the
 * app killed) opens again as it was left. */
export async function resumeForm() {
  const open = (await myRecords()).filter((r) => r.editing)
    .sort((a, b) => String(b.editing.at).localeCompare(String(a.editing.at)))[0];
  if (!open) return;
  if (await openForm(open.id)) say('Isian yang belum selesai dibuka lagi.');
}

/** A field changed: its old server complaint goes, the checks and hints run again. */
export function onRecordChange(event) {
  // A field the enumerator has changed no longer shows the server's old complaint.
  const changed = event.detail.name === 'consent_method' ? 'consent_method' : event.detail.name;
  for (const key of Object.keys(state.serverErrors)) if (fieldForServerKey(key) === changed) delete state.serverErrors[key];
  // the hints first: a check that fails on a half-loaded form never leaves a stale hint
  if (['nik', 'full_name', 'birth_date'].includes(event.detail.name)) refreshDedupeHint();
  if (['nik', 'birth_date', 'sex'].includes(event.detail.name)) refreshNikProposal();
  scheduleAutosave();
  recheck();
}

export function recheck() {
  form.showProblems(checks(form.getData()), state.serverErrors, state.record?.state === 'draft');
}

function askBackgroundSync() {
  // Android Chrome: the service worker's sync event fires when the signal returns,
  // even with the app closed; elsewhere the outbox goes at the next open (start()).
  navigator.serviceWorker?.ready?.then((reg) => reg.sync?.register('outbox')).catch(() => {});
}

export async function saveForm(wantQueue) {
  cancelAutosave(); // what is typed is saved now, whole
  const current = await store.getRecord(state.record.id);
  if (current && FIX_EDITABLE.has(current.state)) {
    await saveFixForm(current, wantQueue);
    return;
  }
  if (!current || !isEditable(current)) {
    say('Data ini sedang dikirim dan tidak bisa diubah sekarang.', 'error');
    await showOutbox();
    return;
  }
  const data = { ...current.data, ...form.getData() };
  rememberHousehold(current.id, data);
  const checked = checks(data);
  const complete = isComplete(data, state.reference, clock);
  if (wantQueue && !complete) {
    const step = form.showProblems(checked, {}, false);
    if (step) form.goTo(step);
    say('Ada isian yang perlu diperbaiki (tanda merah). Bila belum lengkap, pilih "Simpan sebagai draf".', 'error');
    return;
  }
  const hints = duplicateHints(hintsInForce(), data);
  if (hints.length) data.possible_duplicate = hints.join(','); // saved despite the hint: the flag travels
  else delete data.possible_duplicate;
  const saved = saveEdits(current, data, wantQueue && complete);
  saved.owner = current.owner || state.session?.username || null;
  try {
    await putKept(saved);
  } catch (err) {
    if (isQuotaError(err)) {
      say('Memori HP penuh: data ini BELUM tersimpan dan masih ada di formulir. Kirim data yang menunggu atau kosongkan ruang, lalu tekan Simpan lagi.', 'error');
      return;
    }
    throw err;
  }
  if (saved.state === 'queued') askBackgroundSync();
  state.record = null;
  say(saved.state === 'queued' ? 'Tersimpan di HP. Tekan "Kirim" saat ada sinyal.' : 'Draf tersimpan di HP.');
  await showOutbox();
}

async function saveFixForm(current, wantQueue) {
  const data = { ...current.data, ...form.getData() };
  rememberHousehold(current.id, data);
  if (!isComplete(data, state.reference, clock)) {
    const step = form.showProblems(checks(data), {}, false);
    if (step) form.goTo(step);
    say('Ada isian yang perlu diperbaiki (tanda merah).', 'error');
    return;
  }
  if (!wantQueue) {
    await putKept({ ...closedForEditing(current), data: { ...data, id: current.id }, local_change: true,
      base_version: state.record?.base_version ?? current.base_version, updated_at: new Date().toISOString() });
  } else {
    // sent with the version the form was opened on, not a newer one the phone may have
    // downloaded since: a server changed meanwhile answers 412 (reload and compare)
    await putKept(saveFix({ ...current, base_version: state.record?.base_version ?? current.base_version }, data));
  }
  state.record = null;
  say(wantQueue ? 'Perbaikan tersimpan di HP. Tekan "Kirim" saat ada sinyal.' : 'Perbaikan disimpan sebagai draf.');
  await showOutbox();
}

/** The form's values differ from the record's saved data (empty values aside). */
function changedFromSaved(record) {
  return stableText({ ...record.data, ...form.getData() }) !== stableText(record.data);
}

function stableText(value) {
  if (Array.isArray(value)) return `[${value.map(stableText).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).filter((k) => !(value[k] === null || value[k] === undefined || value[k] === ''))
      .sort().map((k) => `${JSON.stringify(k)}:${stableText(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The form closes on ``record`` as it should stay (no mark, no pending change). */
async function leaveForm(record) {
  cancelAutosave();
  const closed = closedForEditing(record);
  state.record = null; // no write of what is typed after this one
  await putKept(closed);
  if (closed.state === 'queued') askBackgroundSync(); // held back while it was open
  await showOutbox();
}

/**
 * "Kembali ke daftar": a draft is kept as typed; a record already saved and not
 * changed just closes; one changed asks (save, discard, keep editing) and never
 * drops what was typed without the enumerator's choice.
 */
export async function closeForm() {
  const record = state.record;
  if (!record) {
    await showOutbox();
    return;
  }
  if (record.state === 'draft' && untouched?.id === record.id && typedNow() === untouched.typed) {
    // a new form left as it opened (empty, or only a household copied from a receipt):
    // nothing of it stays on the phone, no empty draft, no KK and address of a sent household
    cancelAutosave();
    state.record = null;
    untouched = null;
    await store.deleteRecord(record.id);
    await showOutbox();
    say('');
    return;
  }
  if (record.state === 'draft') {
    // kept as typed, in the same (kept) write that closes it: a reload right after still finds it closed
    await leaveForm({ ...record, data: { ...record.data, ...form.getData() }, updated_at: new Date().toISOString() });
    say('Draf tersimpan di HP.');
    return;
  }
  if (changedFromSaved(record)) {
    await flushAutosave(); // kept as the pending change while the enumerator decides
    $('#leave-dialog').showModal();
    return;
  }
  await leaveForm(record);
  say('');
}

/** The leave dialog's answers. */
export async function leaveAnswer(answer) {
  $('#leave-dialog').close();
  if (answer === 'save') {
    await saveForm(true);
  } else if (answer === 'discard' && state.record) {
    const label = STATE_LABELS[state.record.state] || FIX_STATE_LABELS[state.record.state] || state.record.state;
    const notice = `Perubahan dibuang: data tetap seperti sebelum diubah (${label}).`;
    state.notice = { text: notice, until: Date.now() + NOTICE_MS }; // a send the closing starts (signal there) adds its result to it
    await leaveForm(state.record);
    if (state.notice) say(notice, 'warn'); // not yet taken by a send's result
  }
}

/** "Tambah anggota keluarga" on a receipt: a new record with the household's fields copied. */
export async function addHouseholdMember() {
  const from = state.receiptRecord;
  let copy = householdCopy(from?.data);
  if (from && !copy.kk_number && !copy.address) {
    copy = state.households.get(from.id) || (await householdFromServer(from.id)) || {};
  }
  const copied = Boolean(copy.kk_number || copy.address);
  if (!(await openForm(null, copied ? copy : {}))) return;
  if (copied) {
    say('Data rumah tangga (KK, alamat, RT/RW, kelurahan) disalin: periksa sebelum melanjutkan.', 'warn');
  } else {
    say('Data rumah tangga tidak bisa disalin: data itu sudah terkirim dan HP tidak tersambung ke server '
      + 'kelurahan. Isi KK dan alamat sendiri.', 'warn');
  }
}
