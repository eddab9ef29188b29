// freshness.js, nikpropose.js, receipt.js: pure parts of the phone's round-2 features.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ageOf, freshnessLines, offsetOf, stamp } from '../js/freshness.js';
import { fromDmy, householdCopy, proposeFromNik, toDmy } from '../js/nikpropose.js';
import { maskNik, qrDataUrl, receiptOf } from '../js/receipt.js';

const DAY = 86400000;

test('ages survive a phone clock that is days off', () => {
  const server = '2026-11-20T08:00:00Z';
  const phoneThen = Date.parse('2026-11-15T08:00:00Z'); // the phone is 5 days behind
  const s = stamp(server, phoneThen);
  assert.equal(ageOf(s, phoneThen + 2 * DAY), 2 * DAY);
  assert.equal(offsetOf(s), 5 * DAY);
  // with the offset of the latest answer, server time decides: 2 days later on the
  // (still wrong) phone clock is 2 days of age
  assert.equal(ageOf(s, phoneThen + 2 * DAY, offsetOf(s)), 2 * DAY);
  // the clock was corrected since, and a later answer measured offset 0: still 2 days
  assert.equal(ageOf(s, phoneThen + 7 * DAY, 0), 2 * DAY);
  const lines = freshnessLines({ reference: s, dedupe: stamp(server, phoneThen - 8 * DAY), phoneNow: phoneThen + DAY });
  assert.equal(lines[0].warn, false);
  assert.equal(lines[1].warn, true);
  assert.match(lines[1].text, /^Petunjuk NIK ganda: diperbarui 9 hari yang lalu \(.*\)\. Sudah lebih dari 7 hari/);
  assert.match(lines[0].text, /^Daftar isian: diperbarui 1 hari yang lalu \(/);
  const never = freshnessLines({ reference: null, dedupe: null });
  assert.equal(never[0].warn, true);
  assert.equal(never[1].text, 'Petunjuk NIK ganda: belum diunduh. Masuk saat terhubung ke server '
    + 'kelurahan untuk mengunduhnya.');
  const fresh = freshnessLines({ reference: stamp(server, phoneThen), dedupe: null, phoneNow: phoneThen + 60000 });
  assert.match(fresh[0].text, /^Daftar isian: diperbarui baru saja \(/);
  assert.doesNotMatch(fresh[0].text, /lalu/);
});

test('records unsent for more than the setting warn', () => {
  const now = Date.parse('2026-11-25T08:00:00Z');
  const records = [{ state: 'queued', created_at: new Date(now - 4 * DAY).toISOString() },
    { state: 'accepted', created_at: new Date(now - 10 * DAY).toISOString() }];
  const lines = freshnessLines({ reference: stamp('2026-11-25T07:00:00Z', now), dedupe: stamp('2026-11-25T07:00:00Z', now), records, phoneNow: now });
  const outbox = lines.find((l) => l.kind === 'outbox');
  assert.ok(outbox && outbox.warn);
  assert.match(outbox.text, /^1 data belum terkirim, yang tertua sudah 4 hari/);
  assert.equal(freshnessLines({ records: records.slice(0, 1), phoneNow: now - 2 * DAY }).find((l) => l.kind === 'outbox'), undefined);
});

test('NIK proposes birth date and sex (day + 40 for women)', () => {
  const today = new Date('2026-11-25T00:00:00Z');
  assert.deepEqual(proposeFromNik('7371015203800001', today), { birth_date: '1980-03-12', sex: 'P' });
  assert.deepEqual(proposeFromNik('7371011203800001', today), { birth_date: '1980-03-12', sex: 'L' });
  assert.deepEqual(proposeFromNik('7371012902040001', today), { birth_date: '2004-02-29', sex: 'L' });
  assert.equal(proposeFromNik('7371013102800001', today), null); // 31 February
  assert.equal(proposeFromNik('73710152038000', today), null);
  assert.equal(proposeFromNik('', today), null);
});

test('dates as dd-mm-yyyy both ways', () => {
  assert.equal(toDmy('1980-03-12'), '12-03-1980');
  assert.equal(fromDmy('12-03-1980'), '1980-03-12');
  assert.equal(fromDmy('1/3/1980'), '1980-03-01');
  assert.equal(fromDmy('31-02-1980'), '');
  assert.equal(fromDmy('1980-03-12'), '');
});

test('household copy takes KK, address, RT/RW and kelurahan only', () => {
  const data = { nik: '7371015203800001', full_name: 'Siti', kk_number: '7371011203150001', address: 'Jl. Ratulangi 5',
    rt: '001', rw: '002', kelurahan_code: '73.71.01.1001', birth_date: '1980-03-12' };
  assert.deepEqual(householdCopy(data), { kk_number: '7371011203150001', address: 'Jl. Ratulangi 5', rt: '001', rw: '002', kelurahan_code: '73.71.01.1001' });
});

test('receipt masks the NIK and holds no KK or address; QR is an image', () => {
  const record = { id: '0b7c1a2e-1234-4cde-8f00-123456789abc', created_at: '2026-11-25T01:00:00Z', owner: 'enumerator',
    data: { nik: '7371015203800001', kk_number: '7371011203150001', address: 'Jl. Ratulangi 5', full_name: 'Siti', captured_at: '2026-11-25T01:00:00Z' } };
  const r = receiptOf(record, 'enumerator');
  assert.equal(r.nik_masked, '7371 •••• •••• ••01');
  const text = JSON.stringify(r);
  for (const secret of ['7371015203800001', '7371011203150001', 'Ratulangi']) assert.ok(!text.includes(secret));
  assert.equal(maskNik('123'), '••••••••••••••••');
  assert.match(qrDataUrl(record.id), /^data:image\/gif;base64,/);
  // accepted by the server, the phone keeps only the list's masked NIK: the receipt still masks it its way
  const accepted = { id: record.id, created_at: record.created_at, state: 'accepted',
    data: { id: record.id, full_name: 'Siti', nik_masked: '737101******0001' } };
  assert.equal(receiptOf(accepted, 'enumerator').nik_masked, '7371 •••• •••• ••01');
  assert.equal(maskNik('737101****0001'), '••••••••••••••••');
});
