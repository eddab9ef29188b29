"""cli: berjasa audit verify › exit 0 when intact, non-zero naming the first
broken entry after a hand edit of the SQLite file; audit export --since › CSV."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.helpers import berjasa


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A data folder made by the CLI, with a few audited actions."""
    path = tmp_path_factory.mktemp("audit") / "data"
    assert berjasa("init", "--kelurahan", "73.71.01.1001", data_dir=path).returncode == 0
    for name in ("siti", "baso", "rahma"):
        done = berjasa("user", "add", name, "--role", "supervisor", "--password-stdin",
                       data_dir=path, stdin="kata-sandi-uji-123\n")
        assert done.returncode == 0, done.stderr
    return path


def test_verify_intact_chain_exits_0(folder):
    done = berjasa("audit", "verify", data_dir=folder)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "utuh" in done.stdout
    answer = json.loads(berjasa("audit", "verify", "--json", data_dir=folder).stdout)
    assert answer == {"intact": True, "checked": 4}


def test_export_since_writes_csv_and_is_audited(folder, tmp_path):
    out = tmp_path / "audit.csv"
    done = berjasa("audit", "export", "--since", "2000-01-01", "--output", str(out),
                   data_dir=folder)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == str(out)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM for Excel
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [r["action"] for r in rows] == ["site.init"] + ["user.create"] * 3
    assert rows[1]["record_id"] == "user:siti" and len(rows[0]["entry_hash"]) == 64
    # the chained UTC time and, beside it, the same moment in Makassar time (h2 item 13)
    assert list(rows[0])[:3] == ["seq", "at", "at_wita"]
    for row in rows:
        local = datetime.fromisoformat(row["at"]).astimezone(timezone(timedelta(hours=8)))
        assert row["at_wita"] == local.strftime("%Y-%m-%d %H:%M:%S")
    to_stdout = berjasa("audit", "export", "--since", "2999-01-01", data_dir=folder)
    assert to_stdout.stdout.lstrip("\ufeff").splitlines() == [",".join(rows[0].keys())]
    conn = sqlite3.connect(folder / "kelurahan.db")
    actions = [row[0] for row in conn.execute("SELECT action FROM audit_log ORDER BY seq")]
    assert actions[-2:] == ["audit.export", "audit.export"]


def test_export_since_counts_in_makassar_time(folder):
    """``--since`` is a Makassar day (WITA) or a WITA time, as the pages show the
    entries' times; a time with an offset is taken as it says."""
    first = sqlite3.connect(folder / "kelurahan.db").execute(
        "SELECT at FROM audit_log ORDER BY seq LIMIT 1").fetchone()[0]
    local = datetime.fromisoformat(first).astimezone(timezone(timedelta(hours=8)))

    def exported(since: str) -> int:  # entries other than the exports themselves
        done = berjasa("audit", "export", "--since", since, data_dir=folder, check=True)
        rows = csv.DictReader(io.StringIO(done.stdout.lstrip("\ufeff")))
        return sum(row["action"] != "audit.export" for row in rows)

    everything = exported("2000-01-01")
    assert exported(local.date().isoformat()) == everything  # its own Makassar day
    assert exported((local.date() + timedelta(days=1)).isoformat()) == 0
    just_before = (local - timedelta(seconds=1)).replace(tzinfo=None, microsecond=0)
    assert exported(just_before.isoformat()) == everything  # a plain time is WITA
    assert exported((local + timedelta(seconds=1)).isoformat()) < everything  # with +08:00


def test_export_refuses_a_bad_date_in_one_line(folder):
    done = berjasa("audit", "export", "--since", "kemarin", data_dir=folder)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "YYYY-MM-DD" in done.stderr


def test_verify_names_a_hand_edited_row(folder, tmp_path):
    conn = sqlite3.connect(folder / "kelurahan.db")
    # The trigger refuses the edit; a tamperer would drop it first.
    try:
        conn.execute("UPDATE audit_log SET actor = 'orang-lain' WHERE seq = 3")
    except sqlite3.DatabaseError as exc:
        assert "append-only" in str(exc)
    else:  # pragma: no cover
        pytest.fail("the append-only trigger did not fire")
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET actor = 'orang-lain' WHERE seq = 3")
    conn.commit()
    conn.close()
    done = berjasa("audit", "verify", data_dir=folder)
    assert done.returncode == 1
    assert "seq=3" in done.stdout and "Traceback" not in done.stderr
    answer = json.loads(berjasa("audit", "verify", "--json", data_dir=folder).stdout)
    assert answer["intact"] is False and answer["broken"]["seq"] == 3


def test_verify_names_a_deleted_row(tmp_path):
    path = tmp_path / "data"
    berjasa("init", "--kelurahan", "73.71.01.1001", data_dir=path)
    berjasa("user", "add", "siti", "--role", "admin", "--password-stdin", data_dir=path,
            stdin="kata-sandi-uji-123\n")
    berjasa("user", "add", "baso", "--role", "admin", "--password-stdin", data_dir=path,
            stdin="kata-sandi-uji-123\n")
    conn = sqlite3.connect(path / "kelurahan.db")
    conn.execute("DROP TRIGGER audit_log_no_delete")
    conn.execute("DELETE FROM audit_log WHERE seq = 2")
    conn.commit()
    conn.close()
    done = berjasa("audit", "verify", data_dir=path)
    assert done.returncode == 1 and "seq=2" in done.stdout


def test_verify_without_a_database_is_one_clear_line(tmp_path):
    done = berjasa("audit", "verify", data_dir=tmp_path / "kosong")
    assert done.returncode != 0 and "berjasa init" in done.stderr
    assert "Traceback" not in done.stderr
