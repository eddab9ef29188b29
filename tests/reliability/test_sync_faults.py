"""Exactly-once under faults: kill -9 the agent (at named crash points and at
random moments) and central (a process, killed and restarted mid-run), cut the
link mid-upload and mid-answer, drop answers after central committed, duplicate
and reorder requests, answer 500/503. After recovery every approved record is at
central exactly once and every kelurahan record shows central's decision.

Runs on both central backends. The random campaign goes on until central and
the agent have each taken 8 kills that landed (50 with ``--slow``, issue 13);
after every kill: PRAGMA integrity_check (PostgreSQL: amcheck), both audit
trails, nothing twice at central. It prints the figures (kills per target,
integrity failures, records lost and doubled).
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import random
import sys
import threading
import time
from pathlib import Path

import pytest

from berjasa.database import connect
from central.storage.db import Database
from server.storage.audit import verify_chain
from sync.agent import run_once
from tests.central_databases import create_pg_database, drop_pg_database

_HERE = Path(__file__).resolve().parent


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"sync_{name}", _HERE / f"{name}.py")
    module = sys.modules.setdefault(f"sync_{name}", importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)
    return module


h = _load("harness")
proxy_module = _load("faulty_proxy")

A, B = "73.71.01.1001", "73.71.02.1001"
CRASH_POINTS = ("after_build", "mid_upload", "after_answer", "after_store", "mid_pull")
AGENT_ENV = {"BERJASA_SYNC_BATCH_SIZE": "8", "BERJASA_SYNC_PARALLEL_REQUESTS": "3",
             "BERJASA_SYNC_REQUEST_RETRIES": "1"}


@pytest.fixture(scope="module")
def pg_base():
    """A throw-away PostgreSQL database for this module."""
    url = create_pg_database()
    yield url
    drop_pg_database(url)


@pytest.fixture
def world(request, tmp_path):
    """Central as a killable process, a faulty proxy in front of it, kelurahan B's
    records already at central, and kelurahan A registered."""
    backend = request.param
    pg = request.getfixturevalue("pg_base") if backend == "postgresql" else None
    central = h.central_process(h.database_urls(backend, tmp_path, pg), tmp_path / "central")
    proxy = proxy_module.FaultyProxy(central.port, seed=hash(backend) & 0xFFFF)
    other = h.make_kelurahan(tmp_path / "kel-b", B)
    central.register(other)
    h.seed_approved(other, 6, seed=99)
    assert run_once(other, h.agent_settings(other), "test").ok
    kelurahan = h.make_kelurahan(tmp_path / "kel-a", A)
    central.register(kelurahan)
    yield central, proxy, kelurahan, other
    proxy.close()
    central.kill()


def _add_work(kelurahan: Path, other: Path, rng: random.Random, step: int) -> None:
    """New approved records, now and then one whose NIK kelurahan B already holds."""
    h.seed_approved(kelurahan, rng.randint(8, 24), seed=1000 + step)
    if rng.random() < 0.4:
        taken = h.kelurahan_rows(other, "SELECT nik, birth_date, sex FROM enrollments")
        mine = {r["nik"] for r in h.kelurahan_rows(kelurahan, "SELECT nik FROM enrollments")}
        free = [t for t in taken if t["nik"] not in mine]
        if free:
            h.seed_approved(kelurahan, 1, seed=5000 + step, **rng.choice(free))


def _wait_lease_free(kelurahan: Path) -> None:
    """A killed run's lease expires after sync_lease_seconds; wait for it, so the
    next run really runs (and reaches its kill point) instead of answering busy."""
    deadline = time.time() + 10
    while time.time() < deadline and h.kelurahan_rows(
            kelurahan, "SELECT 1 FROM sync_lease WHERE expires_at > ?", (time.time(),)):
        time.sleep(0.2)


class _CentralKill:
    """kill -9 central while the run talks to it: at the run's n-th request (1-3),
    before the proxy forwards it or a moment after (while central stores it). A
    kill at a random time from the run's start had missed most runs on a fast
    machine, which finished before it (6 of 37 landed). ``finish()`` after the run:
    a run with fewer requests has central killed then (a kill that did not land)."""

    def __init__(self, central, proxy, rng: random.Random) -> None:
        self.central, self.proxy = central, proxy
        self.nth = rng.randint(1, 3)
        self.delay = 0.0 if rng.random() < 0.5 else rng.uniform(0.0, 0.15)
        self.seen = itertools.count(1)
        self.timer: threading.Timer | None = None
        proxy.on_request = self._request

    def _request(self, _request: bytes) -> None:
        if next(self.seen) != self.nth:
            return
        if self.delay:
            self.timer = threading.Timer(self.delay, self.central.kill)
            self.timer.start()
        else:
            self.central.kill()

    def finish(self) -> None:
        self.proxy.on_request = None
        if self.timer is not None:
            self.timer.join()
        self.central.kill()  # no-op when it is dead already


def _fault_run(central, proxy, kelurahan: Path, rng: random.Random, kind: str | None = None) -> str:
    """One agent run through the proxy with one kind of kill; what was done."""
    _wait_lease_free(kelurahan)
    kind = kind or rng.choice(["crash_point", "kill_agent", "kill_central", "link"])
    crash = None
    if kind in ("crash_point", "link"):
        # Link faults come with a crash point too: every round is a kill point.
        crash = f"{rng.choice(CRASH_POINTS)}:{rng.randint(1, 2)}"
    proxy.configure(0.35 if kind == "link" else 0.1)
    killer = _CentralKill(central, proxy, rng) if kind == "kill_central" else None
    agent = h.agent_process(kelurahan, crash_at=crash, central_url=proxy.url, extra_env=AGENT_ENV)
    if kind == "kill_agent":
        time.sleep(rng.uniform(0.2, 1.2))
        agent.kill()
    try:
        agent.wait(90)
    finally:
        if agent.poll() is None:
            agent.kill()
        agent.communicate(timeout=30)
    if killer is not None:
        killer.finish()
        central.start()
    return f"{kind}:{crash or ''}:rc={agent.returncode}"


def _recover(central, proxy, kelurahan: Path) -> None:
    """Clean link, central up: run until nothing waits (a killed run's lease
    must expire first, so a few runs may answer busy)."""
    proxy.configure(0.0)
    settings = h.agent_settings(kelurahan, sync_central_url=proxy.url)
    for _ in range(20):
        report = run_once(kelurahan, settings, "test")
        if report.ok and report.pending == 0:
            # One more run pulls whatever the last one's decisions produced.
            assert run_once(kelurahan, settings, "test").ok
            return
        time.sleep(1.0)
    pytest.fail(f"did not recover: {report}")


def _check_exactly_once(central, kelurahan: Path) -> dict[str, int]:
    """Every approved record is at central once, with central's decision here."""
    local = {r["id"]: r for r in h.kelurahan_rows(kelurahan, "SELECT * FROM enrollments")}
    held = h.held_at_central(central, A)
    lost = sorted(set(local) - set(held))
    doubled = sum(len(v) - 1 for v in held.values())
    assert not lost, f"{len(lost)} records missing at central"
    assert set(held) == set(local), "central has a record this kelurahan never sent"
    assert doubled == 0, "a record is held twice at central"
    expected = {"accepted": "synced", "duplicate": "central_rejected", "rejected": "central_rejected"}
    for record_id, (central_status,) in held.items():
        assert local[record_id]["status"] == expected[central_status], (record_id, central_status)
        assert local[record_id]["central_status"] == central_status
    accepted_updates = central.query("SELECT count(*) AS n FROM updates WHERE kelurahan_code = ?"
                                     " AND kind = 'accepted'", (A,))[0]["n"]
    accepted = sum(1 for v in held.values() if v == ["accepted"])
    assert accepted_updates == accepted, "central ingested a record twice"
    leftovers = h.kelurahan_rows(kelurahan, "SELECT count(*) AS n FROM sync_outbox")[0]["n"]
    unanswered = h.kelurahan_rows(kelurahan, "SELECT count(*) AS n FROM sync_batches"
                                  " WHERE state = 'pending'")[0]["n"]
    assert (leftovers, unanswered) == (0, 0)
    conn = connect(kelurahan / "kelurahan.db")
    try:
        assert verify_chain(conn)[1] is None
    finally:
        conn.close()
    return {"records": len(held), "accepted": accepted, "rejected": len(held) - accepted,
            "lost": len(lost), "doubled": doubled}


def _amcheck_problems(database_url: str) -> list[str]:
    """PostgreSQL's amcheck over central's schema: every B-tree index against its
    table (``bt_index_check`` with ``heapallindexed``) and every table's pages
    (``verify_heapam``); the problems found, [] when none."""
    import psycopg

    problems = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS amcheck SCHEMA public")
        indexes = conn.execute(
            "SELECT c.oid, c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am a ON a.oid = c.relam"
            " WHERE n.nspname = current_schema() AND a.amname = 'btree' AND i.indisvalid"
            " AND c.relpersistence = 'p'").fetchall()
        tables = conn.execute(
            "SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND c.relkind = 'r'").fetchall()
        assert indexes and tables, "amcheck found nothing to check in central's schema"
        for oid, name in indexes:
            try:
                conn.execute("SELECT public.bt_index_check(%s::regclass, true)", (oid,))
            except psycopg.Error as exc:
                problems.append(f"index {name}: {exc}")
        for oid, name in tables:
            for row in conn.execute("SELECT blkno, offnum, msg FROM public.verify_heapam(%s::regclass)",
                                    (oid,)).fetchall():
                problems.append(f"table {name}: {row}")
    return problems


def _integrity_problem(central, kelurahan: Path) -> str | None:
    """After a kill: PRAGMA integrity_check of the kelurahan register, its audit
    chain with its seals; central's file (PRAGMA integrity_check on SQLite,
    amcheck on PostgreSQL) and central's audit trail; no record twice at central.
    None when all hold."""
    import sqlite3

    from central.trail import verify as verify_central_trail

    conn = connect(kelurahan / "kelurahan.db")
    try:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            return "kelurahan integrity_check"
        _, broken = verify_chain(conn)
        if broken:
            return f"kelurahan audit: {broken}"
    finally:
        conn.close()
    if central.database_url.startswith("sqlite:///"):
        db = sqlite3.connect(central.database_url[len("sqlite:///"):])
        try:
            if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                return "central integrity_check"
        finally:
            db.close()
    else:
        problems = _amcheck_problems(central.database_url)
        if problems:
            return f"central amcheck: {problems[:3]}"
    db = Database(central.database_url, data_dir=central.data_dir)
    try:
        _, broken = verify_central_trail(db)
    finally:
        db.close()
    if broken:
        return f"central audit: {broken}"
    if any(len(v) > 1 for v in h.held_at_central(central, A).values()):
        return "a record twice at central"
    return None


def _landed(run: str) -> bool:
    """A kill "lands" when the agent died by it (SIGKILL: 137 from the shell's
    view, -9 from Popen's) or, for a kill of central, noticed central dying."""
    if run.startswith("kill_central"):
        return not run.endswith("rc=0")
    return run.endswith(("rc=137", "rc=-9"))


@pytest.mark.timeout(7200)  # --slow: 50 kills of each target, about 120 rounds per backend
@pytest.mark.parametrize("world", ["sqlite", "postgresql"], indirect=True)
def test_random_kills_and_link_faults_leave_every_record_at_central_exactly_once(world, request):
    central, proxy, kelurahan, other = world
    slow = request.config.getoption("--slow")
    kills_per_target = 50 if slow else 8  # issue 13: >= 50 with --slow, >= 8 in CI
    rng = random.Random(20251006 + kills_per_target)
    done: list[str] = []
    integrity_failures = []
    landed = {"central": 0, "agent": 0}
    step = 0
    # Rounds go on until each target has taken kills_per_target kills that landed
    # (an agent may finish before its crash point or the random moment: a faster
    # agent lets more kills of central miss, 7 of 22 landed in one CI run, so up to
    # 6 rounds per kill needed are allowed before the campaign counts as too short).
    while min(landed.values()) < kills_per_target and step < 6 * kills_per_target:
        _add_work(kelurahan, other, rng, step)
        # central and the agent take turns (the agent: a crash point, a SIGKILL
        # from outside, or link faults with a crash point); a target that has its
        # kills already gives its turn to the other
        turn = "central" if step % 2 else "agent"
        if landed[turn] >= kills_per_target:
            turn = "agent" if turn == "central" else "central"
        kind = "kill_central" if turn == "central" else rng.choice(["crash_point", "kill_agent", "link"])
        done.append(_fault_run(central, proxy, kelurahan, rng, kind))
        landed[turn] += _landed(done[-1])
        step += 1
        # after every kill: both files, both audit trails, nothing twice at central
        problem = _integrity_problem(central, kelurahan)
        if problem:
            integrity_failures.append((step, problem))
    _recover(central, proxy, kelurahan)
    summary = _check_exactly_once(central, kelurahan)
    assert summary["rejected"] >= 1 and summary["accepted"] >= 20
    per_target = {
        target: {"rounds": len(runs), "landed": sum(map(_landed, runs))}
        for target, runs in (("central", [r for r in done if r.startswith("kill_central")]),
                             ("agent", [r for r in done if not r.startswith("kill_central")]))}
    figures = {"backend": request.node.callspec.params["world"], "per_target": per_target,
               "integrity_failures": integrity_failures, **summary,
               "proxy_faults": proxy.counts}
    print("\nsync crash campaign: " + json.dumps(figures))
    print(json.dumps({"runs": done}))
    assert integrity_failures == []
    assert min(landed.values()) >= kills_per_target, per_target


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_each_crash_point_then_recovery(world):
    central, proxy, kelurahan, other = world
    rng = random.Random(7)
    for step, point in enumerate(CRASH_POINTS):
        _add_work(kelurahan, other, rng, 200 + step)
        if point == "mid_pull":
            h.seed_approved(kelurahan, 1, seed=7000, **h.kelurahan_rows(
                other, "SELECT nik, birth_date, sex FROM enrollments LIMIT 1 OFFSET ?", (step,))[0])
        agent = h.agent_process(kelurahan, crash_at=point, central_url=central.url, extra_env=AGENT_ENV)
        agent.communicate(timeout=90)
        assert agent.returncode == 137, point
        time.sleep(3.2)  # the killed run's lease expires
    _recover(central, proxy, kelurahan)
    _check_exactly_once(central, kelurahan)


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_two_agents_at_once_never_double_send(world):
    central, proxy, kelurahan, _other = world
    h.seed_approved(kelurahan, 40, seed=77)
    agents = [h.agent_process(kelurahan, central_url=central.url, extra_env=AGENT_ENV) for _ in range(3)]
    threads = [threading.Thread(target=a.communicate, kwargs={"timeout": 90}) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _recover(central, proxy, kelurahan)
    _check_exactly_once(central, kelurahan)
