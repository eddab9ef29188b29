"""`berjasa privacy erase` says what it covers (docs/privacy.md, section 4): the
kelurahan's own records only. When central told the laptop that another kelurahan
holds the same NIK (the ``duplicate_elsewhere`` notice, or a ``duplicate_nik``
refusal), the command names that kelurahan and the city-wide command, in text and in
``--json`` (``held_elsewhere``); the notice is read before the erasure deletes it.
A real central (both backends) and two kelurahan laptops synced by the agent."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

from sync.agent import run_once
from tests.helpers import berjasa

_spec = importlib.util.spec_from_file_location(
    "sync_harness", Path(__file__).resolve().parents[1] / "reliability" / "harness.py")
h = sys.modules.setdefault("sync_harness", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(h)

A, B = "73.71.01.1001", "73.71.02.1001"
CITY_WIDE = "berjasa central privacy erase NIK"


def _person(folder: Path, record_id: str) -> dict:
    return h.kelurahan_rows(folder, "SELECT * FROM enrollments WHERE id = ?", (record_id,))[0]


def test_erasure_names_the_other_kelurahan_central_told_about(central, tmp_path):
    a, b = h.make_kelurahan(tmp_path / "kel-a", A), h.make_kelurahan(tmp_path / "kel-b", B)
    central.register(a)
    central.register(b)
    [at_a] = h.seed_approved(a, 1, seed=31)
    assert run_once(a, h.agent_settings(a), "test").ok
    person = _person(a, at_a)
    [at_b] = h.seed_approved(b, 1, seed=32, nik=person["nik"], birth_date=person["birth_date"],
                             sex=person["sex"])
    assert run_once(b, h.agent_settings(b), "test").ok        # central: a duplicate of A's
    assert run_once(a, h.agent_settings(a), "test").ok        # A hears: B sent it too
    assert _person(b, at_b)["status"] == "central_rejected"

    done = berjasa("privacy", "erase", person["nik"], "--reason", "Surat 7/PDP/2026",
                   "--data-dir", str(a))
    assert done.returncode == 0, done.stderr
    assert "hanya mencakup data kelurahan ini" in done.stdout
    assert f"kelurahan {B} (data {at_b})" in done.stderr and CITY_WIDE in done.stderr
    assert person["nik"] not in done.stdout + done.stderr

    as_json = berjasa("privacy", "erase", person["nik"], "--reason", "Surat 7/PDP/2026", "--json",
                      "--data-dir", str(b))
    assert as_json.returncode == 0, as_json.stderr
    answer = json.loads(as_json.stdout)
    assert answer["erased"] == [at_b]
    assert answer["held_elsewhere"] == [{"kelurahan_code": A, "record_id": at_a,
                                         "known_from": "duplicate_nik"}]


def test_an_erasure_with_nothing_known_elsewhere_still_says_its_scope(central, tmp_path):
    a = h.make_kelurahan(tmp_path / "kel-a", A)
    central.register(a)
    first, second = h.seed_approved(a, 2, seed=33)
    assert run_once(a, h.agent_settings(a), "test").ok
    text = berjasa("privacy", "erase", _person(a, first)["nik"], "--reason", "Surat 8/PDP/2026",
                   "--data-dir", str(a))
    assert text.returncode == 0, text.stderr
    assert "hanya mencakup data kelurahan ini" in text.stdout and "Perhatian" not in text.stderr
    done = berjasa("privacy", "erase", _person(a, second)["nik"], "--reason", "Surat 8/PDP/2026",
                   "--json", "--data-dir", str(a))
    assert json.loads(done.stdout)["held_elsewhere"] == []
