/**
 * The receipt (tanda terima) the phone shows after saving: enrollment id, date,
 * enumerator, a masked NIK and a QR code of the id (qrcode-generator, vendored).
 * It never holds the full NIK, the KK or the address.
 */
import qrcode from './qrcode-generator.js';
import { formatMomentId } from './dates.js';

/** "7371015203800001" -> "7371 •••• •••• ••01". */
export function maskNik(nik) {
  const digits = String(nik || '');
  return digits.length === 16 ? `${digits.slice(0, 4)} •••• •••• ••${digits.slice(-2)}` : '••••••••••••••••';
}

/** What the receipt shows for a saved record. */
export function receiptOf(record, enumerator) {
  return {
    id: record.id,
    full_name: record.data.full_name || '',
    nik_masked: maskNik(record.data.nik),
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
