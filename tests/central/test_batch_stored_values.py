"""api: POST /api/v1/batches › central stores a record as the intake loads it (both
backends): the spelling of the lists, +62 phones, RT/RW of three digits, names
trimmed with single spaces, whatever spelling the laptop sent. The BPJS registration
file and the progress export read what central stores, so a laptop whose list says
"Pengemudi Ojek" is counted under "Pengemudi ojek", not under "Lainnya"."""

from __future__ import annotations

import csv
import io
import json

from berjasa.settings import load_settings
from central.exports import export, load_columns
from sync import protocol

from .conftest import records
from .test_exports import PASS_ALL

# (field, as an old or differently set up laptop sent it, as the intake stores it)
VARIANTS = [
    ("work_category", "Pengemudi Ojek", "Pengemudi ojek"),
    ("rt", "2", "002"),
    ("rw", "15", "015"),
    ("phone", "0812 3456 7890", "+6281234567890"),
    ("heir_phone", "0812-1111-2222", "+6281211112222"),
    ("full_name", "  Andi   Baso  Daeng  Tompo ", "Andi Baso Daeng Tompo"),
    ("mother_name", "Hj.  Sitti   Rahma", "Hj. Sitti Rahma"),
    ("occupation", "PEDAGANG", "Pedagang"),
    ("heir_relation", "istri", "Istri"),
]


def _variant(record: dict) -> dict:
    """``record`` as a laptop with other spellings sends it."""
    sent = {**record, **{field: value for field, value, _ in VARIANTS}}
    sent["consent"] = {**record["consent"], "method": "VERBAL"}
    return sent


def _rows(result, what: str, extra: dict[str, str] | None = None) -> list[dict]:
    """An export's CSV rows keyed by column key (the headers are the columns file's)."""
    keys = {c.header: c.key for c in load_columns()[what]} | (extra or {})
    text = result.content.decode("utf-8-sig")
    return [{keys.get(h, h): v for h, v in row.items()} for row in csv.DictReader(io.StringIO(text))]


def _exports(central) -> tuple[list[dict], list[dict]]:
    """(registration file rows, progress rows), every rule passing."""
    central.change("UPDATE records SET eligibility = ?", (protocol.canonical_json(PASS_ALL).decode(),))
    categories = load_settings(None)["work_categories"]
    db = central.db()
    try:
        registration = export(db, "bpjs-registration", "csv", None, actor="operator-uji")
        progress = export(db, "progress", "csv", None, actor="operator-uji",
                          work_categories=categories)
    finally:
        db.close()
    return (_rows(registration, "bpjs-registration"),
            _rows(progress, "progress", {f"PEKERJAAN: {c}": f"work:{c}" for c in categories}))


def test_central_stores_the_values_as_the_intake_loads_them(central):
    device = central.register()
    plain, other = records(2)
    sent = _variant(other)
    results = device.send([plain, sent])
    assert [r["result"] for r in results] == ["accepted", "accepted"]
    held = central.query("SELECT * FROM records WHERE record_id = ?", (sent["id"],))[0]
    for field, _, stored in VARIANTS:
        assert held[field] == stored, field
    assert json.loads(held["consent"])["method"] == "verbal"
    assert held["version"] == sent["version"] and held["enumerator"] == sent["enumerator"]


def test_exports_count_and_list_the_stored_spelling(central):
    device = central.register()
    plain, other = records(2)
    plain["work_category"] = "Pengemudi ojek"
    device.send([plain, _variant(other)])
    registration, progress = _exports(central)
    row = next(r for r in registration if r["nik"] == other["nik"])
    assert row["work_category"] == "Pengemudi ojek"
    assert (row["rt"], row["rw"], row["occupation"]) == ("002", "015", "Pedagang")
    assert row["full_name"] == "Andi Baso Daeng Tompo" and row["heir_relation"] == "Istri"
    assert row["phone"] == "081234567890"
    city = next(r for r in progress if r["level"] == "Kota")
    assert (city["work:Pengemudi ojek"], city["work:Lainnya"]) == ("2", "0")


def test_a_replayed_batch_answers_the_same_and_stores_nothing_more(central):
    """Idempotency compares the batch's content hash (what the laptop sent), never
    the stored values: the replay is byte-identical and holds no second row."""
    device = central.register()
    batch = device.batch([_variant(records(1)[0])])
    first = device.post(batch)
    again = device.post(batch)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again.headers.get("Berjasa-Replay") == "1"
    # the same record in another batch (same id and version): its earlier decision
    assert device.send(batch.records) == protocol.decode_results(first.content, batch)
    assert central.query("SELECT COUNT(*) AS n FROM records") == [{"n": 1}]


def test_a_nik_sent_with_spaces_is_held_without_them_and_stays_one_active_record(central):
    device = central.register()
    first, second = records(2)
    spaced = {**second, "nik": " ".join([first["nik"][:6], first["nik"][6:12], first["nik"][12:]]),
              "birth_date": first["birth_date"], "sex": first["sex"]}
    results = device.send([first]) + device.send([spaced])
    assert [r["result"] for r in results] == ["accepted", "duplicate"]
    assert {r["nik"] for r in central.query("SELECT nik FROM records")} == {first["nik"]}
