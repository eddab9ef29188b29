"""The progress export's PEKERJAAN columns add up to BARU_DITERIMA on every row (both
backends, through `berjasa central export`): a record without a work category is
counted under "PEKERJAAN: belum diisi", a category no longer on the list under
"Lainnya", or under "PEKERJAAN: di luar daftar" when the list has no "Lainnya" (h1 #15)."""

from __future__ import annotations

import csv
import io

import pytest

from .conftest import KELURAHAN_A, KELURAHAN_B, records
from .test_cli import berjasa


def _progress(central, tmp_path) -> list[dict[str, str]]:
    out = tmp_path / "capaian.csv"
    berjasa("central", "export", "--what", "progress", "--output", str(out),
            data_dir=central.data_dir)
    return list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))


def _reconciled(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Every row's work-category columns sum to its active new workers."""
    work = [k for k in rows[0] if k.startswith("PEKERJAAN: ")]
    for row in rows:
        assert sum(int(row[k]) for k in work) == int(row["BARU_DITERIMA"]), row["KELURAHAN"]
    return rows


@pytest.fixture
def sent(central):
    """Five workers in A (two without a work category, two Nelayan, one whose category
    the list dropped since), two in B with a category on the list."""
    first = records(5, KELURAHAN_A)
    for r in first[:2]:
        r.pop("work_category", None)
    for r in first[2:]:
        r["work_category"] = "Nelayan"
    second = records(2, KELURAHAN_B, seed=5)
    for r in second:
        r["work_category"] = "Pengemudi ojek"
    central.register(KELURAHAN_A).send(first)
    central.register(KELURAHAN_B).send(second)
    central.change("UPDATE records SET work_category = 'Tukang parkir' WHERE nik = ?",
                   (first[3]["nik"],))
    berjasa("central", "init", "--database", central.database_url, data_dir=central.data_dir)
    return first, second


def test_records_without_a_work_category_have_their_column(central, sent, tmp_path):
    rows = _reconciled(_progress(central, tmp_path))
    city = rows[-1]
    assert city["TINGKAT"] == "Kota" and city["BARU_DITERIMA"] == "7"
    assert city["PEKERJAAN: belum diisi"] == "2" and city["PEKERJAAN: Pengemudi ojek"] == "2"
    a = next(r for r in rows if r["KODE_KELURAHAN"] == KELURAHAN_A)
    assert (a["PEKERJAAN: belum diisi"], a["PEKERJAAN: Nelayan"], a["PEKERJAAN: Lainnya"]) == (
        "2", "2", "1")  # Tukang parkir left the list: Lainnya
    assert "PEKERJAAN: di luar daftar" not in city  # the default list has "Lainnya"


def test_a_list_without_lainnya_counts_what_left_it_apart(central, sent, tmp_path):
    with (central.data_dir / "settings.toml").open("a", encoding="utf-8") as settings:
        settings.write('\nwork_categories = ["Nelayan", "Pengemudi ojek"]\n')
    rows = _reconciled(_progress(central, tmp_path))
    city = rows[-1]
    assert (city["PEKERJAAN: belum diisi"], city["PEKERJAAN: Nelayan"],
            city["PEKERJAAN: di luar daftar"]) == ("2", "2", "1")
