"""One worker recorded twice in one kelurahan under two NIKs, through the real agent
on both central backends (h1 review #8): central flags the pair, and the supervisor's
review page names the other record of this kelurahan, not "data di kelurahan
<its own code>"."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from berjasa.database import connect
from server.review import central_notice_texts
from sync.agent import run_once

_spec = importlib.util.spec_from_file_location(
    "sync_harness", Path(__file__).resolve().parents[1] / "reliability" / "harness.py")
h = sys.modules.setdefault("sync_harness", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(h)

A = "73.71.01.1001"


def test_the_pair_reaches_the_supervisor_naming_the_other_local_record(central, tmp_path):
    folder = h.make_kelurahan(tmp_path / "kel-a", A)
    central.register(folder)
    first = h.seed_approved(folder, 1, seed=51)[0]
    person = h.kelurahan_rows(folder, "SELECT nik, kk_number, birth_date, sex, full_name"
                                      " FROM enrollments")[0]
    second = h.seed_approved(folder, 1, seed=52, nik=person["nik"][:12] + "9876",
                             kk_number=person["kk_number"], birth_date=person["birth_date"],
                             sex=person["sex"])[0]
    assert run_once(folder, h.agent_settings(folder), "test").ok
    assert len(central.query("SELECT * FROM duplicate_flags")) == 1
    other = h.kelurahan_rows(folder, "SELECT full_name FROM enrollments WHERE id = ?",
                             (second,))[0]["full_name"]
    conn = connect(folder / "kelurahan.db")
    try:
        texts = central_notice_texts(conn, first)
    finally:
        conn.close()
    expected = (f"Pusat: kemungkinan orang yang sama dengan data di kelurahan ini ({other});"
                " menunggu keputusan verifikator.")
    assert texts == [expected]
