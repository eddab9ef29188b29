/**
 * The form screen: opening a record (new, draft, or one sent back for a fix),
 * saving it as a draft or into the outbox, the duplicate hint, the birth date and
 * sex proposed from the NIK, the household copy from a receipt, and the location.
 * The form's fields and steps are form.js; the rules are validate.js.
 *
 * What is typed is never lost (docs/field-app.md, 4): while a record is open it
 * carries ``editing`` (written before the form shows, so no send takes the record
 * from under the form), and what is typed is written as typed: after a pause in
 * typing (debounced), at once on a step change and when the page is hidden or left
 * (pagehide), and only when it changed (old phones pay for every IndexedDB write).
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
import { householdCopy, proposeFromNik, toDmy } from './nikpropose.js';
import * as api from './api.js';
import { STATE_LABELS, closedForEditing, isEditable, newRecord, saveEdits, sameNikHere } from './outbox.js';
import { FIX_EDITABLE, FIX_STATES, FIX_STATE_LABELS, saveFix } from './fixes.js';
import { problemLines, showOutbox } from './outbox_view.js';
import { hintsInForce, myRecords, sessionValid } from './session.js';
import { $, inert, say, show, state } from './ui.js';

let form;
const AUTOSAVE_MS = 500;
let autosaveTimer = null;
let lastWritten = null; // what the open record holds as typed (data only: a step change alone is no write)
let writing = 0; // writes of what is typed not yet confirmed
let clock = clockOf(); // the server's time as the phone knows it (consent time), read as a form opens
let untouched = null; // a new record's form values as opened (prefill only): {id, typed}

/** Builds the form on the page; called once at start, before any record opens. */
export function initForm() {
  form = new RecordForm($('#record-form'));
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
  lastWritten = typedNow();
  if (isNew) {
    // kept with the record too: a reload before any typing reopens it still untouched
    record = { ...record, editing: { ...record.editing, untouched: lastWritten } };
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

// --- written as typed ------------------------------------------------------------

/** The form's values as JSON (step aside): what decides whether a write is needed. */
function typedNow() {
  return JSON.stringify(form.getData());
}

/** Typing: written after a pause (a burst of keys is one write). */
export function scheduleAutosave() {
  if (!state.record) return;
  clearTimeout(autosaveTimer);
  autosaveTimer = setTimeout(() => { flushAutosave().catch(() => {}); }, AUTOSAVE_MS);
}

// A page being left (reload, Back, the tab closed) does not finish an IndexedDB
// write (Chromium aborts it with the page), so what is typed then is also put, at
// once, in localStorage; the next start moves it into the record
// (restoreTyped) and it is removed as soon as a write of the record is confirmed.
const STASH_KEY = 'berjasa-typed';

/** Keep ``record`` in localStorage until its IndexedDB write is confirmed; the stash's time. */
function stash(record) {
  const at = new Date().toISOString();
  try { localStorage.setItem(STASH_KEY, JSON.stringify({ at, record })); } catch { /* no storage: IndexedDB only */ }
  return at;
}

/** The write stashed at ``at`` is confirmed (or failed where the enumerator sees it): the stash goes,
 * unless a later one replaced it. */
function unstash(at) {
  try {
    if (JSON.parse(localStorage.getItem(STASH_KEY) || 'null')?.at === at) localStorage.removeItem(STASH_KEY);
  } catch { /* nothing stashed */ }
}

/** A write the page may not live to finish (the page left, the form closed or saved just before a reload). */
async function putKept(record) {
  const at = stash(record);
  try {
    await store.putRecords([record]);
  } catch (err) {
    // memory full: the enumerator is told and the form keeps it, so the copy goes; any other
    // failure is the page being torn down (the write aborted with it): the copy stays for the next start
    if (isQuotaError(err)) unstash(at);
    throw err;
  }
  unstash(at);
}

function isQuotaError(err) {
  return err?.name === 'QuotaExceededError' || /quota/i.test(String(err?.message));
}

/**
 * Write what is typed now if it changed: a draft as its data, a saved record as its
 * pending change (its saved version stays what "Kirim" would send, and nothing is
 * sent while it is open). ``leaving``: the page is hidden or going away, so the
 * change is also stashed synchronously.
 */
export function flushAutosave(leaving = false) {
  clearTimeout(autosaveTimer);
  autosaveTimer = null;
  const record = state.record;
  if (!record) return Promise.resolve();
  const typed = typedNow();
  if (typed === lastWritten) {
    if (leaving && writing) stash(record); // the write still running may die with the page
    return Promise.resolve();
  }
  const at = new Date().toISOString();
  const data = { ...record.data, ...JSON.parse(typed) };
  const kept = typeof record.editing?.untouched === 'string' ? { untouched: record.editing.untouched } : {};
  const next = record.state === 'draft'
    ? { ...record, data, updated_at: at, editing: { at, step: form.step, ...kept } }
    : { ...record, editing: { at, step: form.step, data } };
  state.record = next;
  lastWritten = typed;
  writing += 1;
  return (leaving ? putKept(next) : store.putRecords([next])).then(() => { writing -= 1; }, (err) => {
    writing -= 1;
    lastWritten = null; // not written (memory full): the form still holds it, tried again at the next change
    throw err;
  });
}

/**
 * At start: a write the page did not live to finish. Only onto the record still
 * open in the form (nothing else writes a record while it is open), and only if
 * later than what the record holds.
 */
export async function restoreTyped() {
  let kept = null;
  try { kept = JSON.parse(localStorage.getItem(STASH_KEY) || 'null'); } catch { kept = null; }
  if (kept?.record?.id) {
    const stored = await store.getRecord(kept.record.id);
    if (stored?.editing && String(kept.at) > String(stored.editing.at)) await store.putRecords([kept.record]);
  }
  try { localStorage.removeItem(STASH_KEY); } catch { /* nothing stashed */ }
}

/** A field changed: its old server complaint goes, the checks and hints run again. */
export function onRecordChange(event) {
  // A field the enumerator has changed no longer shows the server's old complaint.
  const changed = event.detail.name === 'consent_method' ? 'consent_method' : event.detail.name;
  for (const key of Object.keys(state.serverErrors)) if (fieldForServerKey(key) === changed) delete state.serverErrors[key];
  scheduleAutosave();
  recheck();
  if (['nik', 'full_name', 'birth_date'].includes(event.detail.name)) refreshDedupeHint();
  if (['nik', 'birth_date', 'sex'].includes(event.detail.name)) refreshNikProposal();
}

export function recheck() {
  form.showProblems(checks(form.getData()), state.serverErrors, state.record?.state === 'draft');
}

function refreshDedupeHint() {
  const data = form.getData();
  const hints = duplicateHints(hintsInForce(), data);
  const here = sameNikHere(state.localRecords || [], data.nik, state.record?.id);
  const lines = [];
  if (here) {
    lines.push(`Perhatian: NIK ini sudah dicatat di HP ini (${here.data.full_name || 'tanpa nama'}). `
      + 'Bila orang yang sama, buka data itu di kotak keluar; jangan dicatat dua kali.');
  }
  if (hints.length) {
    lines.push(`Perhatian: ${hints.includes('nik') ? 'NIK ini' : 'nama dan tanggal lahir ini'} mungkin sudah terdaftar (menurut petunjuk yang diunduh dari server). `
      + 'Tanyakan apakah pekerja pernah didata; server akan memastikan saat dikirim.');
  }
  const box = $('#dedupe-hint');
  box.textContent = inert(lines.join(' '));
  box.hidden = !lines.length;
}

function askBackgroundSync() {
  // Android Chrome: the service worker's sync event fires when the signal returns,
  // even with the app closed; elsewhere the outbox goes at the next open (start()).
  navigator.serviceWorker?.ready?.then((reg) => reg.sync?.register('outbox')).catch(() => {});
}

export async function saveForm(wantQueue) {
  clearTimeout(autosaveTimer); // what is typed is saved now, whole
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
  clearTimeout(autosaveTimer);
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
    clearTimeout(autosaveTimer);
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
    state.notice = { text: notice, until: Date.now() + 60000 }; // a send the closing starts (signal there) adds its result to it
    await leaveForm(state.record);
    if (state.notice) say(notice, 'warn'); // not yet taken by a send's result
  }
}

// --- location, NIK proposal, household (issue 14) ------------------------------------

export function captureLocation() {
  if (!navigator.geolocation) {
    $('#gps-status').textContent = 'HP ini tidak bisa memberi lokasi.';
    return;
  }
  $('#gps-status').textContent = 'Mencari lokasi… (di luar rumah lebih cepat)';
  navigator.geolocation.getCurrentPosition(
    (pos) => {
      form.setLocation({ lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy_m: pos.coords.accuracy });
      scheduleAutosave();
    },
    (err) => { $('#gps-status').textContent = `Lokasi tidak didapat (${err.code === 1 ? 'izin ditolak' : 'sinyal GPS lemah'}). Boleh dilewati.`; },
    { enableHighAccuracy: true, timeout: 30000, maximumAge: 60000 },
  );
}

export function clearLocation() {
  form.setLocation(null);
  scheduleAutosave();
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

export function useNikProposal() {
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

// The household fields (KK, address, RT/RW, kelurahan) of records saved or opened
// while this page lives, in memory only: a record accepted by the server keeps only
// its name and masked NIK on the phone, and "Tambah anggota keluarga" on its receipt
// still copies them in the same session (docs/field-app.md, 7b).
function rememberHousehold(id, data) {
  const copy = householdCopy(data);
  if (Object.values(copy).some((v) => v)) state.households.set(id, copy);
}

/** The household fields of a record the phone no longer holds whole, from the server's
 * copy (the enumerator may read their own records); null without signal or session. */
async function householdFromServer(id) {
  if (!sessionValid() || !navigator.onLine) return null;
  try {
    const answer = await api.getEnrollment(state.session.token, id);
    return answer.status === 200 ? householdCopy(answer.body) : null;
  } catch {
    return null;
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
