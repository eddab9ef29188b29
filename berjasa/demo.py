"""``berjasa demo``: a whole city on one machine, on the embedded default.

Starts a central registry and two kelurahan servers on 127.0.0.1, each in its own
data folder under ``<data-dir>/demo``, seeds them with realistic synthetic
enrollments (Faker id_ID) and one user per role, registers each laptop's sync
device at central, syncs once (a NIK enrolled in both kelurahan comes back as
``central_rejected`` to the second), prints URLs and logins, and runs until
Ctrl+C. Every part is started through the same ``berjasa`` commands an operator
uses, so the demo also proves them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import click

from berjasa import local_time, reference
from berjasa.database import connect
from berjasa.problems import Problem
from berjasa.settings import load_settings

# berjasa.processes (requests), berjasa.synthetic (Faker) and the server's modules
# (marshmallow) are imported in the functions that use them: `berjasa --help` loads
# this module to list `demo` and must not pay for them (tests/cli/test_startup.py).

KELURAHAN = ["73.71.01.1001", "73.71.13.1001"]
PASSWORD = "berjasa-demo"
ROLES = [("petugas", "enumerator"), ("pengawas", "supervisor"), ("admin", "admin"),
         ("auditor", "auditor"), ("petugas2", "enumerator")]
# Office users at central, one per role (design.md "Central office").
CENTRAL_ROLES = [("operator-kota", "operator"), ("verifikator", "verifier"),
                 ("admin-kota", "admin"), ("auditor-bpkp", "auditor")]
PROBLEMS = ["nik_sex_mismatch", "high_income", "moved_in", "other_kelurahan"]


@dataclass
class Site:
    """One kelurahan laptop of the demo."""

    code: str
    folder: Path
    port: int = 0
    shared_nik: str | None = None
    process: subprocess.Popen | None = None
    notes: list[str] = field(default_factory=list)
    records: list[dict] = field(default_factory=list)


def berjasa(*args: str, stdin: str | None = None) -> str:
    """Run a berjasa command; its last stdout line, or a ClickException."""
    answer = subprocess.run([sys.executable, "-m", "berjasa", *args], input=stdin,
                            capture_output=True, text=True, timeout=300, check=False)
    if answer.returncode != 0:
        raise click.ClickException(f"`berjasa {' '.join(args[:3])}` gagal: "
                                   f"{answer.stderr.strip().splitlines()[-1:] or answer.stdout}")
    lines = answer.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def start(args: list[str], url: str, folder: Path) -> subprocess.Popen:
    """Start a server command and wait until its /health answers; its log lines go
    to ``server.log`` in its data folder."""
    from berjasa.processes import ServerDidNotStart, start_server

    log = folder / LOG_FILE
    try:
        # owner-only like the rest of the folder; the server keeps its own handle
        with open(log, "ab", opener=lambda path, flags: os.open(path, flags, 0o600)) as out:
            return start_server(args, url, stderr=out)
    except ServerDidNotStart as exc:
        raise click.ClickException(f"server tidak berjalan: {exc} (lihat {log})") from exc


LOG_FILE = "server.log"


def seed_kelurahan(site: Site, count: int, approve: int, seed: int) -> None:
    """Users, enrollments (a few with deliberate problems) and some approvals."""
    from berjasa.synthetic import EnrollmentFaker
    from server import accounts, intake, review
    from server.storage.audit import Actor

    berjasa("init", "--kelurahan", site.code, "--data-dir", str(site.folder))
    conn = connect(site.folder / "kelurahan.db")
    settings = load_settings(site.folder)
    for name, role in ROLES:
        accounts.add_user(conn, name, role, PASSWORD, Actor("demo", "admin"))
    faker = EnrollmentFaker(site.code, seed=seed)
    enumerator = Actor("petugas", "enumerator")
    created = []
    for index in range(count):
        record = faker.enrollment()
        if site.shared_nik and index == 0:
            record = faker.enrollment(nik=site.shared_nik["nik"],
                                      birth_date=site.shared_nik["birth_date"],
                                      sex=site.shared_nik["sex"])
        created.append(intake.create_enrollment(conn, record, enumerator, settings).record)
    site.records = created
    for kind in PROBLEMS:
        try:
            intake.create_enrollment(conn, faker.problem_enrollment(kind), enumerator, settings)
        except Problem:  # refused records are the point of the demo: they stay on the phone
            site.notes.append(f"ditolak saat input: {kind}")
    supervisor = Actor("pengawas", "supervisor")
    for record in created[:approve]:
        review.review_enrollment(conn, record["id"], "approve", None, supervisor, settings,
                                 site.code)
    conn.close()


def import_program_data(central_dir: Path, sites: list[Site]) -> None:
    """Synthetic DTSEN extract, BPJS participant list and 2024 cohort (with the
    spreadsheet damage offices see) matching some of the demo's records, imported
    at central before the first sync so arriving records are evaluated against them."""
    from berjasa.paths import tighten
    from berjasa.synthetic import write_program_data

    known = [record for site in sites for record in site.records]
    paths = write_program_data(central_dir / "program", known, seed=7, name_mismatches=3)
    tighten(central_dir / "program")  # inside the owner-only data folder, like its other files
    for kind in ("dtsen", "cohort", "bpjs-participants"):
        berjasa("central", "import", kind, str(paths[kind]), "--data-dir", str(central_dir))


def send_back_one(central_dir: Path, sites: list[Site]) -> list[str]:
    """A verifier sends back the first record whose name differs from DTSEN; its
    kelurahan pulls it as ``needs_fix`` (the supervisor queue and the phone show it)."""
    found = json.loads(berjasa("central", "findings", "--kind", "dtsen_mismatch", "--json",
                               "--data-dir", str(central_dir)))
    if not found:
        return []
    finding = found[-1]  # the latest: the first records also carry the demo's shared NIK
    dtsen_name = next((f["reference"] for f in finding["evidence"]["fields"]
                       if f["field"] == "full_name"), "?")
    berjasa("central", "decide", str(finding["id"]), "--decision", "send_back", "--reason",
            f"Nama berbeda dengan DTSEN ({dtsen_name}); cocokkan dengan KTP", "--by", "verifikator",
            "--data-dir", str(central_dir))
    site = next(s for s in sites if s.code == finding["kelurahan_code"])
    berjasa("sync", "run", "--once", "--data-dir", str(site.folder))
    return [(f"{len(found)} temuan identitas (nama beda dengan DTSEN); 1 dikirim balik ke "
             f"kelurahan {site.code} untuk diperbaiki")]


def demo_ports(port_base: int | None) -> list[int]:
    """Central's port, then one per kelurahan: ``port_base``, +1, +2 when given
    (refused when taken), else 8090, 8080, 8081 or any free port."""
    from berjasa.processes import free_port

    if port_base is None:
        return [free_port(8090)] + [free_port(8080 + i) for i in range(len(KELURAHAN))]
    ports = [port_base + i for i in range(len(KELURAHAN) + 1)]
    for port in ports:
        if port > 65535 or free_port(port) != port:
            raise click.ClickException(f"port {port} sedang dipakai atau tidak sah; "
                                       f"pilih --port-base lain")
    return ports


def run_demo(root: Path, enrollments: int, keep_running: bool = True,
             port_base: int | None = None, as_json: bool = False) -> dict:
    """Build and start the demo city; returns what it printed as a dict (``as_json``:
    also printed as one JSON line, once the servers answer, before it waits). SIGTERM,
    SIGINT (Ctrl+C) and SIGHUP stop every server it started (berjasa.processes)."""
    from berjasa.processes import Stopped, stop_on_signals

    with stop_on_signals():
        try:
            return _run_demo(root, enrollments, keep_running, port_base, as_json)
        except Stopped:
            click.echo("\nMenghentikan demo...", err=True)
            return {}


def _run_demo(root: Path, enrollments: int, keep_running: bool, port_base: int | None,
              as_json: bool = False) -> dict:
    from berjasa.processes import stop_all
    from berjasa.synthetic import EnrollmentFaker

    ports = demo_ports(port_base)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    central_dir = root / "central"
    central_port = ports[0]
    central_url = f"http://127.0.0.1:{central_port}"
    processes: list[subprocess.Popen] = []
    sites = [Site(code, root / f"kelurahan-{code}") for code in KELURAHAN]
    first = EnrollmentFaker(KELURAHAN[0], seed=1).enrollment()
    sites[0].shared_nik = first
    sites[1].shared_nik = first  # the same worker enrolled again in another kelurahan
    try:
        berjasa("central", "init", "--data-dir", str(central_dir))
        add_central_users(central_dir)
        processes.append(start(["central", "serve", "--port", str(central_port), "--data-dir",
                                str(central_dir)], central_url, central_dir))
        for index, site in enumerate(sites):
            seed_kelurahan(site, enrollments, approve=min(20, enrollments // 2), seed=index + 1)
            code = berjasa("central", "device", "add", "--kelurahan", site.code,
                           "--data-dir", str(central_dir))
            berjasa("sync", "register", "--central", central_url, "--code", code,
                    "--data-dir", str(site.folder))
            site.port = ports[index + 1]
            site.process = start(["serve", "--port", str(site.port), "--data-dir",
                                  str(site.folder)], f"http://127.0.0.1:{site.port}", site.folder)
            processes.append(site.process)
        import_program_data(central_dir, sites)
        sync_lines = []
        for site in sites + sites[:1]:  # the first pulls again to hear of the duplicate
            sync_lines.append(f"{site.code}: " + berjasa("sync", "run", "--once", "--data-dir",
                                                         str(site.folder)))
        sync_lines += send_back_one(central_dir, sites)
        summary = describe(central_url, sites, sync_lines, central_dir)
        click.echo(summary["text"], nl=True)
        if as_json:  # the last line while it runs: a script reads it without stopping the demo
            click.echo(json.dumps({k: v for k, v in summary.items() if k != "text"}))
        sys.stdout.flush()
        if keep_running:
            wait_for_interrupt(processes)
        return summary
    finally:
        stop_all(processes)


def add_central_users(central_dir: Path) -> None:
    """One office user per role at central (argon2, audited in central's trail)."""
    from central import accounts as central_accounts
    from central.storage.db import Database
    from server.storage.audit import Actor

    db = Database(f"sqlite:///{central_dir / 'central.db'}")
    try:
        for name, role in CENTRAL_ROLES:
            central_accounts.add_user(db, name, role, PASSWORD, Actor("demo", "admin"))
    finally:
        db.close()


def describe(central_url: str, sites: list[Site], sync_lines: list[str],
             central_dir: Path | None = None) -> dict:
    """The URLs, logins, what the first sync did, and central's data folder with the
    commands of the office's story (import, BPJS registration file, payment list)."""
    labels = ["Registri pusat"] + [f"Kelurahan {reference.kelurahan(s.code).name}" for s in sites]
    width = max(map(len, labels))
    lines = ["", "berjasa demo berjalan (Ctrl+C untuk berhenti)", "",
             f"  {labels[0]:<{width}}  {central_url}/"]
    for label, site in zip(labels[1:], sites):
        lines.append(f"  {label:<{width}}  http://127.0.0.1:{site.port}/   "
                     f"(aplikasi petugas: http://127.0.0.1:{site.port}/app/)")
    lines += ["", f"  Login (semua kata sandi: {PASSWORD}):"]
    lines += [f"    {name:<9} {role}" for name, role in ROLES]
    lines += ["", f"  Login registri pusat {central_url}/login (kata sandi: {PASSWORD}):"]
    lines += [f"    {name:<13} {role}" for name, role in CENTRAL_ROLES]
    lines += ["", "  Sinkronisasi pertama:"] + [f"    {line}" for line in sync_lines]
    if central_dir is not None:
        def quoted(path: Path) -> str:
            return f'"{path}"' if " " in str(path) else str(path)
        folder = quoted(central_dir)
        program = quoted(central_dir / "program")
        dtsen = quoted(central_dir / "program" / "dtsen.csv")
        logs = quoted(central_dir.parent)
        lines += ["", f"  Log setiap server: {LOG_FILE} di folder datanya ({logs})",
                  f"  Data registri pusat: {folder} (berkas program: {program})",
                  f"    berjasa central import dtsen {dtsen} --data-dir {folder}",
                  ("    berjasa central export --what bpjs-registration --format xlsx"
                   f" --output pendaftaran.xlsx --data-dir {folder}"),
                  (f"    berjasa central export --what payment-list --month {local_time.today():%Y-%m}"
                   f" --draft --format xlsx --output iuran.xlsx --data-dir {folder}")]
    return {"text": "\n".join(lines), "central": central_url,
            "kelurahan": {s.code: f"http://127.0.0.1:{s.port}" for s in sites},
            "password": PASSWORD, "users": dict(ROLES), "central_users": dict(CENTRAL_ROLES)}


def wait_for_interrupt(processes: list[subprocess.Popen]) -> None:
    """Sleep until a stop signal (raised as Stopped) or until a server dies."""
    while all(p.poll() is None for p in processes):
        time.sleep(0.5)
    click.echo("Sebuah server berhenti; demo dihentikan.", err=True)


@click.command("demo")
@click.option("--enrollments", default=80, show_default=True, type=click.IntRange(min=0),
              help="Jumlah pendaftaran sintetis per kelurahan.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder tempat demo menyimpan datanya (di <DIR>/demo).")
@click.option("--once", is_flag=True, help="Berhenti setelah sinkronisasi pertama.")
@click.option("--port-base", type=click.IntRange(1, 65533), default=None,
              help="Port registri pusat; kelurahan memakai port berikutnya (bawaan: 8090, 8080, 8081).")
@click.option("--json", "as_json", is_flag=True, help="Cetak juga URL dan login sebagai JSON.")
def demo_command(enrollments: int, data_dir: Path | None, once: bool, port_base: int | None,
                 as_json: bool) -> None:
    """Jalankan registri pusat dan dua server kelurahan berisi data sintetis;
    Ctrl+C (atau SIGTERM) menghentikan semuanya.

    Contoh: berjasa demo --port-base 9000
    """
    from berjasa.paths import resolve_data_dir

    root = resolve_data_dir(data_dir) / "demo"
    run_demo(root, enrollments, keep_running=not once, port_base=port_base, as_json=as_json)
