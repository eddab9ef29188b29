/**
 * What every screen of the field app shares: the DOM helpers, the screen switch,
 * the message banner and the app's in-memory state. The state that matters
 * survives in IndexedDB (store.js); this is only what the open page holds.
 */

export const $ = (sel) => document.querySelector(sel);

export const state = {
  session: null, reference: null, dedupe: null, record: null, serverErrors: {}, sending: false, retryTimer: null,
};

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function show(view) {
  for (const id of ['view-loading', 'view-login', 'view-outbox', 'view-form', 'view-receipt']) $(`#${id}`).hidden = id !== view;
}

export function say(text, kind = '') {
  const box = $('#message');
  box.textContent = text;
  box.className = `banner ${kind}`;
  box.hidden = !text;
}
