/**
 * Duplicate hints on the phone: tests a NIK, or a name + birth date, against the
 * kelurahan's Bloom filter (format 2, specified in berjasa/hints.py; this file
 * follows it line for line and runs the same vectors, tests/dedupe_cases.json).
 * A hit means "maybe already registered: check"; never a refusal (the server decides).
 */
import { hmacSha256, sha256, toHex } from './sha256.js';

export const FORMAT_VERSION = 2;
export const HEADER_BYTES = 18;

/** A filter the phone must not use; code: 'format' | 'key_mismatch' | 'corrupt'. */
export class FilterError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** Bytes of a base64 string (atob exists in browsers and node >= 16). */
export function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** Name folded to lowercase letters only, plus the ISO date (as the server does). */
export function nameKey(fullName, birthDate) {
  const letters = (fullName || '').normalize('NFKD').replace(/[^\p{L}]/gu, '');
  return `${letters.toLowerCase()}|${birthDate}`;
}

/** The key id of a secret: the first 8 bytes of its SHA-256, in hex. */
export function keyIdOf(keyBytes) {
  return toHex(sha256(keyBytes)).slice(0, 16);
}

/**
 * Checks a downloaded filter before use: format, the key version it was built with
 * (its header must name keyId) and its checksum. Returns {k, bits, array}.
 */
export function parseFilter(filterBytes, keyId) {
  if (!filterBytes.length || filterBytes[0] !== FORMAT_VERSION) {
    throw new FilterError('format', 'format filter tidak dikenal');
  }
  if (filterBytes.length < HEADER_BYTES + 8) throw new FilterError('corrupt', 'filter terpotong');
  if (toHex(filterBytes.subarray(2, 10)) !== keyId) {
    throw new FilterError('key_mismatch', 'filter dibuat dengan versi kunci lain');
  }
  const array = filterBytes.subarray(HEADER_BYTES);
  const whole = new Uint8Array(10 + array.length);
  whole.set(filterBytes.subarray(0, 10));
  whole.set(array, 10);
  const sum = sha256(whole).subarray(0, 8);
  const k = filterBytes[1];
  if (toHex(sum) !== toHex(filterBytes.subarray(10, 18)) || k < 1 || k > 30) {
    throw new FilterError('corrupt', 'filter rusak (checksum tidak cocok)');
  }
  return { k, bits: array.length * 8, array };
}

/** Whether the parsed filter may contain the item (false: certainly not). */
export function mightContain(parsed, keyBytes, item) {
  const digest = new DataView(hmacSha256(keyBytes, item).buffer);
  const h1 = digest.getUint32(0);
  const h2 = (digest.getUint32(4) | 1) >>> 0;
  for (let i = 0; i < parsed.k; i += 1) {
    const pos = (h1 + i * h2) % parsed.bits; // < 2^37: exact in a double
    if (!((parsed.array[pos >> 3] >> (pos & 7)) & 1)) return false;
  }
  return true;
}

/**
 * The index the phone keeps: the server's JSON plus the key, checked once. Throws
 * FilterError when the key does not match the filter or the bytes are damaged.
 */
export function loadIndex(index, keyAnswer) {
  const key = fromBase64(keyAnswer.key);
  if (keyAnswer.key_id !== index.key_id || keyIdOf(key) !== index.key_id) {
    throw new FilterError('key_mismatch', 'kunci dan filter berbeda versi');
  }
  parseFilter(fromBase64(index.filter), index.key_id);
  return { ...index, key: keyAnswer.key };
}

const parsedCache = new WeakMap();

/** Which hints a record raises: ['nik'], ['name_birth'], both or none. */
export function duplicateHints(index, record) {
  if (!index || !index.filter || !index.key) return [];
  let parsed = parsedCache.get(index);
  if (!parsed) {
    try {
      parsed = { filter: parseFilter(fromBase64(index.filter), index.key_id), key: fromBase64(index.key) };
    } catch (err) {
      if (err instanceof FilterError) return [];
      throw err;
    }
    parsedCache.set(index, parsed);
  }
  const hints = [];
  if (record.nik && mightContain(parsed.filter, parsed.key, `nik:${record.nik}`)) hints.push('nik');
  if (record.full_name && record.birth_date
      && mightContain(parsed.filter, parsed.key, `name:${nameKey(record.full_name, record.birth_date)}`)) {
    hints.push('name_birth');
  }
  return hints;
}
