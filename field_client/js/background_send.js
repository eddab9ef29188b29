/**
 * Sending the outbox from the service worker (sw_send.js) when Background Sync
 * fires with the app closed: the same sendOutbox loop and the same idempotent
 * :batch as the "Kirim" button, under the stored session and for its user's
 * records only. No DOM here: it runs in the worker.
 */
import { postBatch } from './api.js';
import * as store from './store.js';
import { ownedBy, sendOutbox } from './outbox.js';

/** Sends what waits; the sendOutbox summary ({stopped: 'auth'} without a valid session). */
export async function sendInBackground(now = () => new Date()) {
  const session = await store.getMeta('session');
  if (!session?.token || !(Date.parse(session.expires_at) > now().getTime())) {
    return { accepted: 0, pending: 0, stopped: 'auth' }; // the app asks for a login at the next open
  }
  const mine = {
    all: async () => (await store.allRecords()).filter((r) => ownedBy(r, session.username)),
    putMany: store.putRecords,
  };
  const summary = await sendOutbox({ store: mine, post: (items) => postBatch(session.token, items), now });
  if (summary.stopped === 'auth') await store.endSession(session); // the token ended: the hints go with it
  return summary;
}
