// The sending loop with an in-memory store and a fake server: nothing lost,
// nothing doubled, answers land on the right record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  REASONED, applyResult, applyServerStatuses, backoffMs, erasedIds, closedForEditing, isEditable, isSendable, newRecord,
  payloadOf, saveEdits, sameNikHere, sendOutbox, stoppedText,
} from '../js/outbox.js';
import { validateRecord } from '../js/validate.js';
import { isoBirthDate, parseIncome } from '../js/form.js';
import { formatDateId, formatRupiah } from '../js/dates.js';

function memoryStore(records = []) {
  const map = new Map(records.map((r) => [r.id, r]));
  return {
    map,
    all: async () => [...map.values()],
    putMany: async (list) => { for (const r of list) map.set(r.id, structuredClone(r)); },
  };
}

function queued(n) {
  return Array.from({ length: n }, (_, i) => {
    const r = newRecord(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, new Date(Date.UTC(2026, 0, 1, 0, 0, i)));
    return saveEdits(r, { ...r.data, full_name: `Orang ${i}`, nik: `73710112038${String(i).padStart(5, '0')}` }, true);
  });
}

/** A fake server that stores by id and answers like the real one. */
function fakeServer({ failOn = new Set(), lose = new Set() } = {}) {
  const stored = new Map();
  let calls = 0;
  const post = async (items) => {
    calls += 1;
    if (failOn.has(calls)) throw new TypeError('Failed to fetch');
    const results = items.map((item) => {
      if (item.nik.endsWith('00007')) return { id: item.id, status: 409, code: 'duplicate_nik', existing_id: 'x' };
      if (item.full_name === 'Orang 3') return { id: item.id, status: 422, code: 'validation_error', errors: { monthly_income: ['Terlalu besar'] } };
      const again = stored.has(item.id);
      stored.set(item.id, JSON.stringify(item));
      return { id: item.id, status: again ? 200 : 201, version: 1 };
    });
    if (lose.has(calls)) throw new TypeError('connection reset after commit');
    return { status: 200, body: { results } };
  };
  return { post, stored, calls: () => calls };
}

test('sends in chunks and files every answer', async () => {
  const store = memoryStore(queued(12));
  const server = fakeServer();
  const summary = await sendOutbox({ store, post: server.post, chunkSize: 5 });
  assert.equal(server.calls(), 3);
  assert.deepEqual([summary.accepted, summary.needs_fix, summary.duplicate, summary.stopped], [10, 1, 1, null]);
  const states = [...store.map.values()].map((r) => r.state);
  assert.equal(states.filter((s) => s === 'accepted').length, 10);
  const fix = [...store.map.values()].find((r) => r.state === 'needs_fix');
  assert.deepEqual(fix.result.errors, { monthly_income: ['Terlalu besar'] });
  assert.ok(isEditable(fix));
});

test('a lost answer leaves records sent; the retry gets 200 and nothing doubles', async () => {
  const store = memoryStore(queued(6));
  const server = fakeServer({ lose: new Set([1]) });
  const first = await sendOutbox({ store, post: server.post, chunkSize: 4 });
  assert.equal(first.stopped, 'offline');
  assert.ok([...store.map.values()].slice(0, 4).every((r) => r.state === 'sent' && r.next_try_at));
  assert.ok([...store.map.values()].slice(4).every((r) => r.state === 'queued'));
  assert.equal(isEditable([...store.map.values()][0]), false);
  const second = await sendOutbox({ store, post: server.post, chunkSize: 4 });
  assert.equal(second.stopped, null);
  assert.equal(server.stored.size, 5); // 6 records, one 422, none twice
  assert.equal([...store.map.values()].filter((r) => r.state === 'accepted').length, 5);
});

test('401 stops with auth and keeps the records', async () => {
  const store = memoryStore(queued(2));
  const summary = await sendOutbox({ store, post: async () => ({ status: 401, body: {} }) });
  assert.equal(summary.stopped, 'auth');
  assert.equal(store.map.size, 2);
});

test('a refusal other than 401 keeps the records and says what the server said', async () => {
  for (const [status, message, words] of [
    [403, 'Peran Anda tidak diizinkan.', /akun ini tidak boleh mengirim data pendaftaran\. 2 data tetap di HP/],
    [503, '', /^Server kelurahan sedang bermasalah \(kode 503\)\. 2 data tetap di HP/],
    [400, 'Badan permintaan bukan JSON.', /^Server menolak kiriman \(kode 400\): Badan permintaan bukan JSON\. 2 data/],
  ]) {
    const store = memoryStore(queued(2));
    const summary = await sendOutbox({ store, post: async () => ({ status, body: { message } }) });
    assert.equal(summary.stopped, 'server');
    assert.deepEqual(summary.refusal, { status, message });
    assert.equal(summary.pending, 2);
    assert.match(stoppedText(summary), words);
    assert.doesNotMatch(stoppedText(summary), /tidak terjangkau/);
    assert.ok([...store.map.values()].every((r) => r.state === 'sent'));
  }
  const offline = await sendOutbox({ store: memoryStore(queued(1)), post: async () => { throw new TypeError('x'); } });
  assert.equal(offline.refusal, null);
  assert.match(stoppedText(offline), /^Server tidak terjangkau\. 1 data menunggu/);
});

test('a supervisor\'s reason goes only with the status it explains', () => {
  assert.ok(REASONED.has('needs_fix') && REASONED.has('rejected'));
  assert.ok(!REASONED.has('submitted') && !REASONED.has('approved'));
});

test('a NIK already recorded on this phone is found, never the record itself', () => {
  const [a, b] = queued(2);
  const mine = { ...a, data: { ...a.data, nik: '7371011203800001' } };
  const other = { ...b, data: { ...b.data, nik: '7371011203800002' } };
  const accepted = { id: 'acc', state: 'accepted', data: { nik_masked: '737101******0003' } };
  const records = [mine, other, accepted];
  assert.equal(sameNikHere(records, '7371 0112 0380 0002', mine.id), other);
  assert.equal(sameNikHere(records, '7371011203800001', mine.id), null); // itself
  assert.equal(sameNikHere(records, '7371011203800003', 'new'), null); // accepted: the server's hints
  assert.equal(sameNikHere(records, '73710112038', 'new'), null); // not a whole NIK yet
});

test('413 halves the chunk', async () => {
  const store = memoryStore(queued(4));
  const sizes = [];
  const post = async (items) => {
    sizes.push(items.length);
    if (items.length > 1) return { status: 413, body: {} };
    return { status: 200, body: { results: items.map((i) => ({ id: i.id, status: 201 })) } };
  };
  await sendOutbox({ store, post, chunkSize: 4 });
  assert.deepEqual(sizes, [4, 2, 1, 1, 1, 1]);
});

test('back-off grows and is capped', () => {
  assert.equal(backoffMs(1, () => 1), 2000);
  assert.equal(backoffMs(3, () => 1), 8000);
  assert.equal(backoffMs(30, () => 1), 300000);
  assert.equal(backoffMs(1, () => 0), 1000);
});

test('payload drops empty optionals and keeps the id', () => {
  const r = newRecord('abc');
  assert.deepEqual(Object.keys(payloadOf(saveEdits(r, { ...r.data, phone: '', notes: null }, false))).sort(),
    ['captured_at', 'id']);
});

test('409 id_conflict is invalid, not editable', () => {
  const r = applyResult(queued(1)[0], { id: 'x', status: 409, code: 'id_conflict' });
  assert.equal(r.state, 'invalid');
  assert.equal(isEditable(r), false);
});

test('409 erased (the person asked to be erased after capture) is its own state, not editable', () => {
  const r = applyResult(queued(1)[0], { id: 'x', status: 409, code: 'erased',
    message: 'Orang dengan NIK ini meminta datanya dihapus pada 27-11-2026 20:58 WITA (UU PDP).' });
  assert.equal(r.state, 'erased');
  assert.equal(isEditable(r), false);
  assert.equal(isSendable(r), false);
  assert.match(r.result.message, /27-11-2026 20:58 WITA/);
});

test('a status look names the erased ids only', () => {
  const ids = erasedIds([{ id: 'a', status: 'erased', updated_at: 't' }, { id: 'b', status: 'synced' }]);
  assert.deepEqual([...ids], ['a']);
});

test('server review statuses attach to accepted records only', () => {
  const [a, b] = queued(2);
  const accepted = applyResult(a, { status: 201 });
  const changed = applyServerStatuses([accepted, b], [
    { id: a.id, status: 'needs_fix', version: 1, review_reason: 'Foto KTP buram' },
    { id: b.id, status: 'approved', version: 1 }]);
  assert.equal(changed.length, 1);
  assert.equal(changed[0].server.review_reason, 'Foto KTP buram');
});

test('record validation names fields and cross-checks NIK', () => {
  const { errors, warnings } = validateRecord({
    nik: '7371015203800001', birth_date: '1980-03-12', sex: 'L', rt: '0', monthly_income: 5000000,
    consent: { given: false },
  }, { city_minimum_wage: 3880000, occupations: ['Lainnya'] });
  assert.ok(errors.nik[0].includes('Jenis kelamin'));
  assert.ok(errors.full_name && errors.rt && errors.consent);
  assert.ok(warnings.monthly_income);
});

test('a birth date the phone cannot read is an error on the field, offline', () => {
  const today = '2026-11-27';
  for (const typed of ['31-02-1980', '30-13-1980', '12/3/80', '12-3-80', '1203 1980', '1980-02-31',
    '00-00-0000', '12-03-1880']) {
    const { errors } = validateRecord({ birth_date: isoBirthDate(typed) }, null, today);
    assert.deepEqual(errors.birth_date, ['Tanggal lahir tidak valid: tulis hh-bb-tttt, mis. 12-03-1980.'], typed);
  }
  assert.deepEqual(validateRecord({ birth_date: isoBirthDate('01-01-2030') }, null, today).errors.birth_date,
    ['Tanggal lahir tidak boleh di masa depan.']);
  assert.equal(validateRecord({ birth_date: isoBirthDate('12/03/1980') }, null, today).errors.birth_date, undefined);
  const limits = { age_min: 15, age_max: 65 };
  const young = validateRecord({ birth_date: '2015-03-12' }, limits, today);
  assert.equal(young.errors.birth_date, undefined); // a warning: the eligibility rule decides
  assert.deepEqual(young.warnings.birth_date, ['Umur 11 tahun, di luar batas program (15-65 tahun): '
    + 'mungkin tidak memenuhi syarat. Periksa lagi.']);
  assert.equal(validateRecord({ birth_date: '1961-11-28' }, limits, today).warnings.birth_date, undefined); // 64
  assert.match(validateRecord({ birth_date: '1960-11-27' }, limits, today).warnings.birth_date[0], /^Umur 66 tahun/);
});

test('income: a dot separates thousands, never decimals', () => {
  assert.equal(parseIncome('1.500.000'), 1500000);
  assert.equal(parseIncome('Rp 1.500.000'), 1500000);
  assert.equal(parseIncome(' 1500000 '), 1500000);
  // what Excel and people write, read as the server's parse_rupiah reads it (typed.test.mjs)
  assert.equal(parseIncome('1.500.000,00'), 1500000);
  assert.equal(parseIncome('Rp2.100.000,00'), 2100000);
  assert.equal(parseIncome('1.500'), 1500);
  assert.equal(parseIncome(''), '');
  for (const typed of ['1500000.50', '1.500.000,50', '1,5 juta', '1.50', '15.00.000']) {
    assert.equal(parseIncome(typed), typed, typed);
    assert.ok(validateRecord({ monthly_income: parseIncome(typed) }).errors.monthly_income, typed);
  }
});

test('dates and money read the Indonesian way', () => {
  assert.equal(formatDateId('1980-03-12'), '12 Maret 1980');
  assert.equal(formatDateId('1980-02-30'), '');
  assert.equal(formatRupiah(1500000), 'Rp1.500.000');
});

test('a record open in the form is not sent from under it; it goes once closed', async () => {
  const [open, other] = queued(2);
  const store = memoryStore([{ ...open, editing: { at: '2026-01-01T00:00:00Z', step: 3, data: { ...open.data, phone: '0822' } } },
    other]);
  const server = fakeServer();
  const first = await sendOutbox({ store, post: server.post });
  assert.equal(first.accepted, 1);
  assert.equal(store.map.get(open.id).state, 'queued');
  assert.ok(!server.stored.has(open.id));
  assert.equal(isSendable(store.map.get(open.id)), false);
  const saved = saveEdits(store.map.get(open.id), store.map.get(open.id).editing.data, true);
  assert.equal(saved.editing, undefined);                  // saving closes it: sendable again
  assert.deepEqual(closedForEditing(store.map.get(open.id)), open);
  store.map.set(open.id, saved);
  await sendOutbox({ store, post: server.post });
  assert.equal(JSON.parse(server.stored.get(open.id)).phone, '0822');
});

test('an answer replayed (200) asks for a recheck of the statuses; a new record (201) does not', () => {
  const [r] = queued(1);
  assert.equal(applyResult(r, { id: r.id, status: 200, version: 3 }).server.recheck, true);
  assert.equal(applyResult(r, { id: r.id, status: 201, version: 1 }).server.recheck, undefined);
});
