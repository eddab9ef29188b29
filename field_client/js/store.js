/**
 * IndexedDB: the outbox ("records", keyed by the client UUID) and small settings
 * ("meta": the session, cached reference lists, the duplicate index).
 *
 * Writes ask for ``durability: 'strict'`` so that a record reported as saved is on
 * flash, not in a cache, when the battery dies a second later.
 */

const DB_NAME = 'berjasa-field';
const DB_VERSION = 1;
let opening = null;

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** The open database (created on first use). */
export function openDb() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains('records')) db.createObjectStore('records', { keyPath: 'id' });
        if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta', { keyPath: 'key' });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return opening;
}

async function write(storeName, work) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(storeName, 'readwrite', { durability: 'strict' });
    work(tx.objectStore(storeName));
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('transaction aborted'));
  });
}

/** Every record in the outbox. */
export async function allRecords() {
  const db = await openDb();
  return promised(db.transaction('records').objectStore('records').getAll());
}

/** One record, or undefined. */
export async function getRecord(id) {
  const db = await openDb();
  return promised(db.transaction('records').objectStore('records').get(id));
}

/** Store several records in one transaction (all or none). */
export function putRecords(records) {
  return write('records', (store) => records.forEach((r) => store.put(r)));
}

/**
 * Read every record and write what ``decide(records)`` returns, in one transaction:
 * nothing written by another part of the app (the form marking a record open, what
 * is typed) can land between the read and the write. For merges of the server's
 * answers, which arrive after slow downloads: decided on the records as they are
 * now, not as they were when the download started. Resolves to what was written.
 */
export async function updateRecords(decide) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction('records', 'readwrite', { durability: 'strict' });
    const os = tx.objectStore('records');
    let written = [];
    const read = os.getAll();
    read.onsuccess = () => {
      try {
        written = decide(read.result) || [];
      } catch (err) {
        tx.abort();
        reject(err);
        return;
      }
      written.forEach((r) => os.put(r));
    };
    tx.oncomplete = () => resolve(written);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('transaction aborted'));
  });
}

/** Remove a record (only ever on the enumerator's explicit request, or a new form left
 * untouched; or the server's word that the record was erased: deleteRecords). */
export function deleteRecord(id) {
  return write('records', (store) => store.delete(id));
}

/**
 * Remove the records of these ids that the phone holds, in one transaction: the server
 * erased them (the person asked to be erased), so no copy may stay on the phone.
 * Resolves to how many were held.
 */
export async function deleteRecords(ids) {
  const wanted = new Set(ids);
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction('records', 'readwrite', { durability: 'strict' });
    const os = tx.objectStore('records');
    let held = 0;
    const read = os.getAllKeys();
    read.onsuccess = () => {
      for (const key of read.result) {
        if (!wanted.has(key)) continue;
        held += 1;
        os.delete(key);
      }
    };
    tx.oncomplete = () => resolve(held);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('transaction aborted'));
  });
}

/** A meta value, or undefined. */
export async function getMeta(key) {
  const db = await openDb();
  const row = await promised(db.transaction('meta').objectStore('meta').get(key));
  return row ? row.value : undefined;
}

/** Set (or with undefined, remove) a meta value. */
export function setMeta(key, value) {
  return write('meta', (store) => (value === undefined ? store.delete(key) : store.put({ key, value })));
}

/** The duplicate hints (filter and key) leave the phone: they live only with a valid token. */
export async function forgetHints() {
  await setMeta('dedupe', undefined);
  await setMeta('dedupe_stamp', undefined);
}

/** The server refused the token: the session is marked over (its records stay) and the hints go. */
export async function endSession(session) {
  await setMeta('session', { ...session, expires_at: new Date(0).toISOString() });
  await forgetHints();
}

/** The store interface outbox.sendOutbox expects. */
export const outboxStore = { all: allRecords, putMany: putRecords };
