"""A row an import refused never decides a person's eligibility silently: when the
refused row's NIK cell still holds a valid NIK of a record central holds, the rules
reading that snapshot answer ``unknown`` for it (neither rejected nor on the BPJS
registration file) until a corrected file is imported (docs/central.md "Imports",
"Unreadable rows"; docs/eligibility.md). Through ``berjasa central import`` and
``central export`` on both backends."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from berjasa.settings import write_setting
from central.imports import import_file
from tests.helpers import examples

from .conftest import records
from .test_cli import berjasa

OTHER = "7371015508800003"  # a participant central holds no record of
PARTICIPANTS = f"nik,kpj_number,status\n{OTHER},KPJ000001,Aktif\n"


def _ready(central) -> Path:
    """The running central's data folder, usable by the CLI (its database named)."""
    write_setting(central.data_dir, "central_database_url", central.database_url)
    return central.data_dir


def _import(folder: Path, kind: str, path: Path, text: str | None = None) -> dict:
    """``berjasa central import KIND PATH --json`` (``text`` written to PATH first)."""
    if text is not None:
        path.write_text(text, encoding="utf-8")
    return json.loads(berjasa("central", "import", kind, str(path), "--json", data_dir=folder).stdout)


def _export(folder: Path, what: str) -> list[dict]:
    done = berjasa("central", "export", "--format", "csv", "--what", what, data_dir=folder)
    return list(csv.DictReader(io.StringIO(done.stdout.lstrip("\ufeff"))))


def _rule(central, nik: str, rule: str) -> dict:
    row = central.query("SELECT eligibility FROM records WHERE nik = ?", (nik,))[0]
    return next(r for r in json.loads(row["eligibility"]) if r["rule"] == rule)


def _held(central, count: int = 2) -> list[dict]:
    sent = records(count)
    assert [r["result"] for r in central.register().send(sent)] == ["accepted"] * count
    return sent


def test_a_bpjs_row_with_a_bad_kpj_leaves_the_person_unknown_until_a_corrected_list(central, tmp_path):
    folder = _ready(central)
    a, b = (r["nik"] for r in _held(central))
    _import(folder, "dtsen", tmp_path / "dtsen.csv", f"nik;desil\n'{a};1\n'{b};1\n")

    listed = tmp_path / "peserta.csv"
    summary = _import(folder, "bpjs-participants", listed,
                      f"NIK,No. KPJ,Status\n'{OTHER},KPJ000001,Aktif\n'{a},12,Aktif\n")
    assert {"read", "accepted", "rejected", "rejects_file"} <= set(summary)
    assert (summary["rejected"], summary["unreadable"], summary["unreadable_held"]) == (1, 1, 1)
    unknown = _rule(central, a, "bpjs_membership")
    assert unknown["result"] == "unknown"
    assert unknown["reason"].startswith("Baris 3 daftar peserta BPJS (peserta.csv) tidak terbaca")
    assert "No. KPJ: kpj_invalid" in unknown["reason"]
    assert _rule(central, b, "bpjs_membership")["result"] == "pass"
    assert [r["NIK"] for r in _export(folder, "bpjs-registration")] == [b]
    everyone = {r["NIK"]: r for r in _export(folder, "all")}
    assert everyone[a]["STATUS_PUSAT"] == "accepted"
    assert "bpjs_membership: unknown" in everyone[a]["KELAYAKAN"]
    # the kelurahan hears why (the review page's "Status di pusat")
    entries = central.register().updates().json()["updates"]
    assert any(e.get("kind") == "eligibility" and any(
        r["result"] == "unknown" and "Baris 3" in r["reason"] for r in e["eligibility"])
        for e in entries)

    # the human summary says it too; the rejects file stays the last line
    shown = berjasa("central", "import", "bpjs-participants", str(listed), data_dir=folder).stdout
    assert "1 baris yang ditolak memuat NIK data di pusat" in shown
    assert shown.strip().splitlines()[-1].endswith("-rejects.csv")

    summary = _import(folder, "bpjs-participants", tmp_path / "peserta-perbaikan.csv",
                      f"NIK,No. KPJ,Status\n'{OTHER},KPJ000001,Aktif\n'{a},KPJ123456,Aktif\n")
    assert (summary["rejected"], summary["unreadable"], summary["unreadable_held"]) == (0, 0, 0)
    assert _rule(central, a, "bpjs_membership")["result"] == "fail"
    rejected = {r["NIK"]: r for r in _export(folder, "rejections")}
    assert rejected[a]["KODE_ALASAN"] == "already_bpjs_participant"


def test_a_dtsen_row_with_a_bad_cell_is_unknown_not_a_rejection(central, tmp_path):
    folder = _ready(central)
    a, b = (r["nik"] for r in _held(central))
    _import(folder, "bpjs-participants", tmp_path / "peserta.csv", PARTICIPANTS)

    extract = tmp_path / "dtsen.csv"
    # a's desil is unreadable; b is above the cut-off (a proof: rejected); a NIK a
    # spreadsheet damaged, or 16 digits that are no NIK (province 00), names nobody for
    # certain and is not remembered
    summary = _import(folder, "dtsen", extract,
                      f"NIK;Desil Nasional\n'{a};11\n'{b};9\n7.37101E+15;2\n"
                      f"{OTHER};3\n7371016401900004;4\n0071016401900005;12\n")
    assert (summary["rejected"], summary["unreadable"], summary["unreadable_held"]) == (3, 1, 1)
    dtsen = _rule(central, a, "dtsen")
    assert dtsen["result"] == "unknown" and "Baris 2 ekstrak DTSEN (dtsen.csv)" in dtsen["reason"]
    assert "Desil Nasional: desil_invalid" in dtsen["reason"]
    assert _rule(central, a, "council")["result"] in ("pass", "unknown")  # never "not in DTSEN"
    everyone = {r["NIK"]: r for r in _export(folder, "all")}
    assert everyone[a]["STATUS_PUSAT"] == "accepted"
    assert everyone[b]["STATUS_PUSAT"] == "rejected"
    assert a not in {r["NIK"] for r in _export(folder, "bpjs-registration")}

    # a new snapshot replaces the old one and its unreadable NIKs
    summary = _import(folder, "dtsen", extract, f"NIK;Desil Nasional\n'{a};2\n'{b};9\n")
    assert summary["unreadable"] == 0
    assert _rule(central, a, "dtsen")["result"] == "pass"


def test_a_refused_cohort_row_keeps_the_person_off_the_registration_file_and_unpaid(central, tmp_path):
    folder = _ready(central)
    a, b = (r["nik"] for r in _held(central))
    _import(folder, "dtsen", tmp_path / "dtsen.csv", f"nik;desil\n{a};1\n{b};1\n")
    _import(folder, "bpjs-participants", tmp_path / "peserta.csv", PARTICIPANTS)
    # a's row has a shifted cell (an unquoted separator): its NIK is read, the row is not
    summary = _import(folder, "cohort", tmp_path / "kohort.csv",
                      f"nik;kode_kelurahan;mulai_kepesertaan;program\n"
                      f"{OTHER};73.71.01.1001;2024-01;JKK\n{a};73.71.01.1001;2024-01;JKK;JKM\n")
    assert (summary["rejected"], summary["unreadable_held"]) == (1, 1)
    rule = _rule(central, a, "bpjs_membership")
    assert rule["result"] == "unknown" and "Baris 3 daftar kohort 2024" in rule["reason"]
    assert "wrong_cell_count" in rule["reason"]
    assert [r["NIK"] for r in _export(folder, "bpjs-registration")] == [b]
    # the cohort is whom the city pays: a refused row is nobody's row on the payment
    # list, and the list says so above its table
    paid = berjasa("central", "export", "--what", "payment-list", "--month", "2025-11",
                   data_dir=folder).stdout
    assert "Perhatian: 1 baris kohort 2024 (kohort.csv) ditolak saat impor" in paid
    assert OTHER in paid and a not in paid


def test_a_record_arriving_after_the_import_meets_its_unreadable_row(central, tmp_path):
    folder = _ready(central)
    later = records(1)[0]
    summary = _import(folder, "bpjs-participants", tmp_path / "peserta.csv",
                      f"{PARTICIPANTS}{later['nik']},7.3E+15,Aktif\n")
    assert (summary["unreadable"], summary["unreadable_held"]) == (1, 0)  # nobody held yet
    assert [r["result"] for r in central.register().send([later])] == ["accepted"]
    rule = _rule(central, later["nik"], "bpjs_membership")
    assert rule["result"] == "unknown" and "kpj_damaged_by_spreadsheet" in rule["reason"]


# Each held NIK's rows in a generated BPJS list, in file order: "aktif" / "keluar" (a
# readable row), "bad" (a KPJ no list has: refused, NIK readable).
ROWS = st.lists(st.sampled_from(["aktif", "keluar", "bad"]), max_size=3)


def test_the_first_row_of_a_nik_decides_and_an_unreadable_one_is_unknown(central, tmp_path):
    """Whatever the list holds for each held NIK, in any order: no rows -> pass; the
    first row readable -> its status (a later row of that NIK is a duplicate, whatever
    it holds); the first row refused -> unknown. One import at a time, as the CLI does."""
    held = [r["nik"] for r in _held(central, 4)]
    db = central.db()

    @settings(max_examples=examples(25), deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(ROWS, min_size=4, max_size=4), st.randoms(use_true_random=False))
    def check(per_nik, rng):
        # rows of different NIKs interleaved at random, each NIK's own rows in order
        turns = [i for i, fates in enumerate(per_nik) for _ in fates]
        rng.shuffle(turns)
        queues = [list(fates) for fates in per_nik]
        rows = [(held[i], queues[i].pop(0)) for i in turns]
        text = "nik,kpj_number,status\n" + f"{OTHER},KPJ000001,Aktif\n" + "".join(
            f"{nik},{'12' if fate == 'bad' else 'KPJ123456'},{'Aktif' if fate == 'bad' else fate}\n"
            for nik, fate in rows)
        path = tmp_path / "peserta.csv"
        path.write_text(text, encoding="utf-8")
        import_file(db, path, "bpjs-participants", central.data_dir, central.settings, force=True)
        for nik, fates in zip(held, per_nik, strict=True):
            expected = {None: "pass", "aktif": "fail", "keluar": "pass", "bad": "unknown"}[
                fates[0] if fates else None]
            assert _rule(central, nik, "bpjs_membership")["result"] == expected, (nik, fates)

    try:
        check()
    finally:
        db.close()
