// typed.js against the answers of berjasa/checks.py and berjasa/number_text.py
// (tests/unit/field_rules_cases.py writes typed_cases.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  freeTextProblem, parseRupiah, RUPIAH_PROBLEMS, RupiahUnreadable, unprintableCharacters,
} from '../js/typed.js';
import { parseIncome } from '../js/form.js';
import { validateRecord } from '../js/validate.js';

const cases = JSON.parse(readFileSync(new URL('./typed_cases.json', import.meta.url), 'utf8'));
const code = (c) => `U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
// A test's name with its invisible characters written as codes (never reordering the report).
const shown = (text) => (text === null ? 'null' : [...text].map((c) => (/[\p{C}\p{Z}]/u.test(c) && c !== ' '
  ? `<${code(c)}>` : c)).join(''));

for (const [i, c] of cases.free_text.entries()) {
  test(`free text ${i} ${shown(c.value)} allowing ${shown(c.allowed)}`, () => {
    assert.deepEqual(unprintableCharacters(c.value, c.allowed).map(code), c.chars);
    const problem = freeTextProblem(c.value, c.allowed);
    assert.equal(problem ? problem.message : null, c.message);
    if (problem) assert.equal(problem.code, 'unprintable_characters');
  });
}

test('a reason names its characters as the server does', () => {
  assert.equal(freeTextProblem('x\u202e', undefined, 'Alasan berisi').message, cases.reason_message);
});

function ranges(list) {
  return list.map((r) => r.split('-').map((h) => parseInt(h, 16)));
}

function inRanges(sorted, point) {
  let [low, high] = [0, sorted.length - 1];
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (point < sorted[mid][0]) high = mid - 1;
    else if (point > sorted[mid][1]) low = mid + 1;
    else return true;
  }
  return false;
}

test('every code point is refused or kept as the server does (where both know it)', () => {
  // Python's Unicode database may be older than this engine's: a code point it has as
  // unassigned (refused there) may be a letter here. Every other one must agree.
  const refused = ranges(cases.refused);
  const unassigned = ranges(cases.unassigned);
  const differ = [];
  for (let point = 0; point <= 0x10ffff; point += 1) {
    if (inRanges(unassigned, point)) continue;
    const here = unprintableCharacters(String.fromCodePoint(point), '').length > 0;
    if (here !== inRanges(refused, point)) differ.push(point.toString(16));
  }
  assert.deepEqual(differ.slice(0, 20), [], `Python ${cases.unicode_version}`);
});

test('rupiah problems are the server\'s words', () => {
  assert.deepEqual(RUPIAH_PROBLEMS, cases.rupiah_problems);
});

for (const [i, c] of cases.rupiah.entries()) {
  test(`rupiah ${i} ${shown(c.value)}`, () => {
    let answer;
    try {
      const amount = parseRupiah(c.value);
      answer = amount === null ? ['none'] : ['ok', amount];
    } catch (err) {
      assert.ok(err instanceof RupiahUnreadable, err);
      answer = [err.problem, err.message];
    }
    assert.deepEqual(answer, c.expected);
  });
}

test('the income box reads what parse_rupiah reads, and says why it does not', () => {
  for (const c of cases.rupiah) {
    if (c.value === null) continue;
    const read = parseIncome(c.value);
    const { errors } = validateRecord({ monthly_income: read });
    if (c.expected[0] === 'ok') {
      assert.equal(read, c.expected[1], c.value);
      assert.equal(errors.monthly_income, undefined, c.value);
    } else if (c.expected[0] === 'none') {
      assert.equal(read, '', c.value);
      assert.deepEqual(errors.monthly_income, ['Wajib diisi.'], c.value);
    } else {
      assert.equal(read, c.value, c.value); // kept as typed, never a guess
      assert.deepEqual(errors.monthly_income, [`Penghasilan: ${RUPIAH_PROBLEMS[c.expected[0]]}.`], c.value);
    }
  }
});

test('free text is checked on the phone field by field', () => {
  const { errors } = validateRecord({
    address: 'Jl. Somba Opu \u202e12 .oN\nRT 2', birth_place: 'Maka\u200bssar\nBaru',
    notes: 'keluarga \u{1F468}\u200d\u{1F469}\u200d\u{1F467}\n\tdekat masjid',
  });
  assert.match(errors.address[0], /U\+202E \(pengatur arah teks\)/);
  assert.match(errors.birth_place[0], /U\+200B .*U\+000A/); // one line: no line break either
  assert.equal(errors.notes, undefined);
});
