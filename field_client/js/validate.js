/**
 * Whole-record checks on the phone: required fields, the identity rules shared
 * with the server (rules.js) and its free-text and rupiah rules (typed.js).
 * Settings-dependent limits (income bounds, lists the office may change) are left to
 * the server, which stays the authority; its 422 comes back onto the same field.
 */
import { checkKk, checkNik, normalisePersonName, normalisePhone } from './rules.js';
import { ageOn, formatDateId, todayIso } from './dates.js';
import {
  freeTextProblem, incomeMessage, parseRupiah, RupiahUnreadable, TYPED_CONTROLS,
} from './typed.js';

// Free text and what it may hold besides printable characters (the server's FreeText:
// the address and notes take line breaks and a tab; a one-line birth place no control
// at all, berjasa.checks.ONE_LINE_CONTROLS: a tab pasted from a spreadsheet row would
// split its exported cell).
const FREE_TEXT_FIELDS = [['birth_place', ''], ['address', TYPED_CONTROLS], ['notes', TYPED_CONTROLS]];

/** Why an income value is not a whole rupiah amount (a key of RUPIAH_PROBLEMS). */
function incomeProblem(value) {
  if (typeof value !== 'string') return 'invalid';
  try {
    parseRupiah(value);
  } catch (err) {
    if (err instanceof RupiahUnreadable) return err.problem;
    throw err;
  }
  return 'invalid'; // read, yet not an integer here (a negative number, say)
}

export const REQUIRED_FIELDS = ['nik', 'kk_number', 'full_name', 'birth_place', 'birth_date', 'sex',
  'address', 'rt', 'rw', 'kelurahan_code', 'mother_name', 'occupation', 'monthly_income',
  'heir_name', 'heir_relation'];
const REQUIRED = 'Wajib diisi.';

function add(bucket, field, message) {
  (bucket[field] ||= []).push(message);
}

function empty(value) {
  return value === undefined || value === null || (typeof value === 'string' && !value.trim());
}

// The server's bounds of consent.at (berjasa.checks.consent_at_problems): not before the
// program's first round, not more than a day (its clock slack) ahead of the server's clock.
const CONSENT_FLOOR_MS = Date.parse('2024-01-01T00:00:00+08:00');
const CLOCK_SLACK_MS = 86400000;
export const CONSENT_TIME_CODES = new Set(['consent_in_future', 'consent_before_program']);

/**
 * The phone's clock against the server's: ``offsetMs`` is server minus phone (from the
 * last server answer, null when none was seen). ``wrong`` only when the phone's own
 * clock is the problem: more than a day off the server's, or before the program began
 * (a clock reset to 1970 or 2000).
 */
export function clockOf(offsetMs = null, phoneNow = Date.now()) {
  const known = typeof offsetMs === 'number' && Number.isFinite(offsetMs);
  return { serverNow: phoneNow + (known ? offsetMs : 0),
    wrong: (known && Math.abs(offsetMs) > CLOCK_SLACK_MS) || phoneNow < CONSENT_FLOOR_MS };
}

/** What the enumerator reads for a consent time the server refuses (its code named):
 * "check the phone's clock" only when the phone's clock is wrong; else the stored time
 * is invalid and the consent is taken again (untick and tick "Pekerja setuju"). */
export function consentTimeMessage(code, clockWrong) {
  const what = code === 'consent_in_future' ? 'di masa depan' : 'sebelum program dimulai (1 Januari 2024)';
  if (clockWrong) {
    return `Waktu persetujuan ${what} (${code}): jam HP ini salah. Betulkan tanggal dan jam HP, `
      + 'lalu hapus centang "Pekerja setuju" dan centang lagi.';
  }
  return `Waktu persetujuan yang tersimpan tidak sah: ${what} (${code}). Minta persetujuan pekerja lagi: `
    + 'hapus centang "Pekerja setuju" lalu centang lagi untuk mencatat waktu baru.';
}

/** The code of a consent time the server would refuse, or null (an unreadable time: the server says). */
export function consentTimeProblem(at, clock = clockOf()) {
  const time = Date.parse(at || '');
  if (Number.isNaN(time)) return null;
  if (time > clock.serverNow + CLOCK_SLACK_MS) return 'consent_in_future';
  if (time < CONSENT_FLOOR_MS) return 'consent_before_program';
  return null;
}

/**
 * {errors, warnings}: field -> list of Indonesian messages. ``reference`` (may be
 * null) gives the occupation list; ``minimumWage`` a soft income warning; ``clock``
 * (clockOf) the server's time as the phone knows it, for the consent time.
 */
export function validateRecord(data, reference = null, today = todayIso(), clock = clockOf()) {
  const errors = {};
  const warnings = {};
  for (const field of REQUIRED_FIELDS) if (empty(data[field])) add(errors, field, REQUIRED);
  if (!empty(data.nik)) {
    for (const p of checkNik(data.nik, data.birth_date || null, data.sex || null)) {
      add(p.severity === 'error' ? errors : warnings, 'nik', p.message);
    }
  }
  if (!empty(data.kk_number)) {
    for (const p of checkKk(data.kk_number)) add(p.severity === 'error' ? errors : warnings, 'kk_number', p.message);
  }
  for (const field of ['full_name', 'mother_name', 'heir_name']) {
    if (empty(data[field])) continue;
    try { normalisePersonName(data[field]); } catch (p) { add(errors, field, p.message); }
  }
  for (const field of ['phone', 'heir_phone']) {
    if (empty(data[field])) continue;
    try { normalisePhone(data[field]); } catch (p) { add(errors, field, p.message); }
  }
  for (const [field, allowed] of FREE_TEXT_FIELDS) {
    if (typeof data[field] !== 'string') continue;
    const problem = freeTextProblem(data[field], allowed);
    if (problem) add(errors, field, problem.message);
  }
  for (const field of ['rt', 'rw']) {
    if (!empty(data[field]) && !(/^[0-9]{1,3}$/.test(data[field]) && Number(data[field]) > 0)) {
      add(errors, field, `${field.toUpperCase()} harus 1 sampai 3 angka, bukan 0 (mis. 002).`);
    }
  }
  if (!empty(data.birth_date)) {
    if (!formatDateId(data.birth_date) || data.birth_date < '1900-01-01') {
      add(errors, 'birth_date', 'Tanggal lahir tidak valid: tulis hh-bb-tttt, mis. 12-03-1980.');
    } else if (data.birth_date > today) {
      add(errors, 'birth_date', 'Tanggal lahir tidak boleh di masa depan.');
    } else if (Number.isInteger(reference?.age_min) && Number.isInteger(reference?.age_max)) {
      const age = ageOn(data.birth_date, new Date(`${today}T12:00:00`));
      if (age < reference.age_min || age > reference.age_max) {
        add(warnings, 'birth_date', `Umur ${age} tahun, di luar batas program (${reference.age_min}-`
          + `${reference.age_max} tahun): mungkin tidak memenuhi syarat. Periksa lagi.`);
      }
    }
  }
  if (data.monthly_income !== undefined && data.monthly_income !== null && data.monthly_income !== '') {
    if (!Number.isInteger(data.monthly_income) || data.monthly_income < 0) {
      add(errors, 'monthly_income', incomeMessage(incomeProblem(data.monthly_income)));
    } else if (reference?.city_minimum_wage && data.monthly_income > reference.city_minimum_wage) {
      add(warnings, 'monthly_income', 'Di atas UMK Makassar: mungkin tidak memenuhi syarat. Periksa lagi.');
    }
  }
  if (reference?.occupations?.length && !empty(data.occupation)
      && !reference.occupations.includes(data.occupation)) {
    add(errors, 'occupation', 'Pilih pekerjaan dari daftar KTP; bila tidak ada pilih "Lainnya".');
  }
  if (!data.consent?.given) add(errors, 'consent', 'Persetujuan pekerja wajib dicatat sebelum dikirim.');
  else if (empty(data.consent.method)) add(errors, 'consent_method', 'Pilih cara persetujuan.');
  if (data.consent?.given) {
    const code = consentTimeProblem(data.consent.at, clock);
    if (code) add(errors, 'consent', consentTimeMessage(code, clock.wrong));
  }
  return { errors, warnings };
}

/** True when nothing blocks queueing the record for sending. */
export function isComplete(data, reference = null, clock = clockOf()) {
  return Object.keys(validateRecord(data, reference, todayIso(), clock).errors).length === 0;
}

/**
 * Where a server error key belongs in the form: "consent.given" -> "consent",
 * "consent.method" -> "consent_method", "location.lat" -> "location".
 */
export function fieldForServerKey(key) {
  if (key === 'consent.method') return 'consent_method';
  if (key.startsWith('disability.kinds')) return 'disability_kinds';
  return key.split('.')[0];
}

/** A server answer's field errors ({field: [messages]}) with the consent time's refusal
 * (``error_codes`` consent_in_future / consent_before_program) in the phone's words:
 * "check the clock" only when the phone's clock is wrong (consentTimeMessage). */
export function explainedErrors(result, clockWrong = false) {
  const errors = { ...(result?.errors || {}) };
  for (const [key, codes] of Object.entries(result?.error_codes || {})) {
    const code = (codes || []).find((c) => CONSENT_TIME_CODES.has(c));
    if (code) errors[key] = [consentTimeMessage(code, clockWrong)];
  }
  return errors;
}

// The field of a form that each of central's intake codes names
// (berjasa.record_reasons), for a record central sent back.
const CENTRAL_CODE_FIELDS = {
  invalid_nik: 'nik', nik_damaged_by_spreadsheet: 'nik', missing_name: 'full_name', invalid_full_name: 'full_name',
  invalid_birth_date: 'birth_date', nik_birth_date_mismatch: 'birth_date', nik_sex_mismatch: 'sex', invalid_sex: 'sex',
  invalid_income: 'monthly_income', invalid_kk: 'kk_number', kk_damaged_by_spreadsheet: 'kk_number',
  invalid_birth_place: 'birth_place', invalid_address: 'address', invalid_rt: 'rt', invalid_rw: 'rw',
  invalid_kelurahan_code: 'kelurahan_code', kelurahan_mismatch: 'kelurahan_code', invalid_mother_name: 'mother_name',
  invalid_phone: 'phone', invalid_occupation: 'occupation', invalid_work_category: 'work_category',
  invalid_heir_name: 'heir_name', invalid_heir_relation: 'heir_relation', invalid_heir_phone: 'heir_phone',
  consent_not_given: 'consent', invalid_consent: 'consent', invalid_location: 'location', invalid_notes: 'notes',
  invalid_disability: 'disability',
};

/** The fields central's reason names ({field: [messages]}) for a record central sent back,
 * found by its words (``reasons``: central_reasons of the reference, code -> words; the
 * reason holds the words joined by "; "). A refused consent asks for the consent again. */
export function centralFieldErrors(reason, reasons = {}) {
  if (reason?.from !== 'pusat' || !reason.text) return {};
  const head = (text) => String(text).split(/[(:]/)[0].trim().toLowerCase();
  const errors = {};
  for (const part of String(reason.text).split(';').map((p) => p.trim()).filter(Boolean)) {
    const code = Object.keys(CENTRAL_CODE_FIELDS).find((c) => reasons[c] && head(reasons[c]) === head(part));
    if (!code) continue;
    const field = CENTRAL_CODE_FIELDS[code];
    const advice = field === 'consent' ? ' Minta persetujuan pekerja lagi: hapus centang "Pekerja setuju" lalu '
      + 'centang lagi untuk mencatat waktu baru.' : '';
    (errors[field] ||= []).push(`Ditolak pusat: ${part}.${advice}`);
  }
  return errors;
}
