// PouchDB -> CouchDB-protocol push of the benchmark's records, timed, with the
// bytes on the kelurahan side's veth counted around the replication only.
//   node replicate.js RECORDS.jsonl LOCAL_DIR REMOTE_DB_URL [BATCH_SIZE]
// Prints one JSON line: docs_written, seconds, veth tx/rx bytes, replication errors.
'use strict';
const fs = require('fs');
const path = require('path');
const PouchDB = require('pouchdb-node');

const [recordsFile, localDir, remoteUrl, batchArg] = process.argv.slice(2);
const batchSize = Number(batchArg || 100); // PouchDB's default batch_size

function veth() {
  const dir = '/sys/class/net/veth-k/statistics/';
  try {
    return { tx: Number(fs.readFileSync(dir + 'tx_bytes', 'utf8')), rx: Number(fs.readFileSync(dir + 'rx_bytes', 'utf8')) };
  } catch (e) {
    return { tx: 0, rx: 0 };
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
  const result = await PouchDB.replicate(local, remote, { batch_size: batchSize });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const after = veth();
  const ended = Date.now() / 1000;
  const info = await remote.info();
  console.log(JSON.stringify({
    ok: result.ok, docs_read: result.docs_read, docs_written: result.docs_written,
    doc_write_failures: result.doc_write_failures, errors: (result.errors || []).length,
    remote_doc_count: info.doc_count, batch_size: batchSize, seconds: Math.round(seconds * 1000) / 1000, began, ended,
    veth_tx_bytes: after.tx - before.tx, veth_rx_bytes: after.rx - before.rx,
  }));
}

main().catch((err) => { console.error(err && err.stack || String(err)); process.exit(1); });
