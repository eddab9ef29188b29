// sha256.js against node:crypto, and dedupe.js against filters built by
// berjasa/hints.py (dedupe_cases.json, written by tests/unit/field_rules_cases.py).
// tests/unit/test_hint_filter.py runs this file with DEDUPE_BIG set to a 150,000-record
// filter it built, so the false-positive rate is measured on both sides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sha256, hmacSha256, toHex } from '../js/sha256.js';
import {
  FilterError, duplicateHints, fromBase64, keyIdOf, loadIndex, mightContain, nameKey, parseFilter,
} from '../js/dedupe.js';

const cases = JSON.parse(readFileSync(new URL('./dedupe_cases.json', import.meta.url), 'utf8'));

test('sha256 agrees with node:crypto on lengths around block edges', () => {
  for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 200]) {
    const data = Uint8Array.from({ length: n }, (_, i) => (i * 7) & 255);
    assert.equal(toHex(sha256(data)), createHash('sha256').update(data).digest('hex'), `length ${n}`);
  }
});

test('hmac agrees with node:crypto, short and long keys, non-ASCII text', () => {
  for (const keyLength of [0, 16, 64, 65, 100]) {
    const key = Uint8Array.from({ length: keyLength }, (_, i) => i);
    const msg = `nik:7371015203800001 Ṣiti ᨕᨉᨗ ${keyLength}`;
    assert.equal(toHex(hmacSha256(key, msg)), createHmac('sha256', key).update(msg).digest('hex'));
  }
});

test('name keys fold like the server', () => {
  for (const [name, date, expected] of cases.name_keys) assert.equal(nameKey(name, date), expected);
});

test('item hashes and key id equal the server side', () => {
  const key = fromBase64(cases.key);
  assert.equal(keyIdOf(key), cases.index.key_id);
  for (const [item, hex] of cases.item_hashes) assert.equal(toHex(hmacSha256(key, item)).slice(0, 16), hex);
});

test('membership answers equal the server side', () => {
  const bytes = fromBase64(cases.index.filter);
  assert.equal(bytes.length, cases.index.size_bytes);
  const parsed = parseFilter(bytes, cases.index.key_id);
  const key = fromBase64(cases.key);
  for (const [item, expected] of cases.probes) assert.equal(mightContain(parsed, key, item), expected, item);
});

test('a filter of another key version, damaged or of another format is refused', () => {
  for (const [code, filter] of cases.refused) {
    assert.throws(() => parseFilter(fromBase64(filter), cases.index.key_id),
      (err) => err instanceof FilterError && err.code === code, code);
  }
  const wrongKey = { key_id: cases.index.key_id, key: btoa(String.fromCharCode(...new Uint8Array(32))) };
  assert.throws(() => loadIndex(cases.index, wrongKey), (err) => err.code === 'key_mismatch');
  const kept = loadIndex(cases.index, { key_id: cases.index.key_id, key: cases.key });
  assert.equal(kept.key, cases.key);
});

test('hints name the matching keys; a damaged filter gives none rather than a crash', () => {
  const index = { ...cases.index, key: cases.key };
  assert.deepEqual(duplicateHints(index, { nik: '7371015203800001', full_name: 'SITI NURAINI', birth_date: '1980-03-12' }), ['nik', 'name_birth']);
  assert.deepEqual(duplicateHints(index, { nik: '7371015203800002', full_name: 'Budi', birth_date: '1990-01-01' }), []);
  assert.deepEqual(duplicateHints(null, { nik: '7371015203800001' }), []);
  assert.deepEqual(duplicateHints({ ...index, filter: cases.refused[1][1] }, { nik: '7371015203800001' }), []);
});

test('150,000 records: no false negatives, false-positive rate within the setting', { skip: !process.env.DEDUPE_BIG }, () => {
  const big = JSON.parse(readFileSync(process.env.DEDUPE_BIG, 'utf8'));
  const parsed = parseFilter(fromBase64(big.filter), big.key_id);
  const key = fromBase64(big.key);
  for (let i = 0; i < big.records; i += big.member_step) {
    assert.ok(mightContain(parsed, key, `nik:member-${i}`), `member ${i}`);
    assert.ok(mightContain(parsed, key, `name:member-${i}`), `member name ${i}`);
  }
  let hits = 0;
  for (let i = 0; i < big.probes; i += 1) if (mightContain(parsed, key, `nik:probe-${i}`)) hits += 1;
  assert.equal(hits, big.python_probe_hits, 'same false positives as Python');
  assert.ok(hits / big.probes <= big.rate * 1.1, `measured ${hits / big.probes}`);
});
