"""The payment list says how many registered workers an open verification finding
keeps off it (both backends, through the commands): a count in ``--json``, a
"Perhatian" line above the table and the same line on stderr, so BPKAD's list and
BPJS's bill can be reconciled (h1 report: a DTSEN re-import that raises identity
findings made registered workers disappear from the list without a word)."""

from __future__ import annotations

import csv
import json

from berjasa import local_time

from .conftest import records
from .test_cli import berjasa

MONTH = local_time.today().strftime("%Y-%m")
HELD = "pekerja terdaftar tidak ada di daftar ini: iurannya ditahan selama temuan verifikasi"


def _dtsen(data, tmp_path, people, name: str) -> None:
    path = tmp_path / name
    path.write_text("nik;nama;tgl_lahir;kode_kelurahan;desil\n" + "".join(
        f"{p['nik']};{p['full_name']};{p['birth_date']};{p['kelurahan_code']};2\n" for p in people),
        encoding="utf-8")
    berjasa("central", "import", "dtsen", str(path), data_dir=data)


def _bpjs(data, tmp_path, name: str, people) -> None:
    path = tmp_path / name
    path.write_text("nik,kpj_number,program,status,mulai_kepesertaan\n"
                    "7371014501900001,25000000001,JKK+JKM,Aktif,2024-01\n" + "".join(
                        f"{p['nik']},2501234500{i},JKK+JKM,Aktif,2025-01\n"
                        for i, p in enumerate(people)), encoding="utf-8")
    berjasa("central", "import", "bpjs-participants", str(path), data_dir=data)


def _payment_list(data, tmp_path, name: str) -> tuple[set[str], dict, str, list[str]]:
    out = tmp_path / name
    done = berjasa("central", "export", "--what", "payment-list", "--month", MONTH, "--draft",
                   "--output", str(out), "--json", data_dir=data)
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    header = next(i for i, row in enumerate(rows) if row and row[0] == "NO")
    nik = rows[header].index("NIK")
    paid = {row[nik].lstrip("'") for row in rows[header + 1:] if len(row) > nik and row[nik]}
    titles = [row[0] for row in rows[:header] if row]
    return paid, json.loads(done.stdout)["filters"], done.stderr, titles


def test_registered_workers_held_by_an_open_finding_are_counted_and_said(central, tmp_path):
    device = central.register()
    people = records(2, seed=83)
    device.send(people)
    data = central.data_dir
    berjasa("central", "init", "--database", central.database_url, data_dir=data)
    _dtsen(data, tmp_path, people, "dtsen-1.csv")
    _bpjs(data, tmp_path, "bpjs-0.csv", [])
    berjasa("central", "export", "--what", "bpjs-registration", "--output",
            str(tmp_path / "daftar.csv"), data_dir=data)
    _bpjs(data, tmp_path, "bpjs-1.csv", people)
    paid, filters, stderr, titles = _payment_list(data, tmp_path, "iuran-1.csv")
    assert {p["nik"] for p in people} <= paid
    assert filters["held_open_finding"] == 0 and HELD not in stderr
    assert not [t for t in titles if HELD in t]

    # the DTSEN extract spells one worker's name differently: an identity finding
    renamed = [{**people[0], "full_name": "Abdul Kadir Tompo"}, people[1]]
    _dtsen(data, tmp_path, renamed, "dtsen-2.csv")
    paid, filters, stderr, titles = _payment_list(data, tmp_path, "iuran-2.csv")
    assert people[0]["nik"] not in paid and people[1]["nik"] in paid
    assert filters["held_open_finding"] == 1
    assert f"Perhatian: 1 {HELD}" in stderr
    assert [t for t in titles if t.startswith(f"Perhatian: 1 {HELD}")], titles
    trail = central.query("SELECT changes FROM audit_log WHERE action = ? ORDER BY seq DESC",
                          ("export.payment-list",))[0]
    assert json.loads(trail["changes"])["filters"]["held_open_finding"] == 1
