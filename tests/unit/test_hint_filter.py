"""The duplicate-hint filter (berjasa/hints.py): the same vectors as dedupe.js, the
false-positive rate measured at 150,000 records x 2 keys, refusals of a filter of
another key version or with damaged bytes. Runs field_client/tests/dedupe.test.mjs
under node with the same 150,000-record filter, so CI covers the JS side too."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from berjasa import hints
from tests.helpers import examples
from tests.unit.field_rules_cases import DEDUPE_FILE, build_dedupe_cases

ROOT = Path(__file__).resolve().parents[2]
# The city's scale. The quick loop builds a fifth of it (tests/helpers.py: examples,
# as for the hypothesis examples); plain pytest (CI) builds all 150,000. The probes
# stay 100,000 either way: the measured rate needs them (1,000 expected hits).
RECORDS = examples(150_000)
PROBES = 100_000
RATE = 0.01


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A filter over 150,000 synthetic records (two items each) and its probe answers."""
    key = hints.HintKey.from_secret(bytes(range(7, 39)))
    items = [hints.item_hash(key.secret, f"{kind}:member-{i}")
             for i in range(RECORDS) for kind in ("nik", "name")]
    body = hints.index_body(key, items, RECORDS, RATE)
    data = base64.b64decode(body["filter"])
    parsed = hints.parse_filter(data, key.key_id)
    hits = sum(hints.contains(parsed, key.secret, f"nik:probe-{i}") for i in range(PROBES))
    path = tmp_path_factory.mktemp("hints") / "big.json"
    path.write_text(json.dumps({**body, "key": base64.b64encode(key.secret).decode(), "rate": RATE,
                                "records": RECORDS, "member_step": 7, "probes": PROBES,
                                "python_probe_hits": hits}))
    return {"key": key, "body": body, "data": data, "hits": hits, "path": path, "parsed": parsed}


def test_vectors_file_is_current():
    """dedupe_cases.json is what berjasa/hints.py gives today (regenerate on purpose)."""
    assert json.loads(DEDUPE_FILE.read_text(encoding="utf-8")) == json.loads(
        json.dumps(build_dedupe_cases(), ensure_ascii=False))


# The tests of the 150,000-record filter share one xdist worker in the quick loop
# (--dist loadgroup, tests/conftest.py): the filter is built once per worker.
BIG = pytest.mark.xdist_group("hint_filter_150000")


@BIG
@pytest.mark.slow
def test_no_false_negatives_and_rate_within_setting_at_150000(big):
    key, parsed = big["key"], big["parsed"]
    for i in range(0, RECORDS, 3):
        assert hints.contains(parsed, key.secret, f"nik:member-{i}")
        assert hints.contains(parsed, key.secret, f"name:member-{i}")
    assert big["hits"] / PROBES <= RATE * 1.1
    assert big["body"]["false_positive_rate"] <= RATE * 1.01
    assert big["body"]["count"] == RECORDS
    # Bloom at 1 %: ~9.6 bits per item, ~360 KB raw for 300,000 items; base64 is what
    # travels (gzip cannot shrink near-random bits; bench/hints_bench.py measures it).
    assert big["body"]["size_bytes"] < 400_000 * RECORDS / 150_000


@BIG
@pytest.mark.slow
def test_filter_of_another_key_version_or_damaged_is_refused(big):
    other = hints.HintKey.new()
    with pytest.raises(hints.FilterError) as refused:
        hints.might_contain(big["data"], other, "nik:member-1")
    assert refused.value.code == "key_mismatch"
    damaged = bytearray(big["data"])
    damaged[1000] ^= 1
    with pytest.raises(hints.FilterError) as refused:
        hints.parse_filter(bytes(damaged), big["key"].key_id)
    assert refused.value.code == "corrupt"
    with pytest.raises(hints.FilterError) as refused:
        hints.parse_filter(big["data"][:-1], big["key"].key_id)
    assert refused.value.code == "corrupt"


def test_body_carries_no_clear_nik_name_or_date():
    key = hints.HintKey.new()
    row = ("7371015203800001", "Siti Nur'aini", "1980-03-12")
    body = hints.index_body(key, [hints.item_hash(key.secret, i) for i in hints.record_items(*row)], 1)
    text = json.dumps(body) + base64.b64decode(body["filter"]).decode("latin-1")
    for needle in ("7371015203800001", "Siti", "Nur'aini", "nuraini", "1980-03-12", "19800312"):
        assert needle not in text


@settings(max_examples=examples(40))
@given(st.text(max_size=40), st.dates().map(str))
def test_name_key_ignores_case_spacing_and_punctuation(name, birth):
    folded = hints.name_key(name, birth)
    assert hints.name_key(f"  {name.upper()} '", birth) in (folded, hints.name_key(name.upper(), birth))
    assert folded.endswith(f"|{birth}")


def _node_test(extra_env: dict) -> str:
    result = subprocess.run(
        [shutil.which("node"), "--test", str(ROOT / "field_client" / "tests" / "dedupe.test.mjs")],
        check=False, capture_output=True, text=True, timeout=300, env={**os.environ, **extra_env})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
    return result.stdout


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_side_runs_the_same_vectors():
    _node_test({"DEDUPE_BIG": ""})


@BIG
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_side_measures_the_same_150000_filter(big):
    assert "# skipped 0" in _node_test({"DEDUPE_BIG": str(big["path"])})


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_phone_round2_modules():
    """freshness.js (a phone clock days off), nikpropose.js, receipt.js under node --test."""
    result = subprocess.run(
        [shutil.which("node"), "--test", str(ROOT / "field_client" / "tests" / "phone2.test.mjs")],
        check=False, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "# fail 0" in result.stdout, result.stdout[-3000:]
