/**
 * What helps the enumerator fill the form (form_view.js): the duplicate hint (this
 * phone's records and the hints downloaded from the server), the birth date and sex
 * proposed from the NIK, the location, and the household fields kept for "Tambah
 * anggota keluarga" on a receipt (issue 14).
 */
import { duplicateHints } from './dedupe.js';
import { householdCopy, proposeFromNik, toDmy } from './nikpropose.js';
import * as api from './api.js';
import { sameNikHere } from './outbox.js';
import { scheduleAutosave } from './form_autosave.js';
import { hintsInForce, sessionValid } from './session.js';
import { $, inert, state } from './ui.js';

let form;

/** The form these help with; called once by form_view.js's initForm. */
export function initAssist(recordForm) {
  form = recordForm;
}

/** "Maybe already registered" under the form, from this phone's records and the downloaded hints. */
export function refreshDedupeHint() {
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

/** The birth date and sex the NIK encodes, offered when the form says otherwise. */
export function refreshNikProposal() {
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
export function rememberHousehold(id, data) {
  const copy = householdCopy(data);
  if (Object.values(copy).some((v) => v)) state.households.set(id, copy);
}

/** The household fields of a record the phone no longer holds whole, from the server's
 * copy (the enumerator may read their own records); null without signal or session. */
export async function householdFromServer(id) {
  if (!sessionValid() || !navigator.onLine) return null;
  try {
    const answer = await api.getEnrollment(state.session.token, id);
    return answer.status === 200 ? householdCopy(answer.body) : null;
  } catch {
    return null;
  }
}
