"""The scheduled agent (``berjasa sync run`` without ``--once``) and "sync now".

An APScheduler interval job runs :func:`sync.agent.run_once` every
``sync_interval_minutes``. After a failed run the next one waits an exponential
back-off with jitter (``sync_backoff_base_seconds`` doubling per consecutive
failure up to ``sync_backoff_max_seconds``): 153 laptops must not hammer a
central that just came back. A run that stopped at its deadline with work left
is followed at once. ``trigger_now`` starts a run outside the schedule (the
supervisor's button, the CLI); the run lease keeps it from overlapping another.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from sync.agent import SyncReport, run_once
from sync.retention import purge_if_due
from sync.run_state import JITTER

log = logging.getLogger("berjasa.sync")
JOB_ID = "berjasa-sync"


def backoff_seconds(failures: int, settings: dict[str, Any], rng: random.Random | None = None) -> float:
    """Wait before the next run after ``failures`` consecutive failed runs
    ("full jitter": uniform between half and all of the capped exponential)."""
    if failures <= 0:
        return 0.0
    base = float(settings["sync_backoff_base_seconds"])
    cap = float(settings["sync_backoff_max_seconds"])
    ceiling = min(cap, base * 2 ** (failures - 1))
    return (rng or JITTER).uniform(ceiling / 2, ceiling)


def scheduled_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The scheduled agent's run budget: ``sync_scheduled_run_seconds`` (nobody waits
    at a prompt for it; a backlog on a slow link moves in one run, not in 40-second
    runs that each ramp up and leave the link idle while they drain)."""
    longest = max(float(settings["sync_run_seconds"]), float(settings["sync_scheduled_run_seconds"]))
    return {**settings, "sync_run_seconds": longest}


class SyncSchedule:
    """Runs the agent on its interval, backing off after failures."""

    def __init__(self, data_dir: Path, settings: dict[str, Any],
                 on_report: Callable[[SyncReport], None] | None = None) -> None:
        self.data_dir = data_dir
        self.settings = settings
        self.failures = 0
        self.on_report = on_report
        # the scheduler's worker thread, kept to wait out a run handed over to it
        self.worker = ThreadPoolExecutor(max_workers=1)
        self.scheduler = BackgroundScheduler(timezone=timezone.utc,
                                             executors={"default": self.worker})
        self._lock = threading.Lock()
        self.busy = threading.Event()  # set while a scheduled run is going
        self._stopping = threading.Event()

    def start(self) -> None:
        """Schedule the first run now and keep going, in the scheduler's thread."""
        self.scheduler.add_job(self._job, "date", run_date=datetime.now(timezone.utc), id=JOB_ID,
                               max_instances=1, misfire_grace_time=None, coalesce=True)
        self.scheduler.start()

    def _job(self) -> None:
        """One run (and the daily retention purge), then schedule the next one
        (interval, back-off or at once). None once stopping: a run handed over to the
        worker just before the stop, and begun after it, is not run."""
        if self._stopping.is_set():
            return
        self.busy.set()
        try:
            report = self.run("schedule")
            purge_if_due(self.data_dir, self.settings)
        finally:
            self.busy.clear()
        if report.ok:
            delay = 1.0 if report.pending and report.records_sent else \
                60.0 * float(self.settings["sync_interval_minutes"])
        else:
            delay = max(backoff_seconds(self.failures, self.settings),
                        5.0 if report.result == "busy" else 0.0)
        if self._stopping.is_set():
            return  # stopped meanwhile: no next run
        log.info("next sync run in %.0f s", delay)
        self.scheduler.add_job(self._job, "date", id=JOB_ID, replace_existing=True,
                               run_date=datetime.now(timezone.utc) + timedelta(seconds=delay),
                               max_instances=1, misfire_grace_time=None)

    def run(self, trigger: str) -> SyncReport:
        """One run now, in this thread; keeps the failure count for back-off."""
        report = run_once(self.data_dir, scheduled_settings(self.settings), trigger)
        with self._lock:
            self.failures = 0 if report.ok else self.failures + 1
        if self.on_report:
            self.on_report(report)
        return report

    def wait(self) -> None:
        """Block until the scheduler stops, in one-second sleeps: Ctrl+C interrupts
        ``time.sleep`` on Windows too, where a scheduler's long ``Event.wait`` (as
        APScheduler's BlockingScheduler waits) is not interrupted before Python 3.14:
        `sync run` had ignored Ctrl+C until its next run, minutes away."""
        while self.scheduler.running:
            time.sleep(1.0)

    def shutdown(self, wait: bool = False) -> None:
        """Stop scheduling; a run in progress finishes (``wait``: before this returns,
        in short sleeps that Ctrl+C interrupts; not APScheduler's own wait, which holds
        the lock the finishing run needs to schedule the next one)."""
        self._stopping.set()
        if self.scheduler.running:
            # APScheduler marks itself stopped before it takes its job-store lock, and
            # its thread, if it is just then handing a run over, fails to remove the
            # finished job ("No job by the id", a traceback on Ctrl+C): paused, it hands
            # over nothing more, and get_jobs (which takes that lock) waits out a
            # hand-over in progress
            self.scheduler.pause()
            self.scheduler.get_jobs()
            self.scheduler.shutdown(wait=False)
        if not wait:
            return
        # ``busy`` is set by the run itself: a run handed over to the worker thread a
        # moment before the stop may not have begun yet, and the command would then
        # release the data folder and exit while it starts. The worker drains what it
        # was handed (a run begun after the stop returns at once: _job).
        drained = threading.Thread(target=self.worker.shutdown, kwargs={"wait": True},
                                   name="sync-stop", daemon=True)
        drained.start()
        while drained.is_alive() or self.busy.is_set():
            time.sleep(0.2)


def trigger_now(data_dir: Path, settings: dict[str, Any], trigger: str = "supervisor") -> threading.Thread:
    """Start one run in a background thread ("sync now"); the lease makes a
    second click while a run is going a no-op recorded as ``busy``."""
    thread = threading.Thread(target=run_once, args=(data_dir, settings, trigger),
                              name="sync-now", daemon=True)
    thread.start()
    return thread
