/**
 * Identity rules for the phone: NIK, KK, person names and phone numbers.
 *
 * A port of berjasa/identity/ (nik.py, names.py, phones.py). The server stays the
 * authority; this module exists so that the enumerator hears about a typo at the
 * door, not hours later.
 * Both implementations run the same cases (field_client/tests/identity_cases.json,
 * checked by node --test here and by pytest against the Python module), so a
 * change on one side without the other fails CI. Codes are the contract; the
 * Indonesian messages follow the Python ones closely but need not be identical.
 */

// Province codes in use (mirrors berjasa.reference.PROVINCE_CODES; pytest compares).
export const PROVINCE_CODES = [11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36,
  51, 52, 53, 61, 62, 63, 64, 65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96];
// Makassar kecamatan (73.71.01-15, undotted; mirrors reference.kecamatan_codes()).
export const MAKASSAR_KECAMATAN = Array.from({ length: 15 },
  (_, i) => `7371${String(i + 1).padStart(2, '0')}`);

const SPACES = /[\u0020\u00a0\u2007\u202f]/g;
// One mantissa digit and a short exponent, so a NIK mistyped with an "E" stays nik_not_digits.
const SCIENTIFIC = /^[0-9](?:[.,][0-9]+)?[eE]\+?[0-9]{1,2}$/;
const DECIMAL_TAIL = /^[0-9]+[.,]0+$/;
const DIGITS = /^[0-9]*$/;
const LABELS = { nik: 'NIK', kk: 'Nomor KK' };

const problem = (code, message, severity = 'error') => ({ code, message, severity });
const pad2 = (n) => String(n).padStart(2, '0');

/** True when any problem is an error rather than a warning. */
export function hasErrors(problems) {
  return problems.some((p) => p.severity === 'error');
}

/** Trim outer whitespace and drop inner spaces (the only separator people type). */
export function stripSpaces(text) {
  return text.trim().replace(SPACES, '');
}

function describeCharacters(chars) {
  const seen = [...new Set(chars)];
  const shown = seen.slice(0, 10).map((c) => (/\s|\p{C}/u.test(c)
    ? `U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}` : `'${c}'`));
  return shown.join(', ') + (seen.length > 10 ? ' dan lainnya' : '');
}

/** The 16 digits of a NIK/KK, or the one structural problem that stops the rest. */
function parseNumber(value, kind) {
  const label = LABELS[kind];
  const doc = kind === 'nik' ? 'KTP' : 'Kartu Keluarga';
  if (value === null || value === undefined || (typeof value === 'string' && !stripSpaces(value))) {
    return ['', [problem(`${kind}_required`, `${label} wajib diisi (16 digit dari ${doc}).`)]];
  }
  if (typeof value !== 'string') {
    return ['', [problem(`${kind}_not_text`, `${label} harus ditulis sebagai teks 16 digit, bukan angka.`)]];
  }
  const text = stripSpaces(value);
  const retype = `Ketik ulang ${label} dari ${doc}.`;
  if (SCIENTIFIC.test(text) || DECIMAL_TAIL.test(text)) {
    return ['', [problem(`${kind}_damaged_by_spreadsheet`, `${label} sudah dirusak spreadsheet `
      + `(diubah menjadi angka, digit terakhir hilang dan tidak bisa dipulihkan). ${retype}`)]];
  }
  const bad = [...text].filter((c) => c < '0' || c > '9');
  if (bad.length) {
    return ['', [problem(`${kind}_not_digits`, `${label} hanya boleh berisi angka 0-9, tanpa titik, `
      + `tanda hubung atau huruf; ditemukan: ${describeCharacters(bad)}.`)]];
  }
  if (text.length < 16) {
    return ['', [problem(`${kind}_damaged_by_spreadsheet`, `${label} hanya ${text.length} digit, `
      + `harus 16. Digit yang hilang tidak bisa ditebak. ${retype}`)]];
  }
  if (text.length > 16) {
    return ['', [problem(`${kind}_length`, `${label} terlalu panjang: ${text.length} digit, harus tepat 16.`)]];
  }
  return [text, []];
}

/** Split 16 digits into region, day, month, two-digit year and serial. */
export function nikParts(nik) {
  const day = Number(nik.slice(6, 8));
  let sex = null;
  if (day >= 1 && day <= 31) sex = 'L';
  else if (day >= 41 && day <= 71) sex = 'P';
  return {
    region: nik.slice(0, 6), province: nik.slice(0, 2), day, sex,
    birthDay: day > 40 ? day - 40 : day,
    month: Number(nik.slice(8, 10)), year2: Number(nik.slice(10, 12)), serial: Number(nik.slice(12)),
  };
}

function regionProblems(number, kind) {
  const label = LABELS[kind];
  const province = number.slice(0, 2);
  if (!PROVINCE_CODES.includes(Number(province))) {
    return [problem(`${kind}_province_unknown`, `Kode provinsi di ${label} (2 digit pertama: `
      + `${province}) tidak dikenal; periksa lagi dari dokumen.`)];
  }
  if (number.slice(0, 4) !== '7371') {
    return [problem(`${kind}_region_outside_makassar`, `Kode wilayah di ${label} (${province}.`
      + `${number.slice(2, 4)}) bukan Kota Makassar (73.71). Ini wajar bagi pendatang; pastikan `
      + 'berdomisili di Makassar.', 'warning')];
  }
  if (!MAKASSAR_KECAMATAN.includes(number.slice(0, 6))) {
    return [problem(`${kind}_kecamatan_unknown`, `Kode kecamatan di ${label} (73.71.`
      + `${number.slice(4, 6)}) bukan kecamatan Makassar; periksa lagi dari dokumen.`, 'warning')];
  }
  return [];
}

/** Whether DD-MM-YY is a real date, read as 20YY like the Python module. */
function dateExists(day, month, year2) {
  const d = new Date(Date.UTC(2000 + year2, month - 1, day));
  return d.getUTCFullYear() === 2000 + year2 && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

function nikDateProblems(parts) {
  const found = [];
  if (parts.sex === null) {
    found.push(problem('nik_day_invalid', `Tanggal lahir di NIK (digit 7-8: ${pad2(parts.day)}) tidak `
      + 'sah: 01-31 untuk laki-laki, 41-71 untuk perempuan (tanggal lahir ditambah 40).'));
  }
  if (parts.month < 1 || parts.month > 12) {
    found.push(problem('nik_month_invalid', `Bulan lahir di NIK (digit 9-10: ${pad2(parts.month)}) `
      + 'tidak sah: harus 01-12.'));
  }
  if (!found.length && !dateExists(parts.birthDay, parts.month, parts.year2)) {
    found.push(problem('nik_date_invalid', `Tanggal lahir di NIK (digit 7-12: ${pad2(parts.birthDay)}-`
      + `${pad2(parts.month)}-${pad2(parts.year2)}) tidak ada di kalender.`));
  }
  return found;
}

function sexProblems(parts, sex) {
  const declared = typeof sex === 'string' ? sex.trim().toUpperCase() : null;
  if (!['L', 'P'].includes(declared) || parts.sex === null || parts.sex === declared) return [];
  const detail = declared === 'P'
    ? `Tanggal lahir di NIK (${pad2(parts.day)}) adalah tanggal laki-laki, padahal di formulir `
      + `perempuan (P). Untuk perempuan tanggal lahir di NIK ditambah 40 (${pad2(parts.day)} + 40 = ${parts.day + 40}).`
    : `Tanggal lahir di NIK (${parts.day}) lebih dari 40, tanda perempuan, padahal di formulir laki-laki (L).`;
  return [problem('nik_sex_mismatch', `Jenis kelamin tidak cocok dengan NIK. ${detail}`)];
}

function birthDateProblems(parts, birthDate) {
  const [year, month, day] = birthDate.split('-').map(Number);
  const found = [];
  if (parts.sex !== null && parts.birthDay !== day) {
    found.push(['hari', parts.sex === 'P' ? `${parts.day} - 40 = ${pad2(parts.birthDay)}` : pad2(parts.day), pad2(day)]);
  }
  if (parts.month >= 1 && parts.month <= 12 && parts.month !== month) {
    found.push(['bulan', pad2(parts.month), pad2(month)]);
  }
  if (parts.year2 !== year % 100) found.push(['tahun', pad2(parts.year2), `${year} (${pad2(year % 100)})`]);
  return found.map(([part, inNik, inForm]) => problem('nik_birth_date_mismatch',
    `Tanggal lahir tidak cocok dengan NIK: ${part} lahir di NIK ${inNik}, di formulir ${inForm}.`));
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Every problem with a NIK, alone or against the form's birth date (YYYY-MM-DD) and sex. */
export function checkNik(value, birthDate = null, sex = null) {
  const [number, structural] = parseNumber(value, 'nik');
  if (structural.length) return structural;
  const parts = nikParts(number);
  const found = [...regionProblems(number, 'nik'), ...nikDateProblems(parts)];
  if (parts.serial === 0) {
    found.push(problem('nik_serial_zero', 'Nomor urut di NIK (4 digit terakhir) tidak boleh 0000.'));
  }
  found.push(...sexProblems(parts, sex));
  if (typeof birthDate === 'string' && ISO_DATE.test(birthDate)) {
    found.push(...birthDateProblems(parts, birthDate));
  }
  return found;
}

/** Every problem with a KK number (region, issue date DDMMYY without +40, serial). */
export function checkKk(value) {
  const [number, structural] = parseNumber(value, 'kk');
  if (structural.length) return structural;
  const parts = nikParts(number);
  const found = regionProblems(number, 'kk');
  if (!dateExists(parts.day, parts.month, parts.year2)) {
    found.push(problem('kk_date_invalid', `Tanggal terbit di Nomor KK (digit 7-12: ${pad2(parts.day)}-`
      + `${pad2(parts.month)}-${pad2(parts.year2)}) tidak ada di kalender (KK tidak memakai tambahan 40).`));
  }
  if (parts.serial === 0) {
    found.push(problem('kk_serial_zero', 'Nomor urut di Nomor KK (4 digit terakhir) tidak boleh 0000.'));
  }
  return found;
}

// Letters and marks of any script, space separators and . , ' ’ - (not variation selectors).
const NAME_CHAR = /^(?:[\p{L}\p{Zs}.,'\u2019-]|(?![\uFE00-\uFE0F\u{E0100}-\u{E01EF}])\p{M})$/u;
const NAME_MAX = 100;

/** The name NFC-normalised, trimmed, inner spaces collapsed; throws {code, message}. */
export function normalisePersonName(value) {
  if (value !== null && value !== undefined && typeof value !== 'string') {
    throw problem('name_invalid_characters', 'Nama harus berupa teks.');
  }
  let text = (value || '').normalize('NFC').trim();
  if (!text) throw problem('name_required', 'Nama wajib diisi.');
  const bad = [...text].filter((c) => !NAME_CHAR.test(c));
  if (bad.length) {
    throw problem('name_invalid_characters', "Nama hanya boleh berisi huruf, spasi dan tanda . , ' \u2019 -; "
      + `tidak boleh: ${describeCharacters(bad)}.`);
  }
  text = text.replace(/\p{Zs}/gu, ' ').split(' ').filter(Boolean).join(' ').normalize('NFC');
  if (!/\p{L}/u.test(text)) {
    throw problem('name_invalid_characters', 'Nama harus memuat huruf, bukan hanya tanda baca.');
  }
  if ([...text].length > NAME_MAX) {
    throw problem('name_too_long', `Nama terlalu panjang: ${[...text].length} karakter, paling banyak ${NAME_MAX}.`);
  }
  return text;
}

const PHONE_HINT = 'Tulis seperti 0812-3456-789, +628123456789 atau 0411-123456.';
const phoneError = (reason) => problem('phone_invalid', `Nomor telepon tidak sah: ${reason}. ${PHONE_HINT}`);

/** "0812-3456-789" -> "+628123456789"; throws {code: 'phone_invalid', message}. */
export function normalisePhone(value) {
  if (typeof value !== 'string') throw phoneError('harus ditulis sebagai teks');
  const compact = value.trim().replace(/^(\+?62)[ \u00a0]*\(0\)/, '$1').replace(/[ \u00a0.\-()]/g, '');
  const prefix = ['+62', '62', '0'].find((p) => compact.startsWith(p));
  if (prefix === undefined) throw phoneError('harus diawali 0, 62 atau +62');
  const national = compact.slice(prefix.length);
  if (!national || !DIGITS.test(national)) {
    throw phoneError('hanya boleh angka, spasi, titik, tanda hubung dan kurung');
  }
  if ('01'.includes(national[0])) throw phoneError('setelah 0 harus kode wilayah atau 8 untuk ponsel');
  if (national.length < 9 || national.length > 13) {
    throw phoneError(`${national.length} digit setelah 0, harus 9-13`);
  }
  return `+62${national}`;
}
