"""Central restored from a backup older than some registrations: the kelurahan
laptops resend (`berjasa sync resend`), and the registered, insured workers stay
registered (docs/operator-guide.md, "Central restored from a backup"): their records
are kept off a new BPJS registration file, and the next BPJS participant list
makes them `registered` again with the same KPJ, on the payment list, while the
kelurahan's register does not move. Real central (both backends, its database
backed up and restored as an office does it) and the real agent."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from berjasa import local_time
from central.exports import export
from central.imports import import_file
from central.storage.db import Database
from sync.agent import run_once
from tests.central_databases import OfficeBackups
from tests.helpers import berjasa

from .conftest import A, h

# the month of the registration file (now): BPJS's answer starts coverage then (a start
# before the file's month is someone else's participation, docs/central.md)
MONTH = local_time.today().strftime("%Y-%m")
UNRELATED = "7371014501900001"  # a participant of the lists who is none of ours


@pytest.fixture(params=["sqlite", "postgresql"])
def office(request, tmp_path, migrated_databases):
    """(database URL, its backups) on each backend."""
    url = migrated_databases(request.param)
    return url, OfficeBackups(request.param, url, tmp_path / "backups")


def _db(central) -> Database:
    return Database(central.database_url, data_dir=central.data_dir)


def _import(central, tmp_path: Path, kind: str, name: str, lines: list[str]) -> dict:
    path = tmp_path / name
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    db = _db(central)
    try:
        return import_file(db, path, kind, central.data_dir, None)
    finally:
        db.close()


def _dtsen(central, tmp_path: Path, people: list[dict]) -> None:
    rows = [f"{p['nik']};{p['full_name']};{p['birth_date']};{p['kelurahan_code']};2" for p in people]
    _import(central, tmp_path, "dtsen", "dtsen.csv", ["NIK;Nama;Tgl_Lahir;Kode_Kelurahan;Desil", *rows])


def _bpjs_list(central, tmp_path: Path, name: str, kpjs: dict[str, str]) -> dict:
    rows = [f"{UNRELATED},25000000001,JKK+JKM,Aktif,2024-01"]
    rows += [f"{nik},{kpj},JKK+JKM,Aktif,{MONTH}" for nik, kpj in kpjs.items()]
    return _import(central, tmp_path, "bpjs-participants", name,
                   ["NIK,No_KPJ,Program,Status,Mulai_Kepesertaan", *rows])


def _export_niks(central, what: str, **filters) -> list[str]:
    db = _db(central)
    try:
        content = export(db, what, "csv", None, actor="operator-kota", **filters).content
    finally:
        db.close()
    lines = content.decode("utf-8-sig").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(("NIK,", "NO,")))
    return [row["NIK"] for row in csv.DictReader(lines[start:]) if row.get("NIK")]


def _people(folder: Path, ids: list[str]) -> list[dict]:
    rows = h.kelurahan_rows(folder, "SELECT id, nik, full_name, birth_date, kelurahan_code,"
                                    " status, kpj_number, central_status, central_reason, version"
                                    " FROM enrollments")
    by_id = {r["id"]: r for r in rows}
    return [by_id[i] for i in ids]


def _central_rows(central, ids: list[str]) -> dict[str, tuple]:
    rows = central.query("SELECT record_id, status, kpj_number FROM records WHERE kelurahan_code = ?",
                         (A,))
    return {r["record_id"]: (r["status"], r["kpj_number"]) for r in rows if r["record_id"] in ids}


def _sync(folder: Path) -> None:
    report = run_once(folder, h.agent_settings(folder), "test")
    assert report.ok, report.error


@pytest.mark.slow
def test_registered_workers_stay_registered_after_central_is_restored(office, tmp_path):
    url, backups = office
    central = h.central_in_thread(url, tmp_path / "central")
    folder = h.make_kelurahan(tmp_path / "kel-a", A)
    try:
        central.register(folder)
        kept = h.seed_approved(folder, 2, seed=91)  # at central before the backup
        _sync(folder)
        lost = h.seed_approved(folder, 2, seed=92)  # sent after it: the restore loses them
        everyone = kept + lost
        people = _people(folder, everyone)
        _dtsen(central, tmp_path, people)
        _bpjs_list(central, tmp_path, "bpjs-1.csv", {})
        central.stop()
        backups.back_up()  # the office's nightly backup
        central = h.central_in_thread(url, tmp_path / "central", central.port)
        _sync(folder)

        # the registration file, BPJS's answer, the kelurahan hears the KPJs
        on_file = _export_niks(central, "bpjs-registration")
        assert sorted(on_file) == sorted(p["nik"] for p in people)
        kpjs = {p["nik"]: f"9{n:010d}" for n, p in enumerate(people, 1)}
        _bpjs_list(central, tmp_path, "bpjs-2.csv", kpjs)
        _sync(folder)
        before = {p["id"]: (p["status"], p["kpj_number"]) for p in _people(folder, everyone)}
        assert before == {p["id"]: ("registered", kpjs[p["nik"]]) for p in people}
        assert _central_rows(central, everyone) == before
        kelurahan = _people(folder, everyone)  # every column the supervisor sees
        paid = _export_niks(central, "payment-list", month=MONTH, draft=True)
        assert set(kpjs) <= set(paid)

        # central restored from the backup: `kept` accepted (no memory of the
        # registration file), `lost` gone; the laptops resend
        central.stop()
        backups.restore()
        central = h.central_in_thread(url, tmp_path / "central", central.port)
        assert set(_central_rows(central, everyone)) == set(kept)
        berjasa("sync", "resend", data_dir=folder, check=True)
        _sync(folder)
        assert {rid: status for rid, (status, _kpj) in _central_rows(central, everyone).items()} == {
            rid: "accepted" for rid in everyone}
        # not put on a new registration file: BPJS would refuse them or pay twice
        assert _export_niks(central, "bpjs-registration") == []
        assert _people(folder, everyone) == kelurahan  # nothing moved back at the kelurahan

        # the latest BPJS list: registered again with the same KPJ, paid
        _bpjs_list(central, tmp_path, "bpjs-3.csv", kpjs)
        assert _central_rows(central, everyone) == before
        paid = _export_niks(central, "payment-list", month=MONTH, draft=True)
        assert set(kpjs) <= set(paid)
        assert _export_niks(central, "bpjs-registration") == []
        _sync(folder)
        assert _people(folder, everyone) == kelurahan
    finally:
        central.stop()


def _cli(central, *args: str, check: bool = True):
    return berjasa("central", *args, data_dir=central.data_dir, check=check,
                   env={"BERJASA_CENTRAL_DATABASE_URL": central.database_url})


@pytest.mark.slow
def test_an_older_laptop_after_a_restore_puts_nobody_on_a_registration_file(office, tmp_path):
    """A protocol-2 laptop resends its registered workers without their KPJ: central
    cannot tell them from new ones. Recorded with `central restored`, the restore holds
    the whole BPJS registration file (CLI and download refuse in one line, the
    dashboard says it) until a BPJS list imported after it shows them as participants."""
    from tests.central.office import signed_in

    url, backups = office
    central = h.central_in_thread(url, tmp_path / "central")
    folder = h.make_kelurahan(tmp_path / "kel-a", A)
    try:
        central.register(folder)
        people_ids = h.seed_approved(folder, 2, seed=93)
        people = _people(folder, people_ids)
        _dtsen(central, tmp_path, people)
        _bpjs_list(central, tmp_path, "bpjs-1.csv", {})
        central.stop()
        backups.back_up()
        central = h.central_in_thread(url, tmp_path / "central", central.port)
        _sync(folder)
        assert sorted(_export_niks(central, "bpjs-registration")) == sorted(p["nik"] for p in people)
        kpjs = {p["nik"]: f"9{n:010d}" for n, p in enumerate(people, 1)}
        _bpjs_list(central, tmp_path, "bpjs-2.csv", kpjs)
        _sync(folder)  # the laptop shows them registered with their KPJ

        central.stop()
        backups.restore()
        central = h.central_in_thread(url, tmp_path / "central", central.port)
        done = _cli(central, "restored", "--reason", "cadangan semalam")
        assert "ditahan" in done.stdout
        berjasa("sync", "resend", data_dir=folder, check=True)
        _sync(folder)
        # what an older laptop leaves at central: the same records, no claim (protocol 2
        # has no kpj_claim column)
        db = _db(central)
        try:
            with db.transaction():
                db.run("UPDATE records SET kpj_claim = NULL, kpj_claimed_at = NULL")
        finally:
            db.close()
        assert {s for s, _kpj in _central_rows(central, people_ids).values()} == {"accepted"}
        refused = _cli(central, "export", "--what", "bpjs-registration", check=False)
        assert refused.returncode != 0
        line = refused.stderr.strip().splitlines()
        assert len(line) == 1 and "impor dulu daftar peserta BPJS terbaru" in line[0], refused.stderr
        central.db = lambda: _db(central)  # what office.signed_in opens
        admin = signed_in(central, "operator")
        page = admin.get(f"{central.url}/unduh/bpjs-registration?format=csv", timeout=10)
        assert page.status_code == 409 and "impor dulu daftar peserta BPJS terbaru" in page.text
        assert "Pusat dipulihkan dari cadangan" in admin.get(f"{central.url}/", timeout=10).text
        # an import of another kind does not lift it; the BPJS list imported after does
        _dtsen(central, tmp_path, people)
        assert _cli(central, "export", "--what", "bpjs-registration", check=False).returncode != 0
        _bpjs_list(central, tmp_path, "bpjs-3.csv", kpjs)
        assert _export_niks(central, "bpjs-registration") == []  # participants now, not new
        assert _cli(central, "export", "--what", "bpjs-registration").returncode == 0
        assert "Pusat dipulihkan" not in admin.get(f"{central.url}/", timeout=10).text
        # the older laptop's workers are "already participants" now (off the payment
        # list); upgraded, its resend carries the KPJ and the list registers them again
        assert {s for s, _kpj in _central_rows(central, people_ids).values()} == {"rejected"}
        berjasa("sync", "resend", data_dir=folder, check=True)
        _sync(folder)
        assert _central_rows(central, people_ids) == {
            p["id"]: ("registered", kpjs[p["nik"]]) for p in people}
    finally:
        central.stop()
