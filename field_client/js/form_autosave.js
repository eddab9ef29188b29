/**
 * What is typed in the form is never lost (docs/field-app.md, 4): written as typed,
 * after a pause in typing (debounced), at once on a step change and when the page is
 * hidden or left (pagehide: also stashed in localStorage, since a page being left does
 * not finish an IndexedDB write), and only when it changed (old phones pay for every
 * IndexedDB write). A draft keeps it as its data; a record already saved keeps it as
 * its pending change (``editing.data``). The form screen is form_view.js.
 */
import * as store from './store.js';
import { state } from './ui.js';

const AUTOSAVE_MS = 500;
let form;
let autosaveTimer = null;
let lastWritten = null; // what the open record holds as typed (data only: a step change alone is no write)
let writing = 0; // writes of what is typed not yet confirmed

/** The form whose values are written; called once by form_view.js's initForm. */
export function initAutosave(recordForm) {
  form = recordForm;
}

/** A form just opened holds ``typed`` as written (nothing to write until it changes). */
export function markWritten(typed) {
  lastWritten = typed;
}

/** No pending write of what is typed (the form saves or closes it whole now). */
export function cancelAutosave() {
  clearTimeout(autosaveTimer);
}

/** The form's values as JSON (step aside): what decides whether a write is needed. */
export function typedNow() {
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
export async function putKept(record) {
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

/** The write failed because the phone's storage is full. */
export function isQuotaError(err) {
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
