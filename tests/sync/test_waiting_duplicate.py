"""A kelurahan's record refused as a duplicate NIK is not refused for good (h2 review
#1), through the real agent on both central backends: when the record holding the
NIK at central lets go of it (its NIK fixed after a send-back, erased at its
kelurahan's request), central accepts the waiting record and its kelurahan moves it
from "Ditolak pusat" to "Terkirim" with the next pull, audited; a waiting record that
a rule rejects, or that now waits for another holder, shows central's new reason."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from berjasa.database import connect
from berjasa.settings import load_settings
from server import lifecycle
from server.intake import edit_enrollment
from server.storage.audit import Actor
from sync.agent import run_once
from tests.helpers import berjasa

_spec = importlib.util.spec_from_file_location(
    "sync_harness", Path(__file__).resolve().parents[1] / "reliability" / "harness.py")
h = sys.modules.setdefault("sync_harness", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(h)

A, B, C = "73.71.01.1001", "73.71.02.1001", "73.71.03.1001"


def _sync(folder: Path) -> None:
    assert run_once(folder, h.agent_settings(folder), "test").ok


def _state(folder: Path, record_id: str) -> dict:
    return h.kelurahan_rows(folder, "SELECT status, central_status, central_reason FROM enrollments"
                                    " WHERE id = ?", (record_id,))[0]


def _one_nik_twice(central, tmp_path, kelurahan=(A, B)):
    """Kelurahan A records someone under NIK X (a typing slip), kelurahan B the real
    holder of X; A syncs first, so B's record is refused as a duplicate NIK."""
    folders = []
    for code in kelurahan:
        folder = h.make_kelurahan(tmp_path / f"kel-{code}", code)
        central.register(folder)
        folders.append(folder)
    first = h.seed_approved(folders[0], 1, seed=41)[0]
    person = h.kelurahan_rows(folders[0], "SELECT nik, birth_date, sex FROM enrollments")[0]
    _sync(folders[0])
    ids = [first]
    for n, folder in enumerate(folders[1:]):
        ids.append(h.seed_approved(folder, 1, seed=42 + n, nik=person["nik"],
                                   birth_date=person["birth_date"], sex=person["sex"])[0])
        _sync(folder)
        state = _state(folder, ids[-1])
        assert (state["status"], state["central_status"]) == ("central_rejected", "duplicate")
        assert state["central_reason"].startswith("duplicate_nik:")
    return folders, ids, person["nik"]


def _central_cli(central, *args):
    data = central.data_dir
    if not (data / "settings.toml").exists() or "central_database_url" not in (
            data / "settings.toml").read_text(encoding="utf-8"):
        berjasa("central", "init", "--database", central.database_url, data_dir=data, check=True)
    return berjasa("central", *args, data_dir=data, check=True)


def test_the_typo_fixed_at_one_kelurahan_releases_the_other(central, tmp_path):
    """h2's walk-through; a third kelurahan's record of the NIK waits on, now as the
    duplicate of B's record, and its laptop says so."""
    (a, b, c), (first, second, third), nik = _one_nik_twice(central, tmp_path, (A, B, C))
    _central_cli(central, "send-back", nik, "--reason", "NIK tidak cocok dengan KTP")
    _sync(a)
    assert _state(a, first)["status"] == "needs_fix"
    conn = connect(a / "kelurahan.db")
    try:
        version = h.kelurahan_rows(a, "SELECT version FROM enrollments WHERE id = ?",
                                   (first,))[0]["version"]
        edit_enrollment(conn, first, {"nik": nik[:12] + "9876"}, version, h.ENUMERATOR,
                        load_settings(a))
        lifecycle.transition(conn, first, "approved", Actor("pengawas", "supervisor"))
    finally:
        conn.close()
    _sync(a)
    assert central.query("SELECT status FROM records WHERE record_id = ?",
                         (second,)) == [{"status": "accepted"}]

    _sync(b)
    state = _state(b, second)
    assert (state["status"], state["central_status"]) == ("synced", "accepted")
    history = h.kelurahan_rows(b, "SELECT status, reason FROM enrollment_history"
                                  " WHERE enrollment_id = ? ORDER BY id", (second,))
    assert history[-1]["reason"] == "Diterima kembali oleh pusat."
    trail = h.kelurahan_rows(b, "SELECT changes FROM audit_log WHERE record_id = ? ORDER BY seq",
                             (second,))
    assert '["central_rejected", "synced"]' in trail[-1]["changes"]
    _sync(c)
    state = _state(c, third)
    assert (state["status"], state["central_status"]) == ("central_rejected", "duplicate")
    assert state["central_reason"] == f"duplicate_nik: kelurahan {B}, data {second}"
    # B holds the NIK at central now: a verifier can act on it, and it reaches B
    _central_cli(central, "send-back", nik, "--reason", "Alamat kurang lengkap")
    _sync(b)
    assert _state(b, second)["status"] == "needs_fix"


def test_an_erasure_at_the_holders_kelurahan_releases_the_other(central, tmp_path):
    (a, b), (first, second), nik = _one_nik_twice(central, tmp_path)
    berjasa("privacy", "erase", nik, "--reason", "Surat 07/PDP/2026", data_dir=a, check=True)
    _sync(a)
    assert central.query("SELECT status FROM records WHERE record_id = ?",
                         (first,)) == [{"status": "erased"}]
    _sync(b)
    assert _state(b, second)["status"] == "synced"


def test_the_waiting_records_hear_the_rule_or_the_new_holder(central, tmp_path):
    """Three kelurahan hold one NIK: A's record holds it, B's and C's wait. The BPJS
    list shows the NIK as an active participant: A's record is rejected, B's and C's
    are judged and rejected by the same rule; each laptop shows the rule now, not
    'duplicate of A'."""
    (a, b, c), (first, second, third), nik = _one_nik_twice(central, tmp_path, (A, B, C))
    listed = tmp_path / "bpjs.csv"
    listed.write_text(f"nik,no_kpj,status\n{nik},25012345678,aktif\n", encoding="utf-8")
    _central_cli(central, "import", "bpjs-participants", str(listed))
    for folder, record_id in ((a, first), (b, second), (c, third)):
        _sync(folder)
        state = _state(folder, record_id)
        assert (state["status"], state["central_status"]) == ("central_rejected", "rejected")
        assert state["central_reason"] == "rejected: already_bpjs_participant", state
