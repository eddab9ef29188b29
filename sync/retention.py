"""The retention purge (``berjasa privacy purge``, docs/privacy.md "Retensi"), run
once a day by the scheduled agent, and the clock it must be able to trust.

The purge erases for good what is older than the retention periods, counted by the
laptop's clock. A clock set ahead (a CMOS fault, a wrong year typed) would make
records rejected minutes ago, batch bodies and the sync log look a year old (h2
report item 6). So the purge does not run on a clock it has reason to distrust
(:func:`clock_doubt`):

* central refused the latest sync run for its clock (``stale_request``);
* the clock is earlier than the last purge, or than the newest audit entry written
  while the clock was plausible, by more than :data:`TOLERANCE`;
* the clock is more than ``retention_clock_gap_days`` past the last purge;
* no purge ever ran here (``unconfirmed``): every stored time may have been written
  by the wrong clock itself (an audit entry of a backup or a login, h3 report item
  5), so the first purge needs central's word, a run central accepted within
  :data:`CONFIRMED_FOR`, or a person's (``--clock-checked``).

A run central just accepted proves the clock (central refuses a signed request whose
time is far from its own): the purge then runs whatever the stored times say. A
skipped purge says why in the agent log and in ``sync status`` / the supervisor's
panel; ``berjasa privacy purge --clock-checked`` runs it anyway, after a person has
checked the clock (recorded in the purge's audit entry).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from berjasa.database import connect, transaction
from berjasa.local_time import wita
from berjasa.paths import kelurahan_db_path
from berjasa.problems import ClockDistrusted
from server import privacy
from server.storage import audit as audit_store
from server.storage.audit import Actor
from sync import storage

log = logging.getLogger("berjasa.sync")
AGENT = Actor("agen-sinkronisasi", "system")
EVERY = timedelta(days=1)
# How far behind the stored times the clock may be (clocks corrected by minutes).
TOLERANCE = timedelta(minutes=10)
# How recent a run central accepted must be to vouch for the clock now.
CONFIRMED_FOR = timedelta(hours=1)
LAST_PURGE, SKIPPED = storage.RETENTION_LAST_PURGE, storage.RETENTION_HELD_BACK


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def clock_doubt(conn: sqlite3.Connection, settings: dict[str, Any],
                now: datetime) -> dict[str, Any] | None:
    """Why the clock reading ``now`` must not date the purge, or None when it may:
    ``{"reason", "message", "now", "reference"}`` (reason ``central_refused``,
    ``unconfirmed``, ``behind`` or ``ahead``; the message in Bahasa Indonesia, both times in WITA)."""
    run = storage.last_run(conn)
    if run and "stale_request" in (run.get("error") or ""):
        return _doubt("central_refused", now, _time(run["finished_at"]),
                      "pusat menolak sinkronisasi terakhir karena jam laptop jauh dari jam pusat")
    finished = _time(run["finished_at"]) if run else None
    if run and run["result"] in ("ok", "partial") and finished is not None \
            and abs(now - finished) <= CONFIRMED_FOR:
        return None  # central accepted this clock's signed requests moments ago
    gap = timedelta(days=int(settings["retention_clock_gap_days"]))
    trusted = _time(storage.get_state(conn, LAST_PURGE))
    if trusted is None:
        # never purged: no stored time the clock could not have written itself (any
        # audit entry may be its own, h3 report item 5); only central vouches
        accepted = finished if run and run["result"] in ("ok", "partial") else None
        return _doubt("unconfirmed", now, accepted,
                      "retensi belum pernah berjalan di laptop ini, dan jam laptop belum "
                      "dibenarkan oleh sinkronisasi yang diterima pusat dalam satu jam terakhir"
                      + ("; sinkronisasi terakhir yang diterima pusat" if accepted else ""))
    newest = _time(audit_store.newest_entry_time(conn))
    if trusted is not None and newest is not None and newest > trusted + gap:
        newest = None  # written by a clock already far ahead: not a time to trust
    latest = max((t for t in (trusted, newest) if t is not None), default=None)
    if latest is not None and now < latest - TOLERANCE:
        return _doubt("behind", now, latest,
                      "jam laptop lebih awal dari waktu yang sudah tersimpan")
    anchor = trusted or newest
    if anchor is not None and now > anchor + gap:
        return _doubt("ahead", now, anchor,
                      f"jam laptop lebih dari {gap.days} hari setelah "
                      + ("retensi terakhir" if trusted else "entri audit terakhir"))
    return None


def _doubt(reason: str, now: datetime, reference: datetime | None, why: str) -> dict[str, Any]:
    said = f" ({wita(reference.isoformat(), seconds=True)})" if reference else ""
    message = (f"Retensi tidak dijalankan: {why}{said}; jam laptop sekarang "
               f"{wita(now.isoformat(), seconds=True)}. Data tidak dihapus dengan jam yang "
               "diragukan. Betulkan tanggal dan jam laptop; retensi berjalan lagi setelah "
               "sinkronisasi berhasil, atau jalankan `berjasa privacy purge --clock-checked` "
               "setelah jam diperiksa.")
    return {"reason": reason, "message": message, "now": now.isoformat(),
            "reference": reference.isoformat() if reference else None}


def guarded_purge(conn: sqlite3.Connection, settings: dict[str, Any], actor: Actor,
                  now: datetime | None = None,
                  clock_checked: bool = False) -> dict[str, Any]:
    """:func:`server.privacy.purge` unless the clock is in doubt (ClockDistrusted,
    the doubt kept for the panel); ``clock_checked``: a person checked the clock,
    the purge runs and its entry says so. Either way the outcome is kept."""
    now = now or datetime.now(timezone.utc)
    doubt = None if clock_checked else clock_doubt(conn, settings, now)
    if doubt is not None:
        with transaction(conn):
            held = storage.get_state(conn, SKIPPED)
            first = json.loads(held).get("since") if held else None
            storage.set_state(conn, SKIPPED, json.dumps(
                {**doubt, "since": first or now.isoformat()}, sort_keys=True))
        raise ClockDistrusted(doubt["message"], reason=doubt["reason"])
    counts = privacy.purge(conn, settings, actor, now=now, clock_checked=clock_checked)
    with transaction(conn):
        storage.set_state(conn, LAST_PURGE, now.isoformat())
        storage.delete_state(conn, SKIPPED)
    return counts


def skipped(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """The purge the clock held back since the last one that ran, if any."""
    return storage.retention_state(conn)["held_back"]


def purge_if_due(data_dir: Path, settings: dict[str, Any],
                 now: datetime | None = None) -> dict[str, Any] | None:
    """Purge when the last purge is a day old (or never ran) and the clock can be
    trusted; the purge's counts, or None when it was not due or held back (said in
    the log: once per reason). A failure is logged, never raised: it must not stop
    the sync schedule."""
    now = now or datetime.now(timezone.utc)
    try:
        conn = connect(kelurahan_db_path(Path(data_dir)))
    except sqlite3.Error:  # no database yet: nothing to purge
        return None
    try:
        last = _time(storage.get_state(conn, LAST_PURGE))
        if last and timedelta(0) <= now - last < EVERY:
            return None
        before = skipped(conn)
        try:
            counts = guarded_purge(conn, settings, AGENT, now)
        except ClockDistrusted as doubt:
            if before is None or before.get("reason") != doubt.extra.get("reason"):
                log.warning("retention purge held back: %s", doubt.message)
            return None
        log.info("retention purge: %s", {k: v for k, v in counts.items() if k != "at"})
        return counts
    except Exception:  # logged with its traceback (NIK masked); the schedule goes on
        log.exception("retention purge failed")
        return None
    finally:
        conn.close()
