"""berjasa central ...: the commands as subprocesses (both backends)."""

from __future__ import annotations

import csv
import io
import json
import os

from tests.helpers import berjasa as run_berjasa

from .conftest import records, start_central


def berjasa(*args, data_dir, check=True):
    """Run the berjasa command with the data folder from the environment."""
    return run_berjasa(*args, env={"BERJASA_DATA_DIR": str(data_dir)}, check=check)


def test_init_device_add_import_export(database_url, tmp_path):
    data = tmp_path / "pusat"
    init = json.loads(berjasa("central", "init", "--database", database_url, "--json", data_dir=data).stdout)
    assert init["migrations_applied"][0] == "0001_central.sql"  # later ones follow
    assert "0003_workspace.sql" in init["migrations_applied"]
    added = berjasa("central", "device", "add", "--kelurahan", "73.71.01.1001", data_dir=data)
    code = added.stdout.strip().splitlines()[-1]
    assert len(code) == 14 and code.count("-") == 2
    as_json = json.loads(berjasa("central", "device", "add", "--kelurahan", "73.71.01.1001", "--json",
                                 data_dir=data).stdout)
    assert as_json["kelurahan_code"] == "73.71.01.1001" and as_json["code"] != code

    server, central = start_central(database_url, data)
    try:
        device = central.register()
        sent = device.send(records(3))
    finally:
        central.close()
        server.close()
    assert [r["result"] for r in sent] == ["accepted"] * 3

    dtsen = tmp_path / "dtsen.csv"
    dtsen.write_text("NIK,Desil\n7371014101900001,2\nbukan-nik,1\n", encoding="utf-8")
    summary = json.loads(berjasa("central", "import", "dtsen", str(dtsen), "--json", data_dir=data).stdout)
    assert set(summary) >= {"read", "accepted", "rejected", "rejects_file"}
    assert (summary["read"], summary["accepted"], summary["rejected"]) == (2, 1, 1)
    assert os.path.exists(summary["rejects_file"])

    exported = berjasa("central", "export", "--format", "csv", "--what", "all", data_dir=data)
    assert exported.stdout.startswith("\ufeff")  # UTF-8 BOM for Excel
    rows = list(csv.DictReader(io.StringIO(exported.stdout.lstrip("\ufeff"))))
    assert len(rows) == 3 and {r["STATUS_PUSAT"] for r in rows} == {"accepted"}
    xlsx = tmp_path / "bayar.xlsx"
    done = json.loads(berjasa("central", "export", "--format", "xlsx", "--what", "payment-list",
                              "--output", str(xlsx), "--json", data_dir=data).stdout)
    # Accepted is not yet registered: nobody to pay this month (no cohort loaded).
    assert done["rows"] == 0 and xlsx.exists() and len(done["sha256"]) == 64

    revoked = berjasa("central", "device", "revoke", "73.71.01.1001", "--json", data_dir=data)
    assert json.loads(revoked.stdout)["revoked"] == [device.device_id]


def test_errors_are_one_line_without_traceback(tmp_path):
    data = tmp_path / "kosong"
    done = berjasa("central", "device", "add", "--kelurahan", "73.71.01.1001", data_dir=data, check=False)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and "central init" in done.stderr
    berjasa("central", "init", data_dir=data)
    bad = berjasa("central", "device", "add", "--kelurahan", "99.99", data_dir=data, check=False)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    missing = berjasa("central", "import", "dtsen", str(tmp_path / "tidak-ada.csv"), data_dir=data,
                      check=False)
    assert missing.returncode != 0 and len(missing.stderr.strip().splitlines()) == 1
    bad_url = berjasa("central", "init", "--database", "mysql://x", data_dir=tmp_path / "x", check=False)
    assert bad_url.returncode != 0 and "Traceback" not in bad_url.stderr


def test_a_key_is_never_made_in_a_folder_that_is_no_central(tmp_path):
    folder = tmp_path / "bukan-pusat"
    for args in (["central", "key", "rotate"], ["central", "key", "rotate", "--finish"]):
        done = berjasa(*args, data_dir=folder, check=False)
        assert done.returncode != 0 and "berjasa central init" in done.stderr, done.stderr
    assert not folder.exists() or not any(folder.glob("*.pem"))
