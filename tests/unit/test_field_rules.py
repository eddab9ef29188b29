"""The phone's validators (field_client/js/rules.js, typed.js) and the server's rules
(berjasa/identity/, berjasa/checks.py's free text, berjasa/number_text.py's rupiah) agree.

The cases files are checked against the Python module here and against the JS module by
``node --test field_client/tests/`` (run from this test too, all but the two files
tests/unit/test_hint_filter.py runs, so the one pytest command covers both)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from berjasa import reference
from tests.unit import field_rules_cases

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed: JS tests skipped")


def test_cases_file_matches_python_validators():
    expected = field_rules_cases.render(field_rules_cases.build_cases())
    actual = field_rules_cases.CASES_FILE.read_text(encoding="utf-8")
    assert actual == expected, (
        "berjasa/identity/ and identity_cases.json disagree: if the rule change is intended, "
        "run `python tests/unit/field_rules_cases.py` and make rules.js pass again")


def test_dedupe_cases_file_matches_server_filter():
    expected = field_rules_cases.render(field_rules_cases.build_dedupe_cases())
    actual = field_rules_cases.DEDUPE_FILE.read_text(encoding="utf-8")
    assert actual == expected, "run `python tests/unit/field_rules_cases.py`"


def test_typed_cases_file_matches_the_free_text_rule_and_parse_rupiah():
    """The phone's free-text and income readers (field_client/js/typed.js) are held to
    these answers of berjasa/checks.py and berjasa/number_text.py by typed.test.mjs."""
    built = field_rules_cases.build_typed_cases()
    actual = field_rules_cases.TYPED_FILE.read_text(encoding="utf-8")
    stored = json.loads(actual)
    if stored["unicode_version"] != built["unicode_version"]:
        # another Python (3.10 knows Unicode 13, 3.11 Unicode 14): the code-point tables
        # agree wherever both versions have assigned the character; the rest exactly
        both = _codes(stored["unassigned"]) | _codes(built["unassigned"])
        assert _codes(stored["refused"]) - both == _codes(built["refused"]) - both
        stored = {k: v for k, v in stored.items() if k not in _TABLES}
        built = {k: v for k, v in built.items() if k not in _TABLES}
        assert stored == built, "run `python tests/unit/field_rules_cases.py`"
        return
    assert actual == field_rules_cases.render(built, ascii_only=True), (
        "berjasa/checks.py or number_text.py and typed_cases.json disagree: if the change is "
        "intended, run `python tests/unit/field_rules_cases.py` and make typed.js pass again")


_TABLES = ("unicode_version", "refused", "unassigned")


def _codes(ranges: list[str]) -> set[int]:
    """The code points of ``["0000-001F", ...]``."""
    codes: set[int] = set()
    for span in ranges:
        first, last = (int(part, 16) for part in span.split("-"))
        codes.update(range(first, last + 1))
    return codes


@pytest.mark.slow
@needs_node
def test_js_constants_match_reference_data():
    script = ("import('./field_client/js/rules.js').then(m => console.log(JSON.stringify("
              "{p: m.PROVINCE_CODES, k: m.MAKASSAR_KECAMATAN})))")
    out = subprocess.run([NODE, "--input-type=module", "-e", script], cwd=ROOT,
                         capture_output=True, text=True, check=True, timeout=60)
    constants = json.loads(out.stdout)
    assert sorted(constants["p"]) == sorted(reference.PROVINCE_CODES)
    assert sorted(constants["k"]) == sorted(reference.kecamatan_codes())


# Run by tests/unit/test_hint_filter.py already (dedupe with and without the big
# filter, phone2 on its own): not a third and second time here.
RUN_ELSEWHERE = {"dedupe.test.mjs", "phone2.test.mjs"}


@pytest.mark.slow
@needs_node
def test_node_unit_tests_pass():
    files = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "field_client" / "tests")
                   .glob("*.test.mjs") if path.name not in RUN_ELSEWHERE)
    assert len(files) >= 3, files
    result = subprocess.run([NODE, "--test", *files], cwd=ROOT,
                            capture_output=True, text=True, timeout=240, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
