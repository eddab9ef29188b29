/**
 * The field app's start: it wires the screens to the page and resumes where the
 * phone was. State that matters lives in IndexedDB (store.js), so a reload at any
 * moment resumes. The screens are session.js (login, logout, revocation),
 * outbox_view.js (the list, the receipt, "Kirim"), form_view.js (the form, with
 * form_autosave.js and form_assist.js) and
 * refresh.js (lists, hints and statuses from the server); ui.js is what they share.
 */
import * as store from './store.js';
import {
  addHouseholdMember, closeForm, initForm, leaveAnswer, onRecordChange, openForm, recheck, resumeForm, saveForm,
} from './form_view.js';
import { flushAutosave, restoreTyped, scheduleAutosave } from './form_autosave.js';
import { captureLocation, clearLocation, useNikProposal } from './form_assist.js';
import { isSendable } from './outbox.js';
import { renderOutbox, send, setFormOpener, showOutbox } from './outbox_view.js';
import { refreshFromServer } from './refresh.js';
import {
  askLogin, login, logout, myRecords, restoreSession, revokePending, sessionValid, updateNetStatus,
} from './session.js';
import { $, say, show, state } from './ui.js';

function registerServiceWorker() {
  const secure = window.isSecureContext && 'serviceWorker' in navigator;
  $('#secure-warning').hidden = secure;
  if (!secure) return;
  // Where Background Sync exists (Chromium: Android Chrome) the module worker also
  // sends the outbox with the app closed; elsewhere the classic worker keeps the shell.
  const classic = () => navigator.serviceWorker.register('/app/sw.js', { scope: '/app/' });
  const registered = 'SyncManager' in window
    ? navigator.serviceWorker.register('/app/sw_send.js', { scope: '/app/', type: 'module' }).catch(classic)
    : classic();
  registered.catch(() => {
    // Secure context but no worker: over https that means an untrusted certificate.
    $(location.protocol === 'https:' ? '#cert-warning' : '#secure-warning').hidden = false;
  });
}

async function afterLogin() {
  show('view-outbox');
  await resumeForm(); // this user's record left open (reload, Back, a login in between)
  await refreshFromServer();
  await renderOutbox();
}

/** Writes what is typed now (a step change; ``leaving``: the page hidden or left); never throws. */
function keepTyped(leaving = false) {
  flushAutosave(leaving).catch(() => {});
}

function wire() {
  initForm();
  setFormOpener(openForm);
  $('#login-form').addEventListener('submit', (e) => login(e, afterLogin));
  $('#login-cancel').addEventListener('click', showOutbox);
  $('#new-record').addEventListener('click', () => openForm());
  $('#send-all').addEventListener('click', send);
  $('#relogin').addEventListener('click', () => askLogin('Masuk lagi untuk mengirim.'));
  $('#logout').addEventListener('click', logout);
  $('#record-form').addEventListener('submit', (e) => { e.preventDefault(); saveForm(true); });
  $('#save-draft').addEventListener('click', () => saveForm(false));
  $('#form-cancel').addEventListener('click', closeForm);
  $('#step-next').addEventListener('click', () => keepTyped());
  $('#step-prev').addEventListener('click', () => keepTyped());
  $('#step-tabs').addEventListener('click', () => keepTyped());
  $('#leave-save').addEventListener('click', () => leaveAnswer('save'));
  $('#leave-discard').addEventListener('click', () => leaveAnswer('discard'));
  $('#leave-continue').addEventListener('click', () => leaveAnswer('continue'));
  $('#gps-button').addEventListener('click', captureLocation);
  $('#nik-proposal-use').addEventListener('click', useNikProposal);
  $('#receipt-done').addEventListener('click', showOutbox);
  $('#receipt-household').addEventListener('click', addHouseholdMember);
  navigator.serviceWorker?.addEventListener('message', (e) => {
    if (e.data?.type === 'send-outbox' && navigator.onLine && sessionValid() && !state.sending) send();
    if (e.data?.type === 'outbox-changed') renderOutbox(); // the worker sent while the app was hidden
  });
  $('#gps-clear').addEventListener('click', clearLocation);
  $('#record-form').addEventListener('record-change', onRecordChange);
  $('#record-form').addEventListener('change', () => { scheduleAutosave(); recheck(); });
  document.addEventListener('visibilitychange', () => { if (document.hidden) keepTyped(true); });
  window.addEventListener('pagehide', () => keepTyped(true)); // reload, Back, the tab closed
  window.addEventListener('online', async () => { updateNetStatus(); await revokePending(); await refreshFromServer(); await renderOutbox(); });
  window.addEventListener('offline', updateNetStatus);
}

async function start() {
  wire();
  registerServiceWorker();
  await restoreSession();
  await restoreTyped(); // what was typed as the page went away
  state.reference = (await store.getMeta('reference')) || null;
  if (state.reference) document.body.dataset.reference = state.reference.app_build || 'ready';
  updateNetStatus();
  revokePending().catch(() => {});
  if (!state.session) {
    askLogin('Masuk sekali saat terhubung ke server kelurahan; setelah itu aplikasi bisa dipakai tanpa sinyal.');
    return;
  }
  await showOutbox();
  await resumeForm(); // a reload or Back at any moment resumes the form as it was
  if (!sessionValid()) say('Sesi Anda sudah berakhir: data tetap bisa dicatat; masuk lagi sebelum mengirim.', 'warn');
  await refreshFromServer();
  await renderOutbox();
  // Without Background Sync the outbox goes at the next open (the same idempotent :batch),
  // also a record left "sent" by a reload mid-send (no answer, no retry time: a replay is 200).
  const waiting = (await myRecords()).some((r) => ['queued', 'sent'].includes(r.state) && isSendable(r));
  if (waiting && navigator.onLine && sessionValid() && !state.sending) await send();
}

start().catch((err) => say(`Aplikasi gagal dimulai: ${err.message}`, 'error'));
