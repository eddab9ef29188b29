/**
 * The session: login, logout, the token's life and its revocation at the server,
 * and whose records the open outbox shows. A token that could not be revoked
 * offline is kept (alone) and revoked at the next chance.
 */
import * as api from './api.js';
import * as store from './store.js';
import { ownedBy } from './outbox.js';
import { $, say, show, state } from './ui.js';

// Who may record workers (the API's enrollment roles).
const PHONE_ROLES = new Set(['enumerator', 'supervisor']);

export function sessionValid() {
  return Boolean(state.session && Date.parse(state.session.expires_at) > Date.now());
}

export function updateNetStatus() {
  const pill = $('#net-status');
  pill.textContent = navigator.onLine ? 'Daring' : 'Tanpa sinyal';
  pill.classList.toggle('offline', !navigator.onLine);
  $('#user-name').textContent = state.session ? state.session.username : '';
  $('#relogin').hidden = !state.session || sessionValid();
}

// The outbox belongs to the user who wrote it: on a shared phone another user
// sees only how many records others left (never their names or NIKs).
export function ownedByMe(record) {
  return ownedBy(record, state.session?.username);
}

export async function myRecords() {
  return (await store.allRecords()).filter(ownedByMe);
}

export function askLogin(reason) {
  $('#login-reason').textContent = reason;
  $('#login-cancel').hidden = !state.session;
  show('view-login');
}

/** The login form's submit; ``afterLogin`` runs once the new session is stored. */
export async function login(event, afterLogin) {
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
  if (!PHONE_ROLES.has(answer.body.role)) {
    // an admin or auditor would record workers the server then refuses (403)
    api.revokeToken(answer.body.token).catch(() => {});
    f.password.value = '';
    $('#login-error').textContent = 'Aplikasi HP hanya untuk petugas pendata dan pengawas. '
      + 'Akun ini memakai halaman kelurahan di laptop.';
    return;
  }
  state.session = { token: answer.body.token, role: answer.body.role, expires_at: answer.body.expires_at,
    username: answer.body.username || f.username.value.trim() };
  await store.setMeta('session', state.session);
  dropHintsAtExpiry();
  f.password.value = '';
  updateNetStatus();
  await afterLogin();
}

/** The server refused the token (401 while sending): the session is over, the data stays. */
export async function expireSession() {
  const ended = state.session;
  state.session = { ...ended, expires_at: new Date(0).toISOString() };
  state.dedupe = null;
  await store.endSession(ended); // the key and filter end with the token
  updateNetStatus(); // offers "Masuk lagi"
}

export async function forgetHints() {
  state.dedupe = null;
  await store.forgetHints();
}

/**
 * The duplicate index while the token is valid, else null (and it leaves the
 * phone): a token that ran out with the app open takes the key with it.
 */
export function hintsInForce() {
  if (sessionValid()) return state.dedupe;
  if (state.dedupe) forgetHints().catch(() => {});
  return null;
}

let hintsTimer = null;

/** Drops the hints when the token's time is up, even with the app left open and offline. */
export function dropHintsAtExpiry() {
  clearTimeout(hintsTimer);
  if (!state.session) return;
  const left = Date.parse(state.session.expires_at) - Date.now();
  if (left <= 0) {
    hintsInForce();
    return;
  }
  hintsTimer = setTimeout(dropHintsAtExpiry, Math.min(left + 1000, 2 ** 31 - 1));
}

export async function revokePending() {
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

export async function logout() {
  const waiting = (await myRecords()).filter((r) => r.state !== 'accepted').length;
  if (waiting && !window.confirm(`${waiting} data belum diterima server dan tetap disimpan di HP. Keluar?`)) return;
  const token = state.session?.token;
  state.session = null;
  state.households.clear(); // the next user copies nothing of this one's households
  await store.setMeta('session', undefined);
  await forgetHints(); // the key and filter leave with the token
  // The token is revoked at the server, not only forgotten here; offline, it is
  // kept (alone) and revoked at the next chance.
  if (token) await store.setMeta('revoke', [...((await store.getMeta('revoke')) || []), token]);
  await revokePending();
  updateNetStatus();
  say(''); // the last message was this user's (a count of their records): not the next one's
  askLogin('');
}

/** At start: the stored session and the duplicate hints, which end with the token. */
export async function restoreSession() {
  state.session = (await store.getMeta('session')) || null;
  state.dedupe = (await store.getMeta('dedupe')) || null;
  if (state.dedupe && !sessionValid()) await forgetHints(); // tied to the token: gone when it ends
  dropHintsAtExpiry();
}
