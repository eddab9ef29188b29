"""berjasa central export as a subprocess: exit codes and one-line errors; nothing
that looks complete is left behind by a failed export. SQLite only: the service
under the command runs on both backends in test_exports.py, and each subprocess
costs seconds in the quick loop."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest

from .test_cli import berjasa


def _init(database_url, tmp_path):
    data = tmp_path / "pusat"
    database_url = database_url or f"sqlite:///{tmp_path / 'central.db'}"
    berjasa("central", "init", "--database", database_url, data_dir=data)
    return data


def _one_line_error(done):
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def _cohort(database_url, rows):
    conn = sqlite3.connect(database_url[len("sqlite:///"):])
    with conn:
        conn.executemany("INSERT INTO cohort (nik, kpj_number, full_name,"
                         " kelurahan_code, coverage_start, monthly_income, jht)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    conn.close()


def test_bad_month_and_unwritable_output_are_one_line(tmp_path):
    data = _init(None, tmp_path)
    line = _one_line_error(berjasa("central", "export", "--what", "payment-list", "--month",
                                   "2025-13", data_dir=data, check=False))
    assert "--month" in line and "2025-13" in line
    missing = tmp_path / "tidak-ada" / "bayar.csv"
    line = _one_line_error(berjasa("central", "export", "--what", "all", "--output", str(missing),
                                   data_dir=data, check=False))
    assert str(missing) in line and not missing.parent.exists()
    assert "berkas atau folder tidak ada" in line and "No such file" not in line
    if os.name == "posix" and os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "terkunci"
        locked.mkdir(mode=0o500)
        _one_line_error(berjasa("central", "export", "--what", "all", "--output",
                                str(locked / "a.csv"), data_dir=data, check=False))
        assert list(locked.iterdir()) == []
    line = _one_line_error(berjasa("central", "export", "--format", "xlsx", "--what", "all",
                                   data_dir=data, check=False))
    assert "--output" in line


def test_payment_list_refuses_unconfirmed_bands_and_draft_exits_0(tmp_path):
    data = _init(None, tmp_path)
    _cohort(f"sqlite:///{tmp_path / 'central.db'}", [
        ("7371010101800001", "1", "Daeng Sikki", "73.71.01.1001", "2024-01", None, 0),
        ("7371010101800002", "2", "Besse", "73.71.01.1001", "2024-01", 3_000_000, 0),
        ("7371010101800003", "3", "Baso", "73.71.02.1001", "2024-01", 9_000_000, 0),
    ])
    out = tmp_path / "keluaran"
    out.mkdir()
    final = out / "bayar.xlsx"
    done = berjasa("central", "export", "--format", "xlsx", "--what", "payment-list", "--month",
                   "2025-10", "--output", str(final), data_dir=data, check=False)
    line = _one_line_error(done)
    assert "2 baris" in line and "band Rp2.950.000" in line and "band Rp20.700.000" in line
    assert "--draft" in line and list(out.iterdir()) == []

    draft = berjasa("central", "export", "--what", "payment-list", "--month", "2025-10",
                    "--draft", data_dir=data)
    lines = draft.stdout.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("DRAF - BUKAN UNTUK PEMBAYARAN")
    # the two placeholder bands are shown, summed apart, and never in the total
    assert lines[-2].startswith(",,,\"BELUM TERKONFIRMASI (PERKIRAAN), TIDAK DIJUMLAHKAN (2 pekerja)\"")
    assert lines[-2].endswith(",236500,13600,0,250100")  # 29.500 + 207.000 JKK
    assert lines[-1].startswith(",,,TOTAL KESELURUHAN (1 pekerja; 2 pekerja band belum terkonfirmasi")
    assert lines[-1].endswith(",10000,6800,0,16800")

    as_of = berjasa("central", "export", "--what", "payment-list", "--as-of", "2025-10-15",
                    "--draft", data_dir=data)  # the older flag still picks the month
    assert "Bulan: 2025-10" in as_of.stdout

    empty = berjasa("central", "export", "--what", "payment-list", "--month", "2023-12",
                    "--output", str(out / "kosong.csv"), "--json", data_dir=data)
    answer = json.loads(empty.stdout)
    assert answer["rows"] == 0 and answer["filters"]["month"] == "2023-12"
    text = (out / "kosong.csv").read_text(encoding="utf-8-sig")
    assert "Bulan: 2023-12" in text and text.splitlines()[-1].endswith(",0,0,0,0")



def test_the_format_follows_the_output_name_and_contradictions_are_refused(tmp_path):
    """``--output p.xlsx`` alone writes XLSX (it had written CSV into a .xlsx);
    ``--format xlsx --output p.csv`` and ``--draft`` for an export without drafts are
    refused with one line."""
    data = _init(None, tmp_path)
    made = tmp_path / "capaian.xlsx"
    berjasa("central", "export", "--what", "progress", "--output", str(made), data_dir=data)
    assert made.read_bytes()[:4] == b"PK\x03\x04"
    line = _one_line_error(berjasa("central", "export", "--what", "progress", "--format", "xlsx",
                                   "--output", str(tmp_path / "capaian.csv"), data_dir=data,
                                   check=False))
    assert "tidak cocok" in line and not (tmp_path / "capaian.csv").exists()
    berjasa("central", "export", "--what", "all", "--output", str(tmp_path / "semua.csv"), data_dir=data)
    assert (tmp_path / "semua.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    line = _one_line_error(berjasa("central", "export", "--what", "all", "--draft",
                                   "--output", str(tmp_path / "draf.csv"), data_dir=data,
                                   check=False))
    assert "--draft" in line and "hanya untuk payment-list" in line and not (tmp_path / "draf.csv").exists()


@pytest.mark.parametrize("args,named", [
    (["--what", "payment-list", "--month", "2026-1\u0661"], "--month"),        # an Arabic-Indic 1
    (["--what", "payment-list", "--month", "\uff12\uff10\uff12\uff16-\uff11\uff11"], "--month"),  # full width
    (["--what", "payment-list", "--month", "2101-01"], "--month"),             # after 2100
    (["--what", "payment-list", "--month", "1999-12"], "--month"),             # before the program's range
    (["--what", "payment-list", "--as-of", "2101-01-15"], "--as-of"),
    (["--what", "progress", "--month", "2026-1\u0661"], "--month"),           # checked, though unused
    (["--what", "payment-list", "--month", "2026-01", "--as-of", "2026-02-01"], "--as-of"),
])
def test_export_filters_are_refused_as_the_download_refuses_them(tmp_path, args, named):
    data = _init(None, tmp_path)
    out = tmp_path / "keluar.csv"
    line = _one_line_error(berjasa("central", "export", *args, "--output", str(out), data_dir=data,
                                   check=False))
    assert f"{named}:" in line, line
    assert not out.exists()
    if "--as-of" in args and "--month" in args:
        assert "pakai --month" in line


@pytest.mark.parametrize("args", [["--what", "progress", "--month", "2026-01"],
                                  ["--what", "all", "--month", "2026-01"],
                                  ["--what", "progress", "--as-of", "2026-01-15"]])
def test_a_month_an_export_does_not_use_is_set_aside_out_loud(tmp_path, args):
    """design.md gives every export [--month]: it is accepted where it means nothing,
    and the command says it did not use it (it had been silently ignored)."""
    data = _init(None, tmp_path)
    out = tmp_path / "keluar.csv"
    done = berjasa("central", "export", *args, "--output", str(out), data_dir=data)
    assert done.returncode == 0, done.stderr
    assert f"tidak dipakai untuk --what {args[1]}" in done.stderr and out.exists()


def test_registration_file_names_the_records_waiting_for_the_bpjs_list(tmp_path):
    """A record whose kelurahan claims a KPJ (sent again after a restore) is left off
    the file, and the command says so and what to do (docs/central.md)."""
    data = _init(None, tmp_path)
    conn = sqlite3.connect(tmp_path / "central.db")
    with conn:
        conn.execute("INSERT INTO records (kelurahan_code, record_id, batch_id, nik, name_key, status,"
                     " content_hash, received_at, updated_at, eligibility, kpj_claim, kpj_claimed_at)"
                     " VALUES ('73.71.01.1001', 'r-1', 'b-1', '7371010101900001', 'ani', 'accepted',"
                     " 'h', '2026-01-05T00:00:00+00:00', '2026-01-05T00:00:00+00:00',"
                     " '[{\"rule\": \"dtsen\", \"result\": \"pass\"}]',"
                     " '90000000001', '2026-01-05T00:00:00+00:00')")
    conn.close()
    done = berjasa("central", "export", "--what", "bpjs-registration", "--output",
                   str(tmp_path / "daftar.csv"), "--json", data_dir=data, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1])["filters"]["held_kpj_claims"] == 1
    assert "7371010101900001" not in (tmp_path / "daftar.csv").read_text(encoding="utf-8-sig")
    note = [line for line in done.stderr.splitlines() if line.startswith("Catatan:")]
    assert len(note) == 1 and "1 data tidak dimasukkan" in note[0], done.stderr
    assert "import bpjs-participants" in note[0]
