/**
 * How old the phone's lists and duplicate index are, and how long records have
 * waited in the outbox, honest even when the phone's clock is days off: every
 * server answer gives the server's time, the phone keeps the offset (server minus
 * phone) of the latest answer, and an age is "phone now + offset - server time of
 * the download". Without a known offset, ages are measured on the phone's own clock
 * between two of its readings (a constant error cancels out).
 */
import { formatMomentId } from './dates.js';

const DAY = 86400000;

/** A download stamp: the server's time then and the phone's time then. */
export function stamp(serverTime, phoneNow = Date.now()) {
  const server = Date.parse(serverTime || '');
  return { server_at: Number.isNaN(server) ? null : new Date(server).toISOString(), phone_at: phoneNow };
}

/** Milliseconds since a stamp, or null when there is none. */
export function ageOf(s, phoneNow = Date.now(), offsetMs = null) {
  if (!s || typeof s.phone_at !== 'number') return null;
  if (s.server_at && typeof offsetMs === 'number') return Math.max(0, phoneNow + offsetMs - Date.parse(s.server_at));
  return Math.max(0, phoneNow - s.phone_at);
}

/** The offset (server minus phone, ms) a download stamp measured. */
export function offsetOf(s) {
  return s && s.server_at ? Date.parse(s.server_at) - s.phone_at : null;
}

/** "3 hari", "5 jam", "baru saja". */
export function ageText(ms) {
  if (ms === null) return 'belum pernah';
  if (ms >= DAY) return `${Math.floor(ms / DAY)} hari`;
  if (ms >= 3600000) return `${Math.floor(ms / 3600000)} jam`;
  return 'baru saja';
}

/**
 * Lines for the outbox screen: {text, warn}. ``records`` are the user's outbox
 * records (created_at in phone time, phone_created_at when known).
 */
export function freshnessLines({ reference, dedupe, records = [], staleDays = 7, outboxDays = 3,
  phoneNow = Date.now(), offsetMs = null }) {
  const lines = [];
  for (const [label, s] of [['Daftar isian', reference], ['Petunjuk NIK ganda', dedupe]]) {
    const age = ageOf(s, phoneNow, offsetMs);
    const when = s?.server_at ? ` (${formatMomentId(s.server_at)})` : '';
    const kind = label === 'Daftar isian' ? 'reference' : 'dedupe';
    if (age === null) {
      lines.push({ kind, warn: true,
        text: `${label}: belum diunduh. Masuk saat terhubung ke server kelurahan untuk mengunduhnya.` });
      continue;
    }
    const old = age > staleDays * DAY;
    const ago = age < 3600000 ? 'baru saja' : `${ageText(age)} yang lalu`;
    lines.push({ kind, warn: old,
      text: `${label}: diperbarui ${ago}${when}`
        + (old ? `. Sudah lebih dari ${staleDays} hari: sambungkan ke server kelurahan untuk memperbarui.` : '.') });
  }
  const waiting = records.filter((r) => ['queued', 'sent', 'fix_queued'].includes(r.state));
  const oldest = waiting.map((r) => ageOf({ phone_at: Date.parse(r.created_at), server_at: null }, phoneNow))
    .filter((a) => a !== null).reduce((a, b) => Math.max(a, b), 0);
  if (waiting.length && oldest > outboxDays * DAY) {
    lines.push({ kind: 'outbox', warn: true,
      text: `${waiting.length} data belum terkirim, yang tertua sudah ${ageText(oldest)}. Kirim segera saat ada sinyal (paling lama ${outboxDays} hari).` });
  }
  return lines;
}
