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
// a one-line birth place takes a tab, the address and notes line breaks too).
const FREE_TEXT_FIELDS = [['birth_place', '\t'], ['address', TYPED_CONTROLS], ['notes', TYPED_CONTROLS]];

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

/**
 * {errors, warnings}: field -> list of Indonesian messages. ``reference`` (may be
 * null) gives the occupation list; ``minimumWage`` a soft income warning.
 */
export function validateRecord(data, reference = null, today = todayIso()) {
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
  return { errors, warnings };
}

/** True when nothing blocks queueing the record for sending. */
export function isComplete(data, reference = null) {
  return Object.keys(validateRecord(data, reference).errors).length === 0;
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
