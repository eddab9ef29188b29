/**
 * Duplicate hints on the phone: tests a NIK, or a name + birth date, against the
 * kelurahan's Bloom filter (format in server/field_dedupe.py). A hit means "maybe
 * already registered: check"; never a refusal (the server decides).
 */
import { hmacSha256 } from './sha256.js';

/** Bytes of a base64 string (atob exists in browsers and node >= 16). */
export function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** Name folded to lowercase letters only, plus the ISO date (as the server does). */
export function nameKey(fullName, birthDate) {
  const letters = (fullName || '').normalize('NFKD').replace(/[^\p{L}]/gu, '');
  return `${letters.toLowerCase()}|${birthDate}`;
}

/** Whether the filter may contain the item (false: certainly not). */
export function mightContain(filterBytes, keyBytes, item) {
  const k = filterBytes[1];
  const bits = (filterBytes.length - 2) * 8;
  if (filterBytes[0] !== 1 || bits <= 0) return false;
  const digest = new DataView(hmacSha256(keyBytes, item).buffer);
  const h1 = digest.getUint32(0);
  const h2 = (digest.getUint32(4) | 1) >>> 0;
  for (let i = 0; i < k; i += 1) {
    const pos = (h1 + i * h2) % bits; // < 2^37: exact in a double
    if (!((filterBytes[2 + (pos >> 3)] >> (pos & 7)) & 1)) return false;
  }
  return true;
}

/** Which hints a record raises: ['nik'], ['name'], both or none. */
export function duplicateHints(index, record) {
  if (!index || !index.filter || !index.key) return [];
  const filter = fromBase64(index.filter);
  const key = fromBase64(index.key);
  const hints = [];
  if (record.nik && mightContain(filter, key, `nik:${record.nik}`)) hints.push('nik');
  if (record.full_name && record.birth_date
      && mightContain(filter, key, `name:${nameKey(record.full_name, record.birth_date)}`)) {
    hints.push('name');
  }
  return hints;
}
