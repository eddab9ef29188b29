// CouchDB-protocol target for the PouchDB comparison: express-pouchdb over
// pouchdb-node (LevelDB on disk, as a CouchDB would write to disk).
//   node server.js HOST PORT DATA_DIR
'use strict';
const path = require('path');
const express = require('express');
const PouchDB = require('pouchdb-node');

const [host, port, dataDir] = process.argv.slice(2);
const Prefixed = PouchDB.defaults({ prefix: path.resolve(dataDir) + path.sep });
const app = express();
app.use('/', require('express-pouchdb')(Prefixed, { mode: 'minimumForPouchDB', logPath: path.join(dataDir, 'log.txt') }));
app.listen(Number(port), host, () => console.log(JSON.stringify({ listening: `http://${host}:${port}/` })));
