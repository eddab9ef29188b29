"""Fixtures shared by every test: a real kelurahan data folder with a SQLite file
on disk, the app, a real HTTP server on 127.0.0.1, users of every role, and an
API client that logs in as one of them."""

from __future__ import annotations

import gc
import os
import shutil
import sys
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from argon2.profiles import CHEAPEST

from berjasa import passwords
from berjasa.background_server import BackgroundServer
from berjasa.cli import declare_settings
from berjasa.database import connect
from berjasa.settings import AppConfig, load_settings
from berjasa.synthetic import EnrollmentFaker
from server import accounts
from server.backup import use_scrypt_parameters
from server.install import init_kelurahan
from server.storage.audit import Actor
from tests.central_databases import (
    MigratedSchemas,
    create_pg_database,
    drop_pg_database,
    migrated_sqlite_template,
    sqlite_copy,
)
from tests.helpers import PASSWORD, QUICK_LOOP_WORKERS, is_quick_loop, quick_run

declare_settings()  # what the `berjasa` entry point does: every part's settings
# Bytecode caches are written even where PYTHONDONTWRITEBYTECODE is set (as on the CI
# machine): without them every `python -m berjasa` subprocess compiles the project
# again (0.2 s of CPU each) and every xdist worker rewrites and compiles every test
# module (10 s of CPU per collection instead of 4.6). __pycache__ is git-ignored.
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
# Users made in this process get argon2's cheapest hashes, so each login costs
# microseconds instead of a quarter second of CPU. Product defaults are untouched:
# ``berjasa`` subprocesses hash as operators' laptops do (tests/cli/test_server_commands.py).
passwords.use_parameters(CHEAPEST)
# The same for the scrypt key of backups made in this process (tests/cli/test_backup_kdf.py
# checks that a ``berjasa backup`` process writes the product's parameters).
use_scrypt_parameters(n=2**10, r=8, p=1)

KELURAHAN = "73.71.01.1001"
ROLES = ("enumerator", "supervisor", "admin", "auditor")
# Where the quick loop's temporary folders go when it has at least this much room
# (tests/conftest.py: _temporary_folders_in_memory).
QUICK_LOOP_TEMPROOT = Path("/dev/shm")
QUICK_LOOP_TEMPROOT_FREE = 2 * 2**30
USERS = [("enumerator", "enumerator"), ("enumerator2", "enumerator"),
         ("supervisor", "supervisor"), ("supervisor2", "supervisor"),
         ("admin", "admin"), ("auditor", "auditor")]


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--slow`` runs the long fault loops."""
    parser.addoption("--slow", action="store_true", help="run long fault-injection loops")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """The quick loop runs on ``QUICK_LOOP_WORKERS`` pytest-xdist workers unless
    ``-n`` is given (``-n 0``: one process) or ``--pdb`` asks for one process. Any
    other run, plain ``pytest`` (CI) above all, stays in one process: the
    reliability tests time their kills and the browser tests their pages, and two
    workers would share the cores under them. Runs before xdist's own hook, which
    then starts the workers; the workers themselves never get here again."""
    if is_quick_loop(config) and not hasattr(config, "workerinput"):
        _temporary_folders_in_memory(config)
    if (getattr(config.option, "numprocesses", 0) is None and is_quick_loop(config)
            and not hasattr(config, "workerinput") and not config.option.usepdb):
        config.option.numprocesses = QUICK_LOOP_WORKERS
        config.berjasa_auto_workers = True  # told to each worker (tests/unit/test_markers.py)
        if config.option.dist == "no":
            # load balancing, but tests marked xdist_group("...") share one worker
            # (tests/unit/test_hint_filter.py builds its 150,000-record filter once)
            config.option.dist = "loadgroup"


def _temporary_folders_in_memory(config: pytest.Config) -> None:
    """The quick loop keeps its ``tmp_path`` folders on the machine's tmpfs
    (``QUICK_LOOP_TEMPROOT``, /dev/shm) where there is one with room: the data
    folders, SQLite files and servers' files of every test. The product fsyncs each
    commit and key file (``PRAGMA synchronous=FULL``, ``write_private``); on a disk
    that others use too that is waiting and kernel time (central's and sync's SQLite
    tests in one process: 21.3 and 21.9 CPU-s on disk, 19.0 and 17.8 here), in
    memory it returns at once. What the tests check does
    not change: a killed process loses nothing either way, and the tests of power-cut
    and disk-full behaviour are reliability tests, which run from the disk like every
    other run (CI's plain ``pytest``). ``--basetemp`` or PYTEST_DEBUG_TEMPROOT
    (pytest's own setting for this root) choose the place themselves."""
    root = QUICK_LOOP_TEMPROOT
    if config.option.basetemp or os.environ.get("PYTEST_DEBUG_TEMPROOT"):
        return
    if not (root.is_dir() and os.access(root, os.W_OK)):
        return
    if shutil.disk_usage(root).free < QUICK_LOOP_TEMPROOT_FREE:
        return  # a quick loop writes about 300 MB, and pytest keeps the last three runs
    os.environ["PYTEST_DEBUG_TEMPROOT"] = str(root)  # read when the first folder is made


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist starts a worker: tell it the quick loop's ``--dist loadgroup`` (a worker
    reads only the command line, where the quick loop does not say it)."""
    node.workerinput["berjasa_loadgroup"] = node.config.option.dist == "loadgroup"
    node.workerinput["berjasa_auto_workers"] = getattr(node.config, "berjasa_auto_workers", False)


def pytest_configure(config: pytest.Config) -> None:
    """A quick-loop worker groups tests by ``xdist_group``. The quick loop (a
    marker expression leaving out the reliability loops) runs property tests with
    fewer examples (tests.helpers.examples); set BERJASA_TEST_QUICK=0 to run them
    all anyway."""
    if getattr(config, "workerinput", {}).get("berjasa_loadgroup"):
        config.option.loadgroup = True  # xdist_group marks keep their tests on one worker
    if "not reliability" in (config.option.markexpr or ""):
        os.environ.setdefault("BERJASA_TEST_QUICK", "1")
    if quick_run():
        sys.addaudithook(_count_process_starts)  # for good: a hook cannot be taken off


# Markers follow the folders, so a new test is marked by where it lives:
# ``pytest -m "not browser and not reliability"`` is the quick loop (README.md, Tests).
FOLDER_MARKERS = {"browser": "browser", "reliability": "reliability"}


def pytest_collection_finish(session: pytest.Session) -> None:
    """Once collected, every object this process holds (the imported product, its
    libraries, the collected tests) lives until the end: ``gc.freeze()`` takes them out
    of the garbage collector's full passes, which otherwise walk them all again
    every few thousand allocations (tests/api in one process: 1.8 CPU-s of garbage
    collection -> 1.3). Objects the tests make are collected as before."""
    gc.collect()
    gc.freeze()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests by folder (browser, reliability), every test that runs on the
    PostgreSQL backend ``postgres``, and the reliability loops also ``slow``."""
    tests_root = Path(__file__).parent
    for item in items:
        try:
            folder = Path(item.path).relative_to(tests_root).parts[0]
        except ValueError:
            continue
        marker = FOLDER_MARKERS.get(folder)
        if marker:
            item.add_marker(marker)
        if folder == "reliability":
            item.add_marker("slow")
        if _uses_postgres(item):
            item.add_marker("postgres")
    # Every collected test's markers before ``-m`` deselects any (tests/unit/test_markers.py).
    config.berjasa_markers = {item.nodeid: {m.name for m in item.iter_markers()}
                              for item in items}
    if quick_run():
        _one_backend_each(config, items)
        _leave_out_slow(config, items)
        _spread_folders(items)


BACKENDS = ("sqlite", "postgresql")


def _one_backend_each(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The quick loop runs a test written for both central backends once: on SQLite
    or on PostgreSQL, chosen by a stable hash of its name, so about one in
    ``POSTGRESQL_SHARE`` of such tests runs on PostgreSQL, the rest on SQLite, and
    every one runs (plain ``pytest``, CI, runs both). A test on PostgreSQL costs about
    three times one on SQLite (its server's CPU: new connections for the app's pool,
    the in-process commands and the test's own), hence the share. A test on one
    backend only always runs. Identical in every xdist worker (the hash is not
    Python's salted one)."""
    pairs: dict[str, dict[str, pytest.Item]] = {}
    for item in items:
        backend = _backend_of(item)
        if backend is not None:
            name, _, params = item.nodeid.partition("[")
            pairs.setdefault(f"{name}[{params.replace(backend, '*')}", {})[backend] = item
    dropped = {id(pair[backend]) for base, pair in pairs.items() if len(pair) == 2
               for backend in BACKENDS if backend != _quick_backend(base)}
    if dropped:
        config.hook.pytest_deselected(items=[i for i in items if id(i) in dropped])
        items[:] = [i for i in items if id(i) not in dropped]


# The quick loop runs one two-backend test in this many on PostgreSQL (CI: all of them).
POSTGRESQL_SHARE = 4


def _quick_backend(base: str) -> str:
    """The backend the quick loop runs the two-backend test ``base`` on."""
    return "postgresql" if zlib.crc32(base.encode()) % POSTGRESQL_SHARE == 0 else "sqlite"


def _leave_out_slow(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The quick loop runs in this process only: it leaves out the tests marked
    ``slow``, those that start a process (the ``berjasa`` command as a real process,
    its servers, the demo, node, ruff, lint-imports, pg_dump) and the long loops; CI's
    plain ``pytest`` runs them, as does ``pytest -m "slow and not reliability"``. A
    ``-m`` expression that names ``slow`` itself decides alone. A quick-loop test that starts a process
    without the mark fails (``pytest_runtest_makereport`` below)."""
    if "slow" in (config.option.markexpr or ""):
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        left_out = set(map(id, slow))
        items[:] = [item for item in items if id(item) not in left_out]


# Audit events (PEP 578) of a process being started: subprocess, fork, spawn, exec.
PROCESS_EVENTS = frozenset({"subprocess.Popen", "os.fork", "os.forkpty", "os.posix_spawn",
                            "os.spawn", "os.system", "os.exec", "pty.spawn"})
_STARTED = pytest.StashKey[int]()
_processes_started = [0]


def _count_process_starts(event: str, _args: tuple) -> None:
    if event in PROCESS_EVENTS:
        _processes_started[0] += 1


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if quick_run():
        item.stash[_STARTED] = _processes_started[0]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """In the quick loop, a test that started a process (an audit event of
    ``PROCESS_EVENTS`` between its setup and its teardown, in any thread) and is
    not marked ``slow`` fails: the quick loop stays in-process (``_leave_out_slow``).
    Helper processes of ``multiprocessing``'s spawn raise no event: their tests
    are marked by hand."""
    outcome = yield
    report = outcome.get_result()
    before = item.stash.get(_STARTED, None)
    if call.when != "teardown" or before is None or report.failed:
        return
    if _processes_started[0] > before and not item.get_closest_marker("slow"):
        report.outcome = "failed"
        report.longrepr = (f"{item.nodeid} started a process: mark it "
                           "@pytest.mark.slow (the quick loop runs in-process only)")


def _spread_folders(items: list[pytest.Item]) -> None:
    """The quick loop runs each folder's modules spread evenly over the run, not one
    folder after the other: tests/sync's tests wait (on central's long polls, the
    scheduler, stalled uploads) and tests/cli's start processes, and a folder at a
    time left both cores idle for seconds while every worker waited at once. A
    module keeps its tests together and in order; the order is the same in every
    xdist worker (it depends on the module names only)."""
    tests_root = Path(__file__).parent
    modules: dict[str, dict[Path, int]] = {}
    for item in items:
        path = Path(item.path)
        folder = path.parent.name if tests_root not in path.parents else \
            path.relative_to(tests_root).parts[0]
        modules.setdefault(folder, {}).setdefault(path, 0)
    place: dict[Path, tuple[float, str]] = {}
    for folder, paths in modules.items():
        for index, path in enumerate(sorted(paths)):
            place[path] = ((index + 0.5) / len(paths), str(path))
    items.sort(key=lambda item: place[Path(item.path)])  # stable: a module's own order


def _backend_of(item: pytest.Item) -> str | None:
    """``sqlite`` or ``postgresql`` when a parameter of the test picks the backend."""
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return None
    values = [v for v in callspec.params.values() if isinstance(v, str) and v in BACKENDS]
    return values[0] if len(values) == 1 else None


def _uses_postgres(item: pytest.Item) -> bool:
    """True when the test runs on PostgreSQL: a "postgresql" parameter
    (the central ``database_url`` fixture, the reliability ``world``) or the
    ``pg_database`` fixture."""
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "postgresql" in callspec.params.values():
        return True
    return "pg_database" in getattr(item, "fixturenames", ())


@pytest.fixture(scope="session")
def _template_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One initialised data folder with users, made once: argon2 hashing is slow
    on purpose, so tests copy this folder instead of hashing again."""
    folder = tmp_path_factory.mktemp("template") / "kelurahan"
    init_kelurahan(folder, KELURAHAN)
    conn = connect(folder / "kelurahan.db")
    for name, role in USERS:
        accounts.add_user(conn, name, role, PASSWORD, Actor("test", "admin"))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return folder


@pytest.fixture
def data_dir(tmp_path: Path, _template_data_dir: Path) -> Path:
    """A kelurahan data folder after ``berjasa init``, with one user per role
    (``enumerator``, ``enumerator2``, ``supervisor``, ``supervisor2``, ``admin``, ``auditor``)."""
    return _kelurahan_folder(tmp_path, _template_data_dir)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Settings a test module wants changed (override this fixture)."""
    return {}


@pytest.fixture
def app(data_dir: Path, settings_overrides: dict[str, Any]):
    """The kelurahan Flask app on the data folder."""
    return _kelurahan_app(data_dir, settings_overrides)


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The app served by waitress on 127.0.0.1 (a free port); yields its base URL."""
    with _served(app) as url:
        yield url


def _kelurahan_folder(parent: Path, template: Path) -> Path:
    """A copy of the initialised data folder (``_template_data_dir``) in ``parent``."""
    folder = parent / "kelurahan"
    shutil.copytree(template, folder)
    return folder


def _kelurahan_app(folder: Path, overrides: dict[str, Any]):
    """The kelurahan Flask app on ``folder`` with settings ``overrides``."""
    from server.app import create_app

    return create_app(AppConfig(folder, load_settings(folder, overrides), testing=True))


@contextmanager
def _served(app) -> Iterator[str]:
    """``app`` served by waitress on 127.0.0.1 (a free port): its base URL."""
    server = BackgroundServer(app, threads=8).start()
    try:
        yield server.url
    finally:
        server.stop()


class ApiClient:
    """requests against the live server, logged in as one user."""

    def __init__(self, base: str, username: str | None = None) -> None:
        self.base = base
        self.session = requests.Session()
        # always 127.0.0.1: no proxy lookup in the environment on every request
        self.session.trust_env = False
        self.username = username
        if username:
            answer = self.session.post(f"{base}/api/v1/auth/token",
                                       json={"username": username, "password": PASSWORD})
            assert answer.status_code == 200, answer.text
            self.session.headers["Authorization"] = f"Bearer {answer.json()['token']}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Any request to a path of the server."""
        kwargs.setdefault("timeout", 60)
        return self.session.request(method, self.base + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)


@pytest.fixture
def api(live_server: str):
    """``api("enumerator")`` is a client logged in as that user; ``api()`` is anonymous."""
    return lambda username=None: ApiClient(live_server, username)


@pytest.fixture(scope="module")
def module_data_dir(tmp_path_factory: pytest.TempPathFactory, _template_data_dir: Path) -> Path:
    """A data folder like ``data_dir`` shared by one module's tests that store nothing
    in it (refusals) or only read what the module's own fixture stored once: such a
    test still asserts that what it relies on is unchanged. Building an app costs
    ~15 ms of CPU (werkzeug compiling its URL builders); a test that writes keeps
    ``data_dir``/``live_server``/``api`` of its own."""
    return _kelurahan_folder(tmp_path_factory.mktemp("module"), _template_data_dir)


@pytest.fixture(scope="module")
def module_live_server(module_data_dir: Path) -> Iterator[str]:
    """The app on ``module_data_dir`` (default settings), served like ``live_server``."""
    with _served(_kelurahan_app(module_data_dir, {})) as url:
        yield url


@pytest.fixture
def module_api(module_live_server: str):
    """``api`` on the module's shared server (a new login per call, as ``api``)."""
    return lambda username=None: ApiClient(module_live_server, username)


@pytest.fixture
def records() -> EnrollmentFaker:
    """Synthetic valid enrollments for the test kelurahan."""
    return EnrollmentFaker(KELURAHAN, seed=7)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """``berjasa_test_<random>`` on the local PostgreSQL, dropped at the end: one
    per process for central's and sync's tests (a drop costs PostgreSQL a
    checkpoint, 0.5-2 s)."""
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture(scope="session")
def migrated_schemas(pg_database: str) -> MigratedSchemas:
    """This process's migrated PostgreSQL schemas, reused between tests."""
    return MigratedSchemas(pg_database)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A central SQLite file with every migration applied, to copy."""
    return migrated_sqlite_template(tmp_path_factory.mktemp("central-template"))


@pytest.fixture
def migrated_databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """``migrated_databases(backend)``: a central database URL ("sqlite": the file
    ``central.db`` of the test's folder; "postgresql": a schema of the folder's
    ``migrated_schemas``) as a fresh ``central migrate`` leaves it. Schemas go back
    after the test, so fixtures using them close their connections first
    (tests/central_databases.py)."""
    taken: list[tuple[Any, str]] = []

    def migrated(backend: str) -> str:
        if backend == "sqlite":
            return sqlite_copy(request.getfixturevalue("migrated_sqlite"), tmp_path / "central.db")
        schemas = request.getfixturevalue("migrated_schemas")
        taken.append((schemas, schemas.take()))
        return taken[-1][1]

    yield migrated
    for schemas, url in taken:
        schemas.give_back(url)
