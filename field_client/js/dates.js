/**
 * Dates shown the way people say them ("12 Maret 1980"), so that 03/12 can never
 * be read as 3 December. Values stay ISO (YYYY-MM-DD) everywhere else.
 */

export const MONTHS = ['Januari', 'Februari', 'Maret', 'April', 'Mei', 'Juni', 'Juli',
  'Agustus', 'September', 'Oktober', 'November', 'Desember'];

/** "1980-03-12" -> "12 Maret 1980"; '' for anything that is not a real date. */
export function formatDateId(iso) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || '');
  if (!match) return '';
  const [year, month, day] = match.slice(1).map(Number);
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return '';
  return `${day} ${MONTHS[month - 1]} ${year}`;
}

/** Whole years between an ISO birth date and ``today`` (a Date). */
export function ageOn(iso, today = new Date()) {
  const [year, month, day] = iso.split('-').map(Number);
  let age = today.getFullYear() - year;
  if (today.getMonth() + 1 < month || (today.getMonth() + 1 === month && today.getDate() < day)) age -= 1;
  return age;
}

/** Today's date as YYYY-MM-DD in the phone's time zone (the max of the date input). */
export function todayIso(now = new Date()) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** A moment as "25 November 2026 09.30" for the outbox and the consent step. */
export function formatMomentId(isoMoment) {
  const d = new Date(isoMoment);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${pad(d.getHours())}.${pad(d.getMinutes())}`;
}

/** Rupiah with dots: 1500000 -> "Rp1.500.000". */
export function formatRupiah(amount) {
  if (!Number.isInteger(amount)) return '';
  return `Rp${String(amount).replace(/\B(?=(\d{3})+(?!\d))/g, '.')}`;
}
