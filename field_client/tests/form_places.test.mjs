// Every error and warning the phone's checks (js/validate.js) can give has a place
// on the form (index.html: data-error-for / data-warning-for): a message with no
// place is never seen (the age warning was computed and never shown). The keys are
// read two ways: from validate.js's source (every add(bucket, key, ...) call, a key
// given in a loop resolved through the loop's list), and by running the checks on
// records that trip them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { validateRecord } from '../js/validate.js';

const here = (path) => new URL(path, import.meta.url);
const html = readFileSync(here('../index.html'), 'utf8');
const source = readFileSync(here('../js/validate.js'), 'utf8');
const places = {
  errors: new Set([...html.matchAll(/data-error-for="([\w.]+)"/g)].map((m) => m[1])),
  warnings: new Set([...html.matchAll(/data-warning-for="([\w.]+)"/g)].map((m) => m[1])),
};

function strings(list) {
  return [...list.matchAll(/'([^']*)'|"([^"]*)"/g)].map((m) => m[1] ?? m[2]);
}

/** The keys a loop variable takes: ``for (const name of [...])`` or of a const array. */
function loopKeys(name, before) {
  const loops = [...before.matchAll(new RegExp(`for \\(const ${name} of ([^)]+)\\)`, 'g'))];
  const over = loops.at(-1)?.[1]?.trim();
  if (!over) return null;
  if (over.startsWith('[')) return strings(over);
  const declared = new RegExp(`const ${over} = (\\[[^\\]]*\\])`).exec(source);
  return declared ? strings(declared[1]) : null;
}

/** {errors, warnings, unresolved}: the keys of every add(...) call in validate.js. */
function keysInSource() {
  const found = { errors: new Set(), warnings: new Set(), unresolved: [] };
  for (const call of source.matchAll(/\badd\(\s*([^,]+?)\s*,\s*([^,]+?)\s*,/g)) {
    const [, bucket, key] = call;
    if (/^function\b/.test(source.slice(call.index - 9, call.index).trim())) continue; // its definition
    const literal = /^'([^']+)'$|^"([^"]+)"$/.exec(key);
    const keys = literal ? [literal[1] ?? literal[2]]
      : (/^\w+$/.test(key) ? loopKeys(key, source.slice(0, call.index)) : null);
    if (!keys) {
      found.unresolved.push(call[0]);
      continue;
    }
    for (const k of keys) {
      if (/\berrors\b/.test(bucket)) found.errors.add(k);
      if (/\bwarnings\b/.test(bucket)) found.warnings.add(k);
    }
  }
  return found;
}

const REFERENCE = { occupations: ['Pedagang', 'Lainnya'], age_min: 15, age_max: 64, city_minimum_wage: 3_600_000 };
const GOOD = {
  nik: '7371015203800001', kk_number: '7371011203150001', full_name: 'Siti Aminah', birth_place: 'Makassar',
  birth_date: '1980-03-12', sex: 'P', address: 'Jl. Ratulangi 5', rt: '002', rw: '005',
  kelurahan_code: '73.71.01.1001', mother_name: 'Hasnah', occupation: 'Pedagang', monthly_income: 1_500_000,
  heir_name: 'Andi Baso', heir_relation: 'Anak', phone: '081234567890', heir_phone: '081234567891',
  consent: { given: true, method: 'verbal', at: '2026-11-25T01:00:00Z' },
};
// Records that trip each check (required fields, identity rules, lists, limits).
const TRIPS = [
  {},
  { ...GOOD, nik: '1101015203800001', kk_number: '1101011203150001' }, // outside Makassar: warnings
  { ...GOOD, nik: '7371015203800000', kk_number: '12', sex: 'L' },
  { ...GOOD, birth_date: '2026-02-31', monthly_income: '1,5 juta', rt: '0', rw: '1234' },
  { ...GOOD, birth_date: new Date().toISOString().slice(0, 10), monthly_income: 99_000_000 }, // age, income
  { ...GOOD, birth_date: '2999-01-01', occupation: 'Astronot', phone: '12', heir_phone: 'abc' },
  { ...GOOD, full_name: 'S1t1 <b>', mother_name: '!!!', heir_name: '12345', consent: { given: true } },
  { ...GOOD, full_name: 'Siti\u202eAminah', address: 'Jl.\u200b Ratulangi', notes: 'x\u202ey', birth_place: '\u2066Gowa' },
];

test('every key validate.js can give is found in its source', () => {
  const found = keysInSource();
  assert.deepEqual(found.unresolved, [], 'a key validate.js computes in a way this test cannot read');
  for (const key of ['nik', 'kk_number', 'birth_date', 'monthly_income']) assert.ok(found.warnings.has(key), key);
  for (const key of ['nik', 'full_name', 'rt', 'consent', 'consent_method']) assert.ok(found.errors.has(key), key);
});

test('every error and warning has a place on the form', () => {
  const found = keysInSource();
  for (const data of TRIPS) {
    const { errors, warnings } = validateRecord(data, REFERENCE);
    Object.keys(errors).forEach((k) => found.errors.add(k));
    Object.keys(warnings).forEach((k) => found.warnings.add(k));
  }
  for (const kind of ['errors', 'warnings']) {
    const missing = [...found[kind]].filter((key) => !places[kind].has(key));
    assert.deepEqual(missing, [], `${kind} with no data-${kind.slice(0, -1)}-for place in index.html`);
  }
  const ran = validateRecord(TRIPS[4], REFERENCE).warnings;
  assert.ok(ran.birth_date && ran.monthly_income, JSON.stringify(ran));
});

test('a tab in the one-line birth place is an error; the address keeps it', () => {
  // berjasa.checks.ONE_LINE_CONTROLS: the server refuses it too (422 unprintable_characters)
  const data = { ...GOOD, birth_place: 'Makassar\tGowa', address: 'Jl. Ratulangi 5\nRT 002\tdekat pasar' };
  const { errors } = validateRecord(data, REFERENCE);
  assert.match(String(errors.birth_place), /U\+0009 \(karakter kontrol\)/);
  assert.equal(errors.address, undefined);
});
