"""What the threads of one sync run share: the report being filled in, the stop
flag, one SQLite connection per thread, and the retry pause."""

from __future__ import annotations

import random
import statistics
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from berjasa.database import connect
from sync.transport import CentralClient

# The agent's own generator for jitter (retry pauses here, the schedule's back-off):
# its threads never move the process's global ``random`` state (which an
# application or a test may have seeded).
JITTER = random.Random()


@dataclass
class SyncReport:
    """What one run did; ``ok`` is False when it ended on an error."""

    ok: bool = True
    result: str = "ok"
    batches_sent: int = 0
    records_sent: int = 0
    accepted: int = 0
    central_rejected: int = 0
    updates_applied: int = 0
    erasures_sent: int = 0
    pending: int = 0
    # records central holds that this laptop does not (sync_central_only): a laptop
    # restored from an older backup; `berjasa sync recover` takes them back
    central_only: int = 0
    # the backup's time when the register was restored and not yet recovered
    restored_from_backup: str | None = None
    bytes_up: int = 0
    bytes_down: int = 0
    seconds: float = 0.0
    error: str | None = None
    attempt_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values."""
        return asdict(self)


class RunState:
    """Counters, the first error and the stop flag of one run, shared by threads."""

    def __init__(self, db_path: Path, client: CentralClient, settings: dict[str, Any]) -> None:
        self.db_path = db_path
        self.client = client
        self.retries = int(settings["sync_request_retries"])
        self.report = SyncReport()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.local = threading.local()
        self.connections: list[Any] = []
        self.batch_seconds: list[float] = []  # send -> answer of each answered batch
        # pulls leave out the accepted entries the batch answers brought, except on a
        # laptop restored from an older backup (sync/pull.py)
        self.skip_accepted = True

    def conn(self):
        """This thread's own SQLite connection (sqlite3 objects are not shared)."""
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = connect(self.db_path)
            with self.lock:
                self.connections.append(conn)
        return conn

    def add(self, **counts: int) -> None:
        """Add to the report's counters."""
        with self.lock:
            for name, value in counts.items():
                setattr(self.report, name, getattr(self.report, name) + value)

    def fail(self, message: str, stop: bool = True) -> None:
        """Keep the first error; stop starting new requests."""
        with self.lock:
            if self.report.error is None:
                self.report.error = message
        if stop:
            self.stop.set()

    def can_start(self) -> bool:
        """Whether a new request may start (not stopped, time left)."""
        return not self.stop.is_set() and self.client.remaining() > 0

    def answered_after(self, seconds: float) -> None:
        """Note how long an answered batch took from its (last) send."""
        with self.lock:
            self.batch_seconds.append(seconds)

    def can_start_batch(self) -> bool:
        """Whether a new batch upload may start: a request may start and the time
        left covers what a batch has taken in this run (median). A batch that could
        not finish would be cut at the deadline and sent again by the next run; left
        alone, it goes first in the next run, sent once."""
        if not self.can_start():
            return False
        with self.lock:
            typical = statistics.median(self.batch_seconds) if self.batch_seconds else 0.0
        return self.client.remaining() > typical

    def stopped_by_deadline(self) -> bool:
        """Called when a batch has no time left for another try: after this run
        moved records, what is left waits for the next run (which the schedule
        starts at once), not a failure. A run that got no answer at all before its
        deadline (central hangs) still fails."""
        with self.lock:
            answered = bool(self.batch_seconds)
        return answered and not self.stop.is_set()

    def pause(self, attempt: int) -> bool:
        """Wait before retry number ``attempt + 1``: exponential with jitter, cut to
        the time left. False when there is no time for another try."""
        delay = min(8.0, 0.5 * 2 ** attempt) * JITTER.uniform(0.5, 1.5)
        if self.client.remaining() <= delay + 1:
            return False
        return not self.stop.wait(delay)

    def close(self) -> None:
        """Close the threads' connections."""
        for conn in self.connections:
            conn.close()
