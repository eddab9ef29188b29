// rules.js against the cases that berjasa/identity.py produced
// (tests/unit/field_rules_cases.py writes identity_cases.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  checkNik, checkKk, normalisePersonName, normalisePhone, hasErrors,
} from '../js/rules.js';

const cases = JSON.parse(readFileSync(new URL('./identity_cases.json', import.meta.url), 'utf8'));
const codes = (problems) => problems.map((p) => [p.code, p.severity]);

function raises(func, value) {
  try {
    return [['ok', func(value)]];
  } catch (err) {
    return [[err.code, 'error']];
  }
}

const run = {
  nik: (c) => codes(checkNik(c.value, c.birth_date, c.sex)),
  kk: (c) => codes(checkKk(c.value)),
  name: (c) => raises(normalisePersonName, c.value),
  phone: (c) => raises(normalisePhone, c.value),
};

for (const [i, c] of cases.entries()) {
  test(`case ${i} ${c.kind} ${JSON.stringify(c.value)} ${c.birth_date ?? ''} ${c.sex ?? ''}`, () => {
    assert.deepEqual(run[c.kind](c), c.expected);
  });
}

test('every problem carries an Indonesian message', () => {
  for (const p of checkNik('7371015203800000', '1981-04-13', 'L')) {
    assert.ok(p.message.length > 20, p.code);
  }
});

test('warnings do not count as errors', () => {
  assert.equal(hasErrors(checkNik('7372015203800001', '1980-03-12', 'P')), false);
  assert.equal(hasErrors(checkNik('7371015203800000')), true);
});
