/**
 * What the phone fetches from the server while its session is valid: the
 * reference lists, the duplicate hints (enumerators), and the statuses of its
 * records, including records sent back for a fix. Offline, everything cached
 * stays in use and nothing here fails the caller.
 */
import * as api from './api.js';
import * as store from './store.js';
import { offsetOf, stamp } from './freshness.js';
import { applyServerStatuses } from './outbox.js';
import { mergeFixes, serverView } from './fixes.js';
import { expireSession, sessionValid } from './session.js';
import { state } from './ui.js';

export async function pullStatuses() {
  if (!sessionValid() || !navigator.onLine) return;
  try {
    const answer = await api.listOwnRecords(state.session.token);
    if (answer.status !== 200) return;
    const records = await store.allRecords();
    const changed = applyServerStatuses(records, answer.items);
    if (changed.length) await store.putRecords(changed);
    await mergeFromServer(answer.items);
  } catch {
    // offline again: statuses wait for the next chance
  }
}

/** Records sent back for a fix come to the phone whole; central's decisions show on accepted ones. */
async function mergeFromServer(items) {
  const records = await store.allRecords();
  const fixes = mergeFixes(records, items);
  const fixed = new Set(fixes.map((r) => r.id));
  const byId = new Map(items.map((item) => [item.id, item]));
  const at = new Date().toISOString();
  const notes = [];
  for (const record of records) {
    const item = byId.get(record.id);
    if (!item || record.state !== 'accepted' || fixed.has(record.id)) continue;
    const view = serverView(item, at);
    const before = record.server || {};
    if (before.status !== view.status || before.central_status !== view.central_status
        || before.central_reason !== view.central_reason || before.kpj_number !== view.kpj_number) {
      notes.push({ ...record, server: view });
    }
  }
  if (fixes.length || notes.length) await store.putRecords([...fixes, ...notes]);
}

export async function refreshFromServer() {
  if (!sessionValid() || !navigator.onLine) return;
  try {
    const ref = await api.getReference(state.session.token);
    if (ref.status === 401) {
      // The token was revoked at the server (a lost phone logged out from the laptop):
      // the session ends here too, and the duplicate key and filter leave with it.
      await expireSession();
      return;
    }
    if (ref.status === 200) {
      state.reference = ref.body;
      await store.setMeta('reference', ref.body);
      const refStamp = stamp(ref.body.server_time);
      await store.setMeta('reference_stamp', refStamp);
      if (offsetOf(refStamp) !== null) await store.setMeta('clock_offset', offsetOf(refStamp));
      document.body.dataset.reference = ref.body.app_build || 'ready'; // lists are on the phone now
    }
    if (state.session.role === 'enumerator') {
      const dedupe = await api.getDedupe(state.session.token);
      if (dedupe) {
        state.dedupe = dedupe;
        await store.setMeta('dedupe', dedupe);
        await store.setMeta('dedupe_stamp', stamp(dedupe.fetched_at));
      }
    }
    await pullStatuses();
    document.body.dataset.refreshedAt = new Date().toISOString(); // lists, hints and statuses are current
  } catch {
    // no connection: the cached lists stay in use
  }
}
