// PouchDB -> CouchDB-protocol push of the benchmark's records, timed, with the
// bytes on the kelurahan side's veth counted around the replication only.
//   node replicate.js RECORDS.jsonl LOCAL_DIR REMOTE_DB_URL [BATCH_SIZE] [retry]
// Prints one JSON line: docs_written, seconds, veth tx/rx bytes, replication errors.
// `retry`: a live replication with `retry: true` (PouchDB backs off and goes on after
// a failed request, e.g. a cut link), cancelled once every document is written and
// the replication is idle; the one-shot `replicate()` otherwise (it stops at the
// first request that fails).
'use strict';
const fs = require('fs');
const path = require('path');
const PouchDB = require('pouchdb-node');

const [recordsFile, localDir, remoteUrl, batchArg, mode] = process.argv.slice(2);
const batchSize = Number(batchArg || 100); // PouchDB's default batch_size
const retry = mode === 'retry';

function veth() {
  const dir = '/sys/class/net/veth-k/statistics/';
  try {
    return { tx: Number(fs.readFileSync(dir + 'tx_bytes', 'utf8')), rx: Number(fs.readFileSync(dir + 'rx_bytes', 'utf8')) };
  } catch (e) {
    return { tx: 0, rx: 0 };
  }
}

// live + retry: resolves once the replication has paused (caught up) and the remote
// holds `total` documents, after cancelling it. A retry restarts the replication
// and its counters, so the documents written are summed per change;
// a live replication waits on the local database without holding the event loop,
// hence the interval that keeps node running until the end.
function liveWithRetry(local, remote, total) {
  return new Promise((resolve, reject) => {
    let written = 0;
    let failures = 0;
    let failedTries = 0;
    const alive = setInterval(() => {}, 1000);
    const rep = PouchDB.replicate(local, remote, { batch_size: batchSize, live: true, retry: true });
    rep.on('change', (info) => {
      written += (info.docs || []).length;
      failures = Math.max(failures, info.doc_write_failures || 0);
    });
    rep.on('paused', async (err) => {
      if (err) { failedTries += 1; return; } // offline: PouchDB retries after its back-off
      // caught up: done when the remote holds every document (a write whose answer a
      // cut lost is not written again after a retry, so `written` may stay short)
      const info = await remoteInfo(remote).catch(() => ({ doc_count: 0 }));
      if (info.doc_count >= total) rep.cancel();
    });
    rep.on('complete', () => {
      clearInterval(alive);
      resolve({ ok: failures === 0, docs_read: written, docs_written: written,
                doc_write_failures: failures, errors: [], failed_tries: failedTries });
    });
    rep.on('error', (err) => { clearInterval(alive); reject(err); });
  });
}

// The remote's info, asked again while the link is cut (up to ~2 minutes).
async function remoteInfo(remote) {
  for (let i = 0; ; i += 1) {
    try {
      return await remote.info();
    } catch (err) {
      if (i >= 60) throw err;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

async function main() {
  const docs = fs.readFileSync(recordsFile, 'utf8').split('\n').filter(Boolean).map((line) => {
    const record = JSON.parse(line);
    const doc = { _id: record.id };
    for (const [k, v] of Object.entries(record)) if (k !== 'id') doc[k] = v;
    return doc;
  });
  const local = new PouchDB(path.join(localDir, 'kelurahan'));
  for (let i = 0; i < docs.length; i += 1000) await local.bulkDocs(docs.slice(i, i + 1000));
  const remote = new PouchDB(remoteUrl);
  await remote.info(); // creates the database at the server; not timed
  console.log(JSON.stringify({ started: Date.now() / 1000 }));
  const began = Date.now() / 1000;
  const before = veth();
  const started = process.hrtime.bigint();
  const result = retry ? await liveWithRetry(local, remote, docs.length)
    : await PouchDB.replicate(local, remote, { batch_size: batchSize });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const after = veth();
  const ended = Date.now() / 1000;
  const info = await remoteInfo(remote);
  console.log(JSON.stringify({
    ok: result.ok, docs_read: result.docs_read, docs_written: result.docs_written,
    doc_write_failures: result.doc_write_failures, errors: (result.errors || []).length,
    remote_doc_count: info.doc_count, batch_size: batchSize, retry, failed_tries: result.failed_tries || 0, seconds: Math.round(seconds * 1000) / 1000, began, ended,
    veth_tx_bytes: after.tx - before.tx, veth_rx_bytes: after.rx - before.rx,
  }));
}

main().catch((err) => { console.error(err && err.stack || String(err)); process.exit(1); });
