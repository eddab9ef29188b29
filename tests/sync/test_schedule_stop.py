"""Stopping the scheduled agent (``berjasa sync run``, Ctrl+C) right after it started:
the first run is handed to the scheduler's worker thread at once, and a stop that
came before that thread began the run did not wait for it. The command then released
the data folder and exited while the run started during the interpreter's shutdown,
after the lock that keeps ``restore`` and ``migrate`` away was gone
(tests/cli/test_folder_lock.py's Ctrl+C test failed on it under load). Now a run
handed over is either waited for or, begun after the stop, not run at all."""

from __future__ import annotations

import time

from berjasa.settings import load_settings
from sync.scheduler import SyncSchedule


class _Watched(SyncSchedule):
    """The real schedule, noting when each run begins and ends; its worker thread is
    slow to take up what it is handed (as on a loaded machine)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.moments: list[tuple[str, float]] = []

    def _job(self) -> None:
        time.sleep(0.3)
        super()._job()

    def run(self, trigger: str):
        self.moments.append(("begin", time.monotonic()))
        try:
            return super().run(trigger)
        finally:
            self.moments.append(("end", time.monotonic()))


def test_a_stop_right_after_the_start_leaves_no_run_behind(data_dir):
    for attempt in range(4):
        schedule = _Watched(data_dir, load_settings(data_dir))
        schedule.start()
        time.sleep(0.1 * attempt)  # the stop lands before and after the hand-over
        schedule.shutdown(wait=True)
        stopped = time.monotonic()
        time.sleep(0.6)  # a run handed over but not waited for would begin meanwhile
        assert [kind for kind, at in schedule.moments if at > stopped] == [], (attempt, stopped,
                                                                               schedule.moments)
        assert len(schedule.moments) % 2 == 0 and not schedule.busy.is_set()
