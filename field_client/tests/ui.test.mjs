// ui.js's inert(): text from outside never reorders what the enumerator reads; it
// agrees with the pages' berjasa.web.pages.inert.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inert } from '../js/ui.js';

test('direction and invisible characters are shown as their code', () => {
  assert.equal(inert('KTP\u202epalsu\u202c'), 'KTP[U+202E]palsu[U+202C]');
  assert.equal(inert('a\u2066b\u200bc\u0007'), 'a[U+2066]b[U+200B]c[U+0007]');
  assert.equal(inert('\u{E0041}'), '[U+E0041]');  // a tag character, outside the BMP
});

test('what a person typed on purpose stays', () => {
  assert.equal(inert('Jl. Somba Opu\nRT 2\tNo. 5'), 'Jl. Somba Opu\nRT 2\tNo. 5');
  assert.equal(inert('👩‍👩‍👧 ᨕᨗ Ṣiti <b>'), '👩‍👩‍👧 ᨕᨗ Ṣiti <b>');
  assert.equal(inert(12), '12');
});
