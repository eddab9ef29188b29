/**
 * The receipt (tanda terima) the phone shows after saving: enrollment id, date,
 * enumerator, a masked NIK and a QR code of the id (qrcode-generator, vendored).
 * It never holds the full NIK, the KK or the address.
 */
import qrcode from './qrcode-generator.js';
import { formatMomentId } from './dates.js';

/** "7371015203800001" -> "7371 •••• •••• ••01"; also from the list's masked form
 * ("737101******0001", all an accepted record keeps on the phone). */
export function maskNik(nik) {
  const text = String(nik || '');
  const listed = /^(\d{6})\*{6}(\d{4})$/.exec(text);
  const digits = listed ? `${listed[1]}${listed[2]}` : text;
  const known = /^\d{16}$/.test(text) || listed;
  return known ? `${digits.slice(0, 4)} •••• •••• ••${digits.slice(-2)}` : '••••••••••••••••';
}

/** What the receipt shows for a saved record (waiting, or accepted and minimised). */
export function receiptOf(record, enumerator) {
  return {
    id: record.id,
    full_name: record.data.full_name || '',
    nik_masked: maskNik(record.data.nik || record.data.nik_masked),
    date: formatMomentId(record.data.captured_at || record.created_at),
    enumerator: enumerator || record.owner || '',
  };
}

/** A data: URL (GIF) of the QR code of ``text`` (CSP allows data: images). */
export function qrDataUrl(text, cellSize = 4) {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  return qr.createDataURL(cellSize, 2);
}
