/**
 * What the phone fetches from the server while its session is valid: the
 * reference lists, the duplicate hints (enumerators), and the statuses of its
 * records, including records sent back for a fix. Offline, everything cached
 * stays in use and nothing here fails the caller.
 */
import * as api from './api.js';
import * as store from './store.js';
import { offsetOf, stamp } from './freshness.js';
import { applyServerStatuses, erasedIds } from './outbox.js';
import { mergeFixes, serverView } from './fixes.js';
import { expireSession, ownedByMe, sessionValid } from './session.js';
import { sayNotice, state } from './ui.js';
import { clockOf } from './validate.js';

/** What the phone says after deleting records the server erased. */
export function erasedText(count) {
  return `${count} data dihapus dari HP ini: data itu sudah dihapus di server kelurahan `
    + '(atas permintaan pemiliknya, atau masa simpannya habis).';
}

/**
 * The statuses of this user's records that changed since the last look (a light
 * listing: ids, versions, statuses, reasons; docs/api.md). The look starts over
 * (all records) for a new user on this phone, or when a record was accepted by a
 * replay (its earlier decisions may predate the last look). A record the server
 * answers ``erased`` is deleted from the phone, whatever its state (the accepted
 * card's name and masked NIK, a fix's whole record). Resolves to how many records
 * were deleted so (0 when the look could not be made).
 */
export async function pullStatuses() {
  if (!sessionValid() || !navigator.onLine) return 0;
  const user = state.session.username;
  try {
    const before = await store.allRecords();
    const recheck = before.some((r) => r.state === 'accepted' && r.server?.recheck && ownedByMe(r));
    const looks = (await store.getMeta('status_since')) || {};
    const answer = await api.listStatuses(state.session.token, recheck ? null : looks[user] || null);
    if (answer.status !== 200) return 0;
    const erased = erasedIds(answer.items);
    const dropped = erased.size ? await store.deleteRecords([...erased]) : 0;
    const items = answer.items.filter((item) => !erased.has(item.id));
    // decided on the records as they are at the write, not as they were before the look
    await store.updateRecords((records) => applyServerStatuses(records, items));
    const whole = await mergeFromServer(items);
    if (!whole || !answer.since) return dropped; // the next look starts from the same place
    if (recheck) await clearRechecks();
    await store.setMeta('status_since', { ...looks, [user]: answer.since });
    return dropped;
  } catch {
    // offline again: statuses wait for the next chance
    return 0;
  }
}

async function clearRechecks() {
  const marked = (await store.allRecords()).filter((r) => r.server?.recheck && ownedByMe(r));
  if (marked.length) await store.putRecords(marked.map((r) => ({ ...r, server: { ...r.server, recheck: undefined } })));
}

/**
 * The whole record of each status item that becomes a fix on the phone (the look
 * carries statuses only), read one by one (the enumerator may read their own):
 * {items, complete}; not complete when one could not be read (the look is then
 * not taken as done, and the next one lists it again).
 */
async function wholeFixes(records, items) {
  const wanted = new Set(mergeFixes(records, items).filter((r) => r.state === 'fix').map((r) => r.id));
  const whole = [];
  let complete = true;
  for (const item of items) {
    if (!wanted.has(item.id)) {
      whole.push(item);
      continue;
    }
    const answer = await api.getEnrollment(state.session.token, item.id);
    if (answer.status === 200) whole.push(answer.body);
    else complete = false;
  }
  return { items: whole, complete };
}

/** Records sent back for a fix come to the phone whole; central's decisions show on
 * accepted ones. False when a record to fix could not be read whole.
 *
 * The whole records may take long to arrive (a slow signal), and meanwhile the
 * enumerator may open one of them and type its fix: so what is written is decided
 * again on the records as they are in the write's own transaction (a record open in
 * the form or holding a fix not yet sent is never replaced: mergeFixes), never on the
 * copy read before the download. */
async function mergeFromServer(light) {
  const { items, complete } = await wholeFixes(await store.allRecords(), light);
  const at = new Date().toISOString();
  await store.updateRecords((records) => {
    const fixes = mergeFixes(records, items);
    const fixed = new Set(fixes.map((r) => r.id));
    const byId = new Map(items.map((item) => [item.id, item]));
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
    return [...fixes, ...notes];
  });
  return complete;
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
      if (offsetOf(refStamp) !== null) {
        await store.setMeta('clock_offset', offsetOf(refStamp));
        state.clockWrong = clockOf(offsetOf(refStamp)).wrong; // consent times: "check the clock" only then
      }
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
    const dropped = await pullStatuses();
    if (dropped) sayNotice(erasedText(dropped)); // a send that follows adds to it
    document.body.dataset.refreshedAt = new Date().toISOString(); // lists, hints and statuses are current
  } catch {
    // no connection: the cached lists stay in use
  }
}
