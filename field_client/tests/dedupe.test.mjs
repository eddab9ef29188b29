// sha256.js against node:crypto, and dedupe.js against a filter built by
// server/field_dedupe.py (dedupe_cases.json, written by tests/browser/field_rules_cases.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sha256, hmacSha256, toHex } from '../js/sha256.js';
import { duplicateHints, fromBase64, mightContain, nameKey } from '../js/dedupe.js';

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

test('membership answers equal the server side', () => {
  const filter = fromBase64(cases.index.filter);
  const key = fromBase64(cases.key);
  assert.equal(filter.length, cases.index.size_bytes);
  for (const [item, expected] of cases.probes) assert.equal(mightContain(filter, key, item), expected, item);
});

test('hints name the matching parts', () => {
  const index = { ...cases.index, key: cases.key };
  assert.deepEqual(duplicateHints(index, { nik: '7371015203800001', full_name: 'SITI NURAINI', birth_date: '1980-03-12' }), ['nik', 'name']);
  assert.deepEqual(duplicateHints(null, { nik: '7371015203800001' }), []);
});
