"""cli: ``berjasa migrate`` / ``berjasa central migrate`` upgrade without loss, and
servers and the agent refuse a database that is behind the code."""

from __future__ import annotations

import json
import sqlite3
from importlib import resources
from pathlib import Path

import pytest
import requests

from berjasa.background_server import BackgroundServer
from berjasa.passwords import hash_password
from berjasa.processes import free_port, start_server, stop_all
from berjasa.settings import read_app_config, write_setting
from berjasa.synthetic import EnrollmentFaker
from tests.helpers import berjasa

KELURAHAN = "73.71.01.1001"
PASSWORD = "kata-sandi-migrasi-1"
COUNT = 25


def _first_migration_only(path: Path, package: str) -> None:
    """A database as the first release left it: migration 0001 and nothing after."""
    first = min((f for f in resources.files(package).iterdir() if f.name.endswith(".sql")),
                key=lambda f: f.name)
    conn = sqlite3.connect(path)
    conn.executescript(first.read_text(encoding="utf-8"))
    conn.execute("CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, name TEXT NOT NULL,"
                 " applied_at TEXT NOT NULL)")
    conn.execute("INSERT INTO schema_migrations VALUES (?, ?, '2025-10-01T00:00:00+00:00')",
                 (first.name[:4], first.name))
    conn.commit()
    conn.close()


def _old_laptop(folder: Path) -> list[dict]:
    """A kelurahan folder at schema 0001 holding COUNT enrollments and two users,
    written with the columns the first release wrote."""
    folder.mkdir(parents=True)
    db = folder / "kelurahan.db"
    _first_migration_only(db, "migrations.kelurahan")
    write_setting(folder, "kelurahan_code", KELURAHAN)
    conn = sqlite3.connect(db)
    now = "2025-10-02T08:00:00+00:00"
    conn.execute("INSERT INTO site (key, value) VALUES ('kelurahan_code', ?)", (KELURAHAN,))
    for name, role in (("petugas", "enumerator"), ("pengawas", "supervisor")):
        conn.execute("INSERT INTO users (username, role, password_hash, created_at, updated_at)"
                     " VALUES (?, ?, ?, ?, ?)", (name, role, hash_password(PASSWORD, name), now, now))
    faker = EnrollmentFaker(KELURAHAN, seed=11)
    records = [faker.enrollment() for _ in range(COUNT)]
    for index, r in enumerate(records):
        conn.execute(
            "INSERT INTO enrollments (id, nik, kk_number, full_name, name_key, birth_place,"
            " birth_date, sex, address, rt, rw, kelurahan_code, mother_name, phone, occupation,"
            " work_category, monthly_income, heir_name, heir_relation, heir_phone, consent,"
            " location, captured_at, notes, intake_hash, status, enumerator, last_edited_by,"
            " received_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (r["id"], r["nik"], r["kk_number"], r["full_name"], r["full_name"].casefold(),
             r["birth_place"], r["birth_date"], r["sex"], r["address"], r["rt"], r["rw"],
             r["kelurahan_code"], r["mother_name"], r.get("phone"), r["occupation"],
             r.get("work_category"), r["monthly_income"], r["heir_name"], r["heir_relation"],
             r.get("heir_phone"), json.dumps(r["consent"]), None, r["captured_at"], r.get("notes"),
             f"hash-{index}", "submitted", "petugas", "petugas", now, now))
    conn.commit()
    conn.close()
    return records


@pytest.mark.slow
def test_an_old_laptop_upgrades_with_every_record_intact(tmp_path):
    folder = tmp_path / "kelurahan"
    records = _old_laptop(folder)

    refused = berjasa("serve", "--port", str(free_port()), "--data-dir", str(folder))
    assert refused.returncode != 0 and "berjasa migrate" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    agent = berjasa("sync", "run", "--once", "--data-dir", str(folder))
    assert agent.returncode != 0 and "berjasa migrate" in agent.stderr, agent.stderr

    planned = berjasa("migrate", "--dry-run", "--json", "--data-dir", str(folder))
    assert planned.returncode == 0, planned.stderr
    plan = json.loads(planned.stdout.strip().splitlines()[-1])
    assert plan["applied"] == [] and plan["pending"][0].startswith("0002")
    # the last line of the text form is the plan, never "up to date" with steps pending
    told = berjasa("migrate", "--dry-run", "--data-dir", str(folder)).stdout.strip().splitlines()[-1]
    assert told == "akan diterapkan: " + ", ".join(plan["pending"])

    done = berjasa("migrate", "--json", "--data-dir", str(folder))
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["applied"] == plan["pending"]
    backup = Path(answer["backup"])
    assert backup.parent == folder / "backups"
    with sqlite3.connect(backup) as copy:  # the copy is the database as it was
        assert copy.execute("SELECT count(*) FROM enrollments").fetchone()[0] == COUNT
        assert copy.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] == "0001"

    again = berjasa("migrate", "--data-dir", str(folder))
    assert again.returncode == 0 and "sudah versi terbaru" in again.stdout

    from server.app import create_app

    app = create_app(read_app_config(folder, testing=True))
    with BackgroundServer(app) as server:
        token = requests.post(f"{server.url}/api/v1/auth/token", timeout=30,
                              json={"username": "pengawas", "password": PASSWORD}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        for record in records:
            held = requests.get(f"{server.url}/api/v1/enrollments/{record['id']}",
                                headers=headers, timeout=30)
            assert held.status_code == 200, held.text
            body = held.json()
            for name in ("nik", "kk_number", "full_name", "birth_date", "address",
                         "monthly_income", "mother_name", "heir_name"):
                assert body[name] == record[name], name
            assert body["status"] == "submitted"


@pytest.mark.slow
def test_migrate_refuses_while_the_server_runs(tmp_path):
    folder = tmp_path / "kelurahan"
    assert berjasa("init", "--kelurahan", KELURAHAN, "--data-dir", str(folder)).returncode == 0
    port = free_port()
    server = start_server(["serve", "--port", str(port), "--data-dir", str(folder)],
                          f"http://127.0.0.1:{port}")
    try:
        refused = berjasa("migrate", "--data-dir", str(folder))
        assert refused.returncode != 0 and "sedang dipakai" in refused.stderr, refused.stderr
    finally:
        stop_all([server])
    assert berjasa("migrate", "--data-dir", str(folder)).returncode == 0


@pytest.mark.slow
def test_central_serve_refuses_an_old_database_until_central_migrate(tmp_path):
    folder = tmp_path / "central"
    folder.mkdir()
    _first_migration_only(folder / "central.db", "migrations.central.sqlite")
    refused = berjasa("central", "serve", "--port", str(free_port()), "--data-dir", str(folder))
    assert refused.returncode != 0 and "berjasa central migrate" in refused.stderr, refused.stderr
    done = berjasa("central", "migrate", "--json", "--data-dir", str(folder))
    assert done.returncode == 0, done.stderr
    applied = json.loads(done.stdout.strip().splitlines()[-1])["applied"]
    assert applied and applied[0].startswith("0002")
    again = berjasa("central", "migrate", "--json", "--data-dir", str(folder))
    assert json.loads(again.stdout.strip().splitlines()[-1]) == {"pending": [], "applied": []}


@pytest.mark.slow
def test_central_migrate_refuses_while_central_serve_runs(tmp_path):
    """Issue 13 item 1 for central: `central migrate` is an offline command."""
    folder = tmp_path / "central"
    assert berjasa("central", "init", "--data-dir", str(folder)).returncode == 0
    port = free_port()
    server = start_server(["central", "serve", "--port", str(port), "--data-dir", str(folder)],
                          f"http://127.0.0.1:{port}")
    try:
        refused = berjasa("central", "migrate", "--data-dir", str(folder))
        assert refused.returncode != 0, refused.stdout
        assert "central serve (pid" in refused.stderr and "Traceback" not in refused.stderr, \
            refused.stderr
    finally:
        stop_all([server])
    assert berjasa("central", "migrate", "--data-dir", str(folder)).returncode == 0


def test_init_leaves_a_database_an_older_version_made_to_migrate(tmp_path):
    """`init` had applied new migrations itself: without the offline lock and the copy
    `migrate` makes, under a server that may still run. It now names `migrate`."""
    kelurahan = tmp_path / "kelurahan"
    kelurahan.mkdir()
    _first_migration_only(kelurahan / "kelurahan.db", "migrations.kelurahan")
    refused = berjasa("init", "--kelurahan", KELURAHAN, "--data-dir", str(kelurahan))
    assert refused.returncode != 0 and "berjasa migrate" in refused.stderr, refused.stderr
    assert berjasa("migrate", "--data-dir", str(kelurahan)).returncode == 0
    assert berjasa("init", "--kelurahan", KELURAHAN, "--data-dir", str(kelurahan)).returncode == 0
    central = tmp_path / "central"
    central.mkdir()
    _first_migration_only(central / "central.db", "migrations.central.sqlite")
    refused = berjasa("central", "init", "--data-dir", str(central))
    assert refused.returncode != 0 and "berjasa central migrate" in refused.stderr, refused.stderr
    assert berjasa("central", "migrate", "--data-dir", str(central)).returncode == 0
    assert berjasa("central", "init", "--data-dir", str(central)).returncode == 0


def test_an_erasure_deletes_the_pre_migration_copies_that_hold_the_person(tmp_path):
    """The copy `migrate` keeps is a plain database: after `privacy erase` a grep found
    the erased person in it. A copy that holds the NIK goes with the erasure (restoring
    it would bring the person back anyway); one that does not stays."""
    folder = tmp_path / "kelurahan"
    records = _old_laptop(folder)
    done = berjasa("migrate", "--json", "--data-dir", str(folder))
    copy = Path(json.loads(done.stdout.strip().splitlines()[-1])["backup"])
    unrelated = copy.with_name("kelurahan-sebelum-migrasi-0099-20260101T000000Z.db")
    sqlite3.connect(unrelated).executescript(
        "CREATE TABLE enrollments (id TEXT, nik TEXT); INSERT INTO enrollments VALUES ('x', '1');")
    nik = records[3]["nik"]
    assert nik.encode() in copy.read_bytes()

    erased = berjasa("privacy", "erase", nik, "--reason", "Surat 3/XI/2026", "--by", "lurah",
                     "--data-dir", str(folder))
    assert erased.returncode == 0, erased.stderr
    assert f"backups/{copy.name}" in erased.stdout
    assert not copy.exists() and unrelated.exists()
    assert not any(nik.encode() in path.read_bytes() for path in folder.rglob("*") if path.is_file())


def _fold_before_0011(name: str) -> str:
    """The name_key every release before migration 0011 stored: accents and case
    folded, apostrophes and punctuation kept."""
    import re
    import unicodedata

    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", plain.casefold()).strip()


def test_migration_0011_folds_the_names_already_held(tmp_path):
    """The name search folds apostrophes and punctuation; names stored before hold
    the older fold and would not be found by "Ma'ruf" or "Hj.St.": `migrate` folds
    them again (after its backup copy), and the search finds them."""
    from berjasa.database import connect
    from server import intake
    from server.app import create_app
    from server.storage.audit import Actor
    from server.storage.enrollments import name_key

    folder = tmp_path / "kelurahan"
    assert berjasa("init", "--kelurahan", KELURAHAN, "--data-dir", str(folder)).returncode == 0
    for name, role in (("petugas", "enumerator"), ("pengawas", "supervisor")):
        added = berjasa("user", "add", name, "--role", role, "--password-stdin",
                        "--data-dir", str(folder), stdin=PASSWORD + "\n")
        assert added.returncode == 0, added.stderr
    names = ["Ma’ruf Daéng Ngëmba", "Hj. St. Aminah", "Abdul-Rahman", "Andi Baso'", "ᨒᨚᨈᨑ",
             "Sitti Rahmah", "Muh.Ali, S.Pd."]
    faker = EnrollmentFaker(KELURAHAN, seed=5)
    config = read_app_config(folder)
    conn = connect(folder / "kelurahan.db")
    try:
        for name in names:
            intake.create_enrollment(conn, faker.enrollment(full_name=name),
                                     Actor("petugas", "enumerator"), config.settings)
        # the database as a release before 0011 left it
        for (full_name,) in conn.execute("SELECT full_name FROM enrollments").fetchall():
            conn.execute("UPDATE enrollments SET name_key = ? WHERE full_name = ?",
                         (_fold_before_0011(full_name), full_name))
        conn.execute("DELETE FROM schema_migrations WHERE version = '0011'")
        conn.commit()
    finally:
        conn.close()

    done = berjasa("migrate", "--json", "--data-dir", str(folder))
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["applied"] == ["0011_name_search_fold.sql"]
    with sqlite3.connect(answer["backup"]) as copy:  # the copy holds the older fold
        assert copy.execute("SELECT count(*) FROM enrollments WHERE name_key LIKE '%.%'"
                            ).fetchone()[0] == 2
    with sqlite3.connect(folder / "kelurahan.db") as db:
        rows = db.execute("SELECT full_name, name_key FROM enrollments").fetchall()
    assert sorted(rows) == sorted((name, name_key(name)) for name in names)

    app = create_app(read_app_config(folder, testing=True))
    with BackgroundServer(app) as server:
        token = requests.post(f"{server.url}/api/v1/auth/token", timeout=30,
                              json={"username": "pengawas", "password": PASSWORD}).json()["token"]
        for query, found in (("Ma'ruf", "Ma’ruf Daéng Ngëmba"), ("Hj.St.", "Hj. St. Aminah"),
                             ("abdul rahman", "Abdul-Rahman"), ("muh ali", "Muh.Ali, S.Pd.")):
            items = requests.get(f"{server.url}/api/v1/enrollments", params={"q": query},
                                 headers={"Authorization": f"Bearer {token}"}, timeout=30
                                 ).json()["items"]
            assert [item["full_name"] for item in items] == [found], query
