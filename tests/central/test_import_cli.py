"""berjasa central import / recheck as subprocesses: exit codes and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import BERJASA

from .test_cli import berjasa

NIK_A, NIK_B = "7371014101900001", "7371014101900002"


@pytest.fixture
def folder(database_url, tmp_path):
    data = tmp_path / "pusat"
    berjasa("central", "init", "--database", database_url, data_dir=data)
    return data


def _one_line_error(done):
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_import_exit_codes_and_messages(folder, tmp_path):
    good = tmp_path / "good.csv"
    good.write_bytes(f"nik;desil\r\n'{NIK_A};2\r\n'{NIK_B};3\r\n".encode("cp1252"))
    done = berjasa("central", "import", "dtsen", str(good), "--json", data_dir=folder)
    summary = json.loads(done.stdout)
    assert (summary["read"], summary["accepted"], summary["rejected"]) == (2, 2, 0)

    bad = tmp_path / "bad.csv"
    bad.write_text(f"nik,desil\n{NIK_A},1\n7.37E+15,1\n123,2\n", encoding="utf-8")
    line = _one_line_error(berjasa("central", "import", "dtsen", str(bad), data_dir=folder, check=False))
    assert "--force" in line and "tidak diganti" in line
    forced = berjasa("central", "import", "dtsen", str(bad), "--force", "--json", data_dir=folder)
    assert json.loads(forced.stdout)["accepted"] == 1

    allbad = tmp_path / "allbad.csv"
    allbad.write_text("nik,desil\n7.37E+15,1\n", encoding="utf-8")
    line = _one_line_error(berjasa("central", "import", "dtsen", str(allbad), "--force", data_dir=folder,
                                   check=False))
    assert "tidak ada baris yang diterima" in line

    columns = tmp_path / "columns.csv"
    columns.write_text("foo,bar\n1,2\n", encoding="utf-8")
    line = _one_line_error(berjasa("central", "import", "cohort", str(columns), data_dir=folder, check=False))
    assert "kolom yang diharapkan" in line and "coverage_start" in line

    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    assert "kosong" in _one_line_error(berjasa("central", "import", "bpjs-participants", str(empty),
                                               data_dir=folder, check=False))
    missing = _one_line_error(berjasa("central", "import", "dtsen", str(tmp_path / "none.csv"),
                                      data_dir=folder, check=False))
    assert "tidak ada" in missing

    rechecked = json.loads(berjasa("central", "recheck", "--json", data_dir=folder).stdout)
    assert rechecked["evaluated"] == 0 and "changed" in rechecked


def _on_a_terminal(args: list[str], folder) -> tuple[int, str]:
    """Run berjasa with stdout and stderr on a pseudo-terminal; (exit code, output)."""
    import pty

    leader, follower = pty.openpty()
    done = subprocess.Popen([*BERJASA, *args], stdout=follower, stderr=follower, stdin=subprocess.DEVNULL,
                            env={**os.environ, "BERJASA_DATA_DIR": str(folder), "COLUMNS": "100"})
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    return done.wait(timeout=120), output.decode("utf-8", "replace")


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_a_progress_bar_on_a_terminal_only(folder, tmp_path):
    extract = tmp_path / "dtsen_besar.csv"
    extract.write_text("nik;desil\n" + "".join(f"73710141019{n:05d};{n % 10 + 1}\n"
                                                 for n in range(1, 12_001)), encoding="utf-8")
    code, shown = _on_a_terminal(["central", "import", "dtsen", str(extract)], folder)
    assert code == 0, shown
    assert "Membaca dtsen_besar.csv" in shown and "\u2501" in shown  # rich's bar, drawn
    assert "diterima 12000" in shown
    code, shown = _on_a_terminal(["central", "import", "dtsen", str(extract), "--json"], folder)
    assert code == 0 and "Membaca" not in shown and json.loads(shown)["accepted"] == 12_000
    piped = berjasa("central", "import", "dtsen", str(extract), data_dir=folder)
    assert "Membaca" not in piped.stdout + piped.stderr


def test_import_summary_names_unused_columns_and_no_rejects_without_a_rejection(folder, tmp_path):
    clean = tmp_path / "kohort.csv"
    clean.write_text("NIK;Kode Kelurahan;Mulai Kepesertaan;Gaji\n"
                     f"{NIK_A};73.71.01.1001;2024-03;2500000\n", encoding="utf-8")
    done = berjasa("central", "import", "cohort", str(clean), data_dir=folder, check=True)
    assert "ditolak 0;" in done.stdout and "lihat" not in done.stdout
    assert "Kolom tidak dipakai: Gaji" in done.stdout
    summary = json.loads(berjasa("central", "import", "cohort", str(clean), "--json", data_dir=folder).stdout)
    assert summary["rejected"] == 0 and summary["unused_columns"] == ["Gaji"]
    assert Path(summary["rejects_file"]).exists()  # design.md: "rejects_file": PATH


def test_an_unclosed_quote_fails_the_import_naming_the_line(folder, tmp_path):
    rows = [f"73710141019{n:05d},Baso,2" for n in range(1, 301)]
    rows[199] = '7371014101900200,"Daeng Ngalle,2'  # file line 201
    damaged = tmp_path / "dtsen.csv"
    damaged.write_text("nik,nama,desil\n" + "\n".join(rows) + "\n", encoding="utf-8")
    line = _one_line_error(berjasa("central", "import", "dtsen", str(damaged), data_dir=folder, check=False))
    assert "baris 201" in line and "tanda kutip" in line and "tidak diganti" in line


def test_a_refused_import_names_the_rejects_file_it_leaves(folder, tmp_path):
    """A 50-row BPJS list after a full one left imports/...-rejects.csv that no line named."""
    full = tmp_path / "bpjs.csv"
    full.write_text("nik;no_kpj;status\n" + "".join(f"73710141019{n:05d};2501{n:07d};aktif\n"
                                                    for n in range(1, 11)), encoding="utf-8")
    berjasa("central", "import", "bpjs-participants", str(full), data_dir=folder)
    before = set((folder / "imports").glob("*"))
    partial = tmp_path / "bpjs-50.csv"
    partial.write_text("\n".join(full.read_text(encoding="utf-8").splitlines()[:4]) + "\n",
                       encoding="utf-8")
    line = _one_line_error(berjasa("central", "import", "bpjs-participants", str(partial),
                                   data_dir=folder, check=False))
    assert "kurang dari separuh" in line and "rejects" not in line
    assert set((folder / "imports").glob("*")) == before

    with partial.open("a", encoding="utf-8") as more:
        more.write("7371014101900099;2501;JKK;JKM;Aktif\n")  # a shifted row
    line = _one_line_error(berjasa("central", "import", "bpjs-participants", str(partial),
                                   data_dir=folder, check=False))
    [left] = set((folder / "imports").glob("*")) - before
    assert f"1 baris ditolak, lihat {left}" in line
    assert "wrong_cell_count" in left.read_text(encoding="utf-8-sig")
