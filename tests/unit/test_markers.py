"""The quick loop leaves out what it says it leaves out: every test in
tests/browser carries ``browser``, every test in tests/reliability carries
``reliability`` and ``slow``, and every test on the PostgreSQL backend carries
``postgres``, whatever the test file declares itself. tests/conftest.py records
each collected test's markers before ``-m`` deselects any, so this check also
covers the tests the quick loop leaves out (it checks the folders that the run
collected: all of them under plain ``pytest`` and the quick loop)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import QUICK_LOOP_TEMPROOT, QUICK_LOOP_TEMPROOT_FREE
from tests.helpers import QUICK_LOOP_WORKERS, is_quick_loop, quick_run

REQUIRED = {"tests/browser/": {"browser"}, "tests/reliability/": {"reliability", "slow"}}


def _markers(config: pytest.Config) -> dict[str, set[str]]:
    return config.berjasa_markers


def test_browser_and_reliability_tests_carry_their_markers(pytestconfig):
    markers = _markers(pytestconfig)
    missing = {test: sorted(needed - markers[test])
               for folder, needed in REQUIRED.items()
               for test in markers if test.startswith(folder) and needed - markers[test]}
    assert missing == {}


def test_tests_on_the_postgresql_backend_carry_postgres(pytestconfig):
    markers = _markers(pytestconfig)
    missing = [test for test, names in markers.items()
               if "postgresql" in test.partition("[")[2] and "postgres" not in names]
    assert missing == []


def test_the_quick_loop_expression_leaves_out_browser_and_reliability_tests(pytestconfig):
    """What ``-m "not browser and not reliability"`` would select holds no test
    of those folders."""
    selected = [test for test, names in _markers(pytestconfig).items()
                if not names & {"browser", "reliability"}]
    assert [t for t in selected if t.startswith(tuple(REQUIRED))] == []


@pytest.mark.parametrize("expression,quick", [
    ("not browser and not reliability", True), ("not (reliability or browser)", True),
    ("not browser and not reliability and not postgres", True),
    ("", False), ("not reliability", False), ("not browser", False), ("browser", False),
    ("not browser or not reliability", False)])
def test_the_quick_loop_is_told_by_what_its_expression_leaves_out(expression, quick):
    assert is_quick_loop(SimpleNamespace(option=SimpleNamespace(markexpr=expression))) is quick


def test_the_quick_loop_runs_on_workers_and_ci_in_one_process(pytestconfig):
    """tests/conftest.py turns pytest-xdist on for the quick loop only (unless -n is given)."""
    workerinput = getattr(pytestconfig, "workerinput", {})
    workers = workerinput.get("workercount")
    if pytestconfig.getoption("numprocesses", None) == 0 or pytestconfig.option.usepdb:
        pytest.skip("one process asked for (-n 0 or --pdb)")
    if workers is not None and not workerinput.get("berjasa_auto_workers"):
        pytest.skip("-n was given")
    if is_quick_loop(pytestconfig):
        assert workers == QUICK_LOOP_WORKERS
        assert pytestconfig.option.loadgroup  # xdist_group tests share a worker
    elif pytestconfig.option.markexpr in ("", None):
        assert workers is None  # plain pytest, as CI runs it


def test_the_quick_loop_keeps_its_folders_in_memory_and_ci_on_disk(tmp_path, pytestconfig):
    """tests/conftest.py (_temporary_folders_in_memory): the quick loop's ``tmp_path``
    is on /dev/shm when the machine has one with room; plain ``pytest`` (CI) keeps
    pytest's own place, the disk."""
    if any(str(arg).startswith("--basetemp") for arg in pytestconfig.invocation_params.args):
        pytest.skip("--basetemp chose the place")
    chosen = os.environ.get("PYTEST_DEBUG_TEMPROOT")
    in_memory = QUICK_LOOP_TEMPROOT in tmp_path.resolve().parents
    if is_quick_loop(pytestconfig):
        if chosen is None:  # no tmpfs here, or too little room left on it
            assert not (QUICK_LOOP_TEMPROOT.is_dir() and os.access(QUICK_LOOP_TEMPROOT, os.W_OK)
                        and shutil.disk_usage(QUICK_LOOP_TEMPROOT).free > QUICK_LOOP_TEMPROOT_FREE)
        else:
            assert Path(chosen).resolve() in tmp_path.resolve().parents
    elif chosen is None:
        assert not in_memory


def _pairs(nodeids: list[str]) -> dict[str, set[str]]:
    """Tests written for both central backends, by their name with the backend left out."""
    pairs: dict[str, set[str]] = {}
    for nodeid in nodeids:
        name, _, params = nodeid.partition("[")
        for backend in ("sqlite", "postgresql"):
            if backend in params.split("-") or params.startswith(f"{backend}]"):
                pairs.setdefault(f"{name}[{params.replace(backend, '*')}", set()).add(backend)
    return pairs


def test_the_quick_loop_runs_a_two_backend_test_on_one_backend_ci_on_both(request):
    """tests/conftest.py (_one_backend_each): in the quick loop each test of both
    backends runs once, about half on each backend; plain ``pytest`` runs both."""
    if request.config.option.keyword or request.config.option.deselect:
        pytest.skip("-k or --deselect chose the tests")
    left_out = {"browser", "reliability", "slow"} if quick_run() else {"browser", "reliability"}
    collected = [t for t, names in _markers(request.config).items()
                 if not names & left_out]  # what the quick loop selects
    running = [item.nodeid for item in request.session.items]
    every = _pairs(collected)
    pairs = {base: backends for base, backends in every.items() if len(backends) == 2}
    ran = _pairs(running)
    # some tests name one backend only: those always run
    assert [base for base, backends in every.items()
            if len(backends) == 1 and ran.get(base) != backends] == []
    if not any(t.startswith("tests/central/") for t in collected):
        pytest.skip("tests/central was not collected")
    assert pairs  # every central test file runs on both backends
    if quick_run():
        assert [base for base in pairs if len(ran.get(base, ())) != 1] == []
        on_postgresql = sum("postgresql" in ran[base] for base in pairs)
        if len(pairs) > 100:  # the whole suite: about a quarter on PostgreSQL
            assert 0.15 < on_postgresql / len(pairs) < 0.35
    elif not request.config.option.markexpr:
        assert [base for base in pairs if ran.get(base) != {"sqlite", "postgresql"}] == []
