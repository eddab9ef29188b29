"""A run near its deadline (sync.run_state.RunState): a new batch starts only when
the time left covers what a batch has taken in this run, and a batch out of time
after the run moved records waits for the next run instead of failing the run (the
schedule then follows at once, not after a back-off). A run that got no answer at
all still fails: a hung central must end `sync run --once` non-zero."""

from __future__ import annotations

import time

from sync.run_state import RunState
from sync.transport import CentralClient

SETTINGS = {"sync_connect_timeout_seconds": 1.0, "sync_read_timeout_seconds": 1.0,
            "sync_ca_bundle": "", "sync_request_retries": 2}


def _run(tmp_path, seconds_left: float) -> RunState:
    client = CentralClient("http://127.0.0.1:9", SETTINGS, time.monotonic() + seconds_left)
    return RunState(tmp_path / "kelurahan.db", client, SETTINGS)


def test_before_any_answer_a_batch_may_start_while_time_is_left(tmp_path):
    assert _run(tmp_path, 100).can_start_batch()
    assert not _run(tmp_path, -1).can_start_batch()


def test_the_median_batch_time_decides(tmp_path):
    short = _run(tmp_path, 25)
    for seconds in (10.0, 20.0, 30.0):
        short.answered_after(seconds)
    assert short.can_start_batch()             # 25 s left > median 20 s
    tight = _run(tmp_path, 15)
    for seconds in (10.0, 20.0, 30.0):
        tight.answered_after(seconds)
    assert not tight.can_start_batch()         # 15 s left < median 20 s
    assert tight.can_start()                   # other requests (the pull) still may


def test_out_of_time_after_answers_is_not_a_failure_but_without_answers_it_is(tmp_path):
    hung = _run(tmp_path, 0)
    assert not hung.stopped_by_deadline()      # no answer at all: the run fails
    moved = _run(tmp_path, 0)
    moved.answered_after(12.0)
    assert moved.stopped_by_deadline()
    moved.fail("fatal", stop=True)
    assert not moved.stopped_by_deadline()     # a stopped run keeps its error


def test_the_scheduled_agent_has_the_longer_budget_and_never_a_shorter_one():
    from sync.scheduler import scheduled_settings

    base = {"sync_run_seconds": 40.0, "sync_scheduled_run_seconds": 600.0, "sync_batch_size": 500}
    assert scheduled_settings(base) == {**base, "sync_run_seconds": 600.0}
    assert scheduled_settings({**base, "sync_run_seconds": 900.0})["sync_run_seconds"] == 900.0
    assert base["sync_run_seconds"] == 40.0    # --once and "sync now" keep theirs


def test_the_retry_and_backoff_jitter_leave_the_global_random_state_alone(tmp_path):
    """The agent's threads may outlive the call that started them; their jitter has
    its own generator, so a seeded ``random`` elsewhere in the process is not moved."""
    import random

    from sync.scheduler import backoff_seconds

    random.seed(1234)
    state = random.getstate()
    run = _run(tmp_path, 100)
    run.stop.set()  # pause() then returns at once, after drawing its jitter
    assert run.pause(0) is False
    settings = {"sync_backoff_base_seconds": 30.0, "sync_backoff_max_seconds": 600.0}
    assert 15 <= backoff_seconds(1, settings) <= 30
    assert random.getstate() == state
