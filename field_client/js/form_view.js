/**
 * The form screen: opening a record (new, draft, or one sent back for a fix),
 * saving it as a draft or into the outbox, the duplicate hint, the birth date and
 * sex proposed from the NIK, the household copy from a receipt, and the location.
 * The form's fields and steps are form.js; the rules are validate.js.
 */
import * as store from './store.js';
import { RecordForm } from './form.js';
import { fieldForServerKey, isComplete, validateRecord } from './validate.js';
import { duplicateHints } from './dedupe.js';
import { householdCopy, proposeFromNik, toDmy } from './nikpropose.js';
import { isEditable, newRecord, saveEdits, sameNikHere } from './outbox.js';
import { FIX_EDITABLE, FIX_STATES, saveFix } from './fixes.js';
import { problemLines, showOutbox } from './outbox_view.js';
import { hintsInForce, myRecords } from './session.js';
import { $, inert, say, show, state } from './ui.js';

let form;

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

export async function openForm(id = null, prefill = {}) {
  let record = id ? await store.getRecord(id) : null;
  if (!record) {
    // The id exists from the first moment, so every later save and send is the same record.
    record = newRecord(uuid4(), new Date(), state.reference?.kelurahan?.code || '');
    record.data = { ...record.data, ...prefill };
    record.owner = state.session?.username || null;
    await store.putRecords([record]);
  }
  state.record = record;
  state.localRecords = await myRecords(); // for "already recorded on this phone"
  form.setReference(state.reference);
  form.setData(record.data);
  const serverErrors = { ...(record.result?.errors || {}) };
  state.serverErrors = serverErrors;
  const banner = $('#form-result');
  const lines = problemLines(record);
  const why = FIX_STATES.has(record.state) && record.reason?.text ? `Perlu diperbaiki (alasan dari ${record.reason.from}): ${record.reason.text}. ` : '';
  banner.textContent = inert((why + (lines.length ? `Jawaban server: ${lines.join(' ')}` : '')).trim());
  banner.hidden = !banner.textContent;
  const firstBad = form.showProblems(validateRecord(form.getData(), state.reference), serverErrors, true);
  if (firstBad && Object.keys(serverErrors).length) form.goTo(firstBad);
  refreshDedupeHint();
  refreshNikProposal();
  show('view-form');
}

/** A field changed: its old server complaint goes, the checks and hints run again. */
export function onRecordChange(event) {
  // A field the enumerator has changed no longer shows the server's old complaint.
  const changed = event.detail.name === 'consent_method' ? 'consent_method' : event.detail.name;
  for (const key of Object.keys(state.serverErrors)) if (fieldForServerKey(key) === changed) delete state.serverErrors[key];
  recheck();
  if (['nik', 'full_name', 'birth_date'].includes(event.detail.name)) refreshDedupeHint();
  if (['nik', 'birth_date', 'sex'].includes(event.detail.name)) refreshNikProposal();
}

export function recheck() {
  form.showProblems(validateRecord(form.getData(), state.reference), state.serverErrors, true);
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
  const checked = validateRecord(data, state.reference);
  const complete = isComplete(data, state.reference);
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
  await showOutbox();
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
  await showOutbox();
}

export async function autosaveDraft() {
  // A draft is kept as typed (power cuts, phone calls); other states only change on "Simpan".
  if (!state.record) return;
  const current = await store.getRecord(state.record.id);
  if (current && current.state === 'draft') {
    await store.putRecords([{ ...current, data: { ...current.data, ...form.getData() }, updated_at: new Date().toISOString() }]);
  }
}

/** "Batal": the draft is kept as typed, back to the list. */
export async function closeForm() {
  await autosaveDraft();
  state.record = null;
  await showOutbox();
}

// --- location, NIK proposal, household (issue 14) ------------------------------------

export function captureLocation() {
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

export function clearLocation() {
  form.setLocation(null);
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

/** "Tambah anggota keluarga" on a receipt: a new record with the household's fields copied. */
export async function addHouseholdMember() {
  const from = state.receiptRecord;
  await openForm(null, from ? householdCopy(from.data) : {});
  say('Data rumah tangga (KK, alamat, RT/RW, kelurahan) disalin: periksa sebelum melanjutkan.', 'warn');
}
