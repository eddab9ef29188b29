"""Central's likely-duplicate check compares a kelurahan's own records too (both
backends, through the batch API and the CLI): one worker recorded twice in one
kelurahan under two NIKs (two enumerators, one visit each) is a pair for a
verifier, in one batch or in two, and neither record reaches the BPJS
registration file until it is decided (h1 review #8)."""

from __future__ import annotations

import json

from berjasa.synthetic import born_on

from .conftest import KELURAHAN_A, records
from .test_cli import berjasa
from .test_registration_holds import _export_cli, _init


def _again(person: dict, other: dict, **fields) -> dict:
    """``other``'s record made into ``person`` recorded again: same KK, birth date and
    sex, its own NIK (the serial of ``other``'s), any other fields given."""
    return born_on({**other, "kk_number": person["kk_number"], "sex": person["sex"], **fields},
                   person["birth_date"])


def test_one_person_twice_in_one_kelurahan_is_flagged_and_held(central):
    device = central.register(KELURAHAN_A)
    first, other, third_base, someone = records(4, KELURAHAN_A, seed=11)
    second = _again(first, other, full_name=first["full_name"].upper())
    assert second["nik"] != first["nik"]
    answers = device.send([first, second, someone])  # one batch: both in it
    assert [a["result"] for a in answers] == ["accepted"] * 3
    pairs = central.query("SELECT central_id_a, central_id_b, match FROM duplicate_flags")
    ids = {r["record_id"]: r["central_id"] for r in central.query(
        "SELECT record_id, central_id FROM records")}
    assert pairs == [{"central_id_a": ids[first["id"]], "central_id_b": ids[second["id"]],
                      "match": "same_kk_birth_date"}]
    notices = [u for u in device.updates("0").json()["updates"] if u["kind"] == "possible_duplicate"]
    assert sorted((u["record_id"], u["other"]["record_id"]) for u in notices) == sorted(
        [(first["id"], second["id"]), (second["id"], first["id"])])
    assert {u["other"]["kelurahan_code"] for u in notices} == {KELURAHAN_A}

    # a third visit, a later batch, the name's words in another order, another KK
    third = born_on({**third_base, "full_name": " ".join(reversed(first["full_name"].split())),
                     "sex": first["sex"]}, first["birth_date"])
    assert device.send([third])[0]["result"] == "accepted"
    listed = json.loads(berjasa("central", "duplicates", "--json",
                                data_dir=_init(central)).stdout)
    flagged = {frozenset((p["central_id_a"], p["central_id_b"])) for p in listed}
    third_id = central.query("SELECT central_id FROM records WHERE record_id = ?",
                             (third["id"],))[0]["central_id"]
    assert frozenset((ids[first["id"]], third_id)) in flagged
    assert len(flagged) >= 2

    niks, said = _export_cli(central)
    assert niks == {someone["nik"]}  # none of the three goes to BPJS before a verifier decides
    assert "dalam pasangan kemungkinan ganda yang belum diputus" in said
