/**
 * From a valid NIK, the birth date and sex it encodes, proposed to the enumerator
 * (never filled in silently): digits 7-8 are the day (plus 40 for women), 9-10 the
 * month, 11-12 the year (two digits: the century that gives an age of 0-110 today).
 */

/** {birth_date: 'YYYY-MM-DD', sex: 'L'|'P'} or null when the NIK holds no real date. */
export function proposeFromNik(nik, today = new Date()) {
  const digits = String(nik || '').replace(/\s/g, '');
  if (!/^\d{16}$/.test(digits)) return null;
  let day = Number(digits.slice(6, 8));
  const month = Number(digits.slice(8, 10));
  const yy = Number(digits.slice(10, 12));
  const sex = day > 40 ? 'P' : 'L';
  if (day > 40) day -= 40;
  const thisYear = today.getFullYear();
  let year = 2000 + yy;
  if (year > thisYear) year -= 100;
  const d = new Date(Date.UTC(year, month - 1, day));
  if (month < 1 || month > 12 || day < 1 || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  const pad = (n) => String(n).padStart(2, '0');
  return { birth_date: `${year}-${pad(month)}-${pad(day)}`, sex };
}

/** "1980-03-12" -> "12-03-1980" (how dates are shown and typed, whatever the phone's language). */
export function toDmy(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || '');
  return m ? `${m[3]}-${m[2]}-${m[1]}` : '';
}

/** "12-03-1980" or "12/03/1980" or "12.03.1980" -> "1980-03-12"; '' when not a date. */
export function fromDmy(text) {
  const m = /^\s*(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\s*$/.exec(text || '');
  if (!m) return '';
  const [day, month, year] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${year}-${pad(month)}-${pad(day)}`;
}

/** Fields a household member's next record starts with (for the enumerator to check). */
export const HOUSEHOLD_FIELDS = ['kk_number', 'address', 'rt', 'rw', 'kelurahan_code'];

export function householdCopy(data) {
  const out = {};
  for (const name of HOUSEHOLD_FIELDS) if (data && data[name] !== undefined) out[name] = data[name];
  return out;
}
