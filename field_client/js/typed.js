/**
 * What an enumerator types besides names and identity numbers, read as the server
 * reads it: free text (address, birth place, notes) and the monthly income in rupiah.
 *
 * Ports of berjasa/checks.py (unprintable_characters: the free-text rule) and
 * berjasa/number_text.py (parse_rupiah: the one reader of typed or imported rupiah).
 * Both sides run the same cases (field_client/tests/typed_cases.json, written by
 * tests/unit/field_rules_cases.py, checked by pytest against Python and by
 * typed.test.mjs here), so a change on one side without the other fails. The server
 * stays the authority; the phone says it first, at the door.
 */

// --- free text -------------------------------------------------------------------

// Line breaks and the tab a textarea gives (a one-line field allows none).
export const TYPED_CONTROLS = '\n\r\t';
// The format characters real text needs: zero-width non-joiner and joiner.
export const TEXT_JOINERS = '\u200c\u200d';
const UNPRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]$/u;
const BIDI_CONTROLS = new Set('\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069');
const KINDS = [
  [/^\p{Cc}$/u, 'karakter kontrol'], [/^\p{Cf}$/u, 'karakter format tak terlihat'],
  [/^\p{Cs}$/u, 'karakter rusak (surrogate)'], [/^\p{Co}$/u, 'karakter area pribadi'],
  [/^\p{Cn}$/u, 'karakter tak dikenal'], [/^\p{Zl}$/u, 'pemisah baris Unicode'],
  [/^\p{Zp}$/u, 'pemisah paragraf Unicode'],
];
const SHOWN_AT_MOST = 5;

/** The characters of ``text`` free text refuses, each once, in order of appearance. */
export function unprintableCharacters(text, allowed = TYPED_CONTROLS) {
  const found = [];
  for (const c of String(text)) {
    if (!allowed.includes(c) && !TEXT_JOINERS.includes(c) && UNPRINTABLE.test(c) && !found.includes(c)) {
      found.push(c);
    }
  }
  return found;
}

const codeOf = (c) => `U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

/** What an unprintable character is, in a few Indonesian words. */
export function characterKind(c) {
  if (BIDI_CONTROLS.has(c)) return 'pengatur arah teks';
  return (KINDS.find(([pattern]) => pattern.test(c)) || [null, 'karakter'])[1];
}

/** "U+202E (pengatur arah teks), U+200B (...)": five at most, then "dan lainnya". */
export function describeUnprintable(chars) {
  const shown = chars.slice(0, SHOWN_AT_MOST).map((c) => `${codeOf(c)} (${characterKind(c)})`);
  return shown.join(', ') + (chars.length > SHOWN_AT_MOST ? ' dan lainnya' : '');
}

/** null for printable text, else {code: 'unprintable_characters', message} naming them. */
export function freeTextProblem(text, allowed = TYPED_CONTROLS, subject = 'Berisi') {
  const chars = unprintableCharacters(text, allowed);
  if (!chars.length) return null;
  return {
    code: 'unprintable_characters',
    message: `${subject} karakter tak terlihat atau tak tercetak: ${describeUnprintable(chars)}. `
      + 'Hapus karakter itu; bila tidak kelihatan, hapus isian ini lalu ketik ulang.',
  };
}

// --- rupiah ----------------------------------------------------------------------

// Why an amount was not read (berjasa.number_text.RUPIAH_PROBLEMS, word for word).
export const RUPIAH_PROBLEMS = {
  invalid: 'harus angka rupiah, mis. 2100000, 2.100.000 atau Rp 2.100.000,00',
  cents: 'ada sen (angka di belakang koma bukan nol): tulis rupiah bulat, mis. 2.100.000',
  ambiguous: 'titik/koma tidak jelas, ribuan atau desimal: tulis 2100000 atau 2.100.000 '
    + '(titik hanya pemisah ribuan, koma hanya untuk ,00)',
};

// Python's \s (str.isspace) and the zero-width space and BOM: spelled out, since
// JavaScript's \s is another set (it has no U+001C-U+001F or U+0085).
const BLANKS = /[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+/gu;
const CURRENCY = /^(?:[Rr][Pp]\.?|[Ii][Dd][Rr])/;
const RUPIAH = /^([0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,-|,([0-9]{1,2})|\.-)?$/;
const SEPARATED_DIGITS = /^[0-9][0-9.,]*$/;
export const MAX_RUPIAH_DIGITS = 12;

/** An amount that is not whole rupiah written the Indonesian way. */
export class RupiahUnreadable extends Error {
  constructor(problem) {
    super(RUPIAH_PROBLEMS[problem]);
    this.problem = problem;
  }
}

/**
 * Whole rupiah as Indonesians write them: 2100000, 2.100.000, Rp 2.100.000,
 * Rp2.100.000,00, 2.100.000,-; spaces anywhere, Rp/Rp./IDR before. null when there
 * is no figure. Throws RupiahUnreadable: ``cents`` (2.100.000,50), ``ambiguous``
 * (2,100; 1.50; 2100000.00: a dot only between groups of three digits, a comma only
 * before decimals), ``invalid`` (a word such as "1,5 juta", a minus, over 12 digits).
 */
export function parseRupiah(text) {
  let compact = String(text ?? '').replace(BLANKS, '');
  const currency = CURRENCY.exec(compact);
  if (currency) compact = compact.slice(currency[0].length);
  if (!compact) return null;
  const match = RUPIAH.exec(compact);
  if (!match) throw new RupiahUnreadable(SEPARATED_DIGITS.test(compact) ? 'ambiguous' : 'invalid');
  if (match[2] && Number(match[2])) throw new RupiahUnreadable('cents');
  const digits = match[1].replace(/\./g, '');
  if (digits.replace(/^0+/, '').length > MAX_RUPIAH_DIGITS) throw new RupiahUnreadable('invalid');
  return Number(digits);
}

/** The phone's message for an income that was not read. */
export function incomeMessage(problem) {
  return `Penghasilan: ${RUPIAH_PROBLEMS[problem]}.`;
}
