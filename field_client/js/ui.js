/**
 * What every screen of the field app shares: the DOM helpers, the screen switch,
 * the message banner and the app's in-memory state. The state that matters
 * survives in IndexedDB (store.js); this is only what the open page holds.
 */

export const $ = (sel) => document.querySelector(sel);

export const state = {
  session: null, reference: null, dedupe: null, record: null, serverErrors: {}, sending: false, retryTimer: null,
  notice: null, clockWrong: false, // a message the next send's result is added to, not replaced by (changes discarded)
  households: new Map(), // id -> household fields of records saved or opened in this page's life (memory only)
};

// Direction and other invisible format or control characters (U+202E ...) in text
// from outside (a supervisor's or a verifier's reason, a typed address) are shown as
// their code, never reordering what the enumerator reads; as the pages do
// (berjasa.web.pages.inert). Line breaks, tabs and the joiners scripts need stay.
const INVISIBLE = /[\p{Cf}\p{Cc}]/gu;
const HARMLESS = new Set(['\t', '\n', '\r', '\u200c', '\u200d']);

export function inert(text) {
  return String(text).replace(INVISIBLE, (c) => (HARMLESS.has(c) ? c
    : `[U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}]`));
}

/** A new element; its text (always shown inert) when given. */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = inert(text);
  return node;
}

export function show(view) {
  for (const id of ['view-loading', 'view-login', 'view-outbox', 'view-form', 'view-receipt']) $(`#${id}`).hidden = id !== view;
}

/** How long a notice waits for a send's result to be added to it, not said over it. */
export const NOTICE_MS = 60000;

/**
 * Say a warning the enumerator must still read after the next send: a send's
 * result that comes within a minute is added to it (send()), not said over it.
 * A notice still waiting is kept in front.
 */
export function sayNotice(text) {
  const waiting = state.notice && state.notice.until > Date.now() ? `${state.notice.text} ` : '';
  state.notice = { text: `${waiting}${text}`, until: Date.now() + NOTICE_MS };
  say(state.notice.text, 'warn');
}

export function say(text, kind = '') {
  const box = $('#message');
  box.textContent = inert(text ?? '');
  box.className = `banner ${kind}`;
  box.hidden = !text;
}
