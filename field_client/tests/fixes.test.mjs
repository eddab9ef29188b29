// Fixes on the phone (js/fixes.js): needs_fix records arrive whole, a fix goes
// out with PATCH + If-Match, a 412 becomes a clear conflict, offline keeps it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { centralNote, fixPayload, mergeFixes, saveFix, sendFixes } from '../js/fixes.js';

function memoryStore(records = []) {
  const map = new Map(records.map((r) => [r.id, r]));
  return { map, all: async () => [...map.values()],
    putMany: async (list) => { for (const r of list) map.set(r.id, structuredClone(r)); } };
}

const item = {
  id: 'a', nik: '7371014101900001', full_name: 'Muh. Ali', birth_date: '1990-01-01', status: 'needs_fix',
  version: 5, enumerator: 'ena', review_reason: null, eligibility: [], history: [],
  central: { status: 'sent_back', reason: 'Dikirim balik oleh pusat: Nama beda dengan DTSEN', kpj_number: null },
};

test('a needs_fix record arrives whole with central reason and its version', () => {
  const accepted = { id: 'a', state: 'accepted', data: { id: 'a', full_name: 'Muh. Ali', nik_masked: 'x' } };
  const [fix] = mergeFixes([accepted], [item]);
  assert.equal(fix.state, 'fix');
  assert.equal(fix.base_version, 5);
  assert.deepEqual(fix.reason, { from: 'pusat', text: 'Nama beda dengan DTSEN' });
  assert.equal(fix.data.nik, '7371014101900001');
  assert.equal(fix.data.status, undefined);
  assert.equal(fix.data.central, undefined);
});

test('local edits not yet sent are never overwritten', () => {
  const queued = { id: 'a', state: 'fix_queued', base_version: 5, data: { full_name: 'Muhammad Ali' } };
  assert.deepEqual(mergeFixes([queued], [{ ...item, version: 6 }]), []);
});

test('a record open in the form is neither replaced by the server\'s version nor sent', async () => {
  const editing = { at: '2026-01-01T00:00:00Z', step: 1, data: { full_name: 'Muhammad Ali' } };
  const fix = { id: 'a', state: 'fix', base_version: 5, editing, data: { full_name: 'Muh. Ali' } };
  assert.deepEqual(mergeFixes([fix], [{ ...item, version: 6 }]), []);
  assert.deepEqual(mergeFixes([fix], [{ ...item, status: 'approved' }]), []);
  const store = memoryStore([{ ...fix, state: 'fix_queued' }]);
  let calls = 0;
  const summary = await sendFixes({ store, patch: async () => { calls += 1; return { status: 200, body: {} }; } });
  assert.equal(calls, 0);
  assert.equal(summary.fixed, 0);
  assert.equal(saveFix(store.map.get('a'), { full_name: 'Muhammad Ali' }).editing, undefined);
});

test('PATCH with the base version; 200 minimises, 412 is a conflict, offline waits', async () => {
  const fix = saveFix(mergeFixes([], [item])[0], { ...mergeFixes([], [item])[0].data, full_name: 'Muhammad Ali' });
  const store = memoryStore([fix, { ...fix, id: 'b' }, { ...fix, id: 'c' }]);
  const calls = [];
  const answers = { a: { status: 200, body: { ...item, status: 'submitted', version: 6 } }, b: { status: 412, body: {} } };
  const summary = await sendFixes({ store, patch: async (id, version, body) => {
    calls.push([id, version, body.full_name]);
    if (id === 'c') throw new Error('offline');
    return answers[id];
  } });
  assert.deepEqual(calls, [['a', 5, 'Muhammad Ali'], ['b', 5, 'Muhammad Ali'], ['c', 5, 'Muhammad Ali']]);
  assert.equal(summary.fixed, 1);
  assert.equal(summary.conflict, 1);
  assert.equal(summary.stopped, 'offline');
  assert.equal(store.map.get('a').state, 'accepted');
  assert.equal(store.map.get('a').data.nik, undefined);
  assert.equal(store.map.get('b').state, 'fix_conflict');
  assert.match(store.map.get('b').result.message, /diubah orang lain/);
  assert.equal(store.map.get('c').state, 'fix_queued');
  assert.ok(store.map.get('c').next_try_at);
});

test('payload leaves out empty values', () => {
  assert.deepEqual(fixPayload({ data: { id: 'a', phone: '', nik_masked: 'x', full_name: 'A' } }), { id: 'a', full_name: 'A' });
});

test('central decisions in words', () => {
  assert.match(centralNote({ status: 'registered', kpj_number: '12345678901' }), /KPJ 12345678901/);
  assert.match(centralNote({ status: 'central_rejected', central_status: 'duplicate', central_reason: 'duplicate_nik: kelurahan x' }), /kelurahan lain/);
  assert.match(centralNote({ status: 'central_rejected', central_status: 'rejected', central_reason: 'rejected: dtsen_desil_above_cutoff' }), /dtsen_desil/);
  const reasons = { dtsen_desil_above_cutoff: 'DTSEN: desil di atas batas program', already_in_cohort: 'Sudah ditanggung program (kohort 2024)' };
  assert.equal(centralNote({ status: 'central_rejected', central_status: 'rejected', central_reason: 'rejected: dtsen_desil_above_cutoff, already_in_cohort' }, reasons),
    'Ditolak pusat: DTSEN: desil di atas batas program; Sudah ditanggung program (kohort 2024).');
  assert.equal(centralNote({ status: 'central_rejected', central_status: 'rejected', central_reason: 'rejected: verifikasi: Orang sudah pindah, rumah kosong' }, reasons),
    'Ditolak pusat: verifikasi: Orang sudah pindah, rumah kosong.');
  assert.equal(centralNote({ status: 'submitted' }), '');
});
