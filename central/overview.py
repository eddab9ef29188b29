"""What the office dashboard shows, computed from the set-based queries of
:mod:`central.storage.dashboard` (plain functions, no Flask, no SQL).

Program targets (domain.md): about 81,466 workers in all, the 2024 cohort
(35,782 paid since 2024, held in the ``cohort`` table) and about 45,000 new
workers from October 2025 (the records kelurahan send)."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from typing import Any

from berjasa import local_time
from berjasa.reference import kelurahan, regions
from central import holds
from central.export_fields import REASON_TEXT, VERIFIER_PREFIX
from central.progress import new_workers, progress_by_kecamatan, progress_by_kelurahan
from central.storage import dashboard as store
from central.storage import reports
from central.storage.db import Database

TARGET_ALL = 81_466
TARGET_NEW = 45_000
SILENT_DAYS = 3
WEEKS_SHOWN = 26


def percent(part: int, whole: int) -> float:
    """``part`` of ``whole`` in percent, one decimal (0 when whole is 0)."""
    return round(100 * part / whole, 1) if whole else 0.0


def _kelurahan_name(code: str) -> str:
    region = kelurahan(code or "")
    return region.name if region else (code or "")


def totals(counts: dict[str, dict[str, int]], cohort: dict[str, int]) -> dict[str, Any]:
    """The headline figures: the cohort and the new workers apart, against 81,466 and 45,000."""
    by_status: Counter = Counter()
    for statuses in counts.values():
        by_status.update(statuses)
    new_active = new_workers(by_status)[0]  # a NIK in the cohort counts once, there
    cohort_total = sum(cohort.values())
    return {
        "cohort": cohort_total, "new_active": new_active, "all": cohort_total + new_active,
        "target_all": TARGET_ALL, "target_new": TARGET_NEW,
        "percent_all": percent(cohort_total + new_active, TARGET_ALL),
        "percent_new": percent(new_active, TARGET_NEW),
        "by_status": {s: by_status[s] for s in ("accepted", "registered", "duplicate", "rejected")},
    }


def week_starts(today: date | None = None) -> list[date]:
    """The Mondays of the last WEEKS_SHOWN ISO weeks, this week's last (Makassar's
    calendar: the week the pages' WITA times fall in)."""
    today = today or local_time.today()
    first_monday = today - timedelta(days=today.weekday()) - timedelta(weeks=WEEKS_SHOWN - 1)
    return [first_monday + timedelta(weeks=i) for i in range(WEEKS_SHOWN)]


def weekly(weeks: list[date], counts: list[int]) -> dict[str, Any]:
    """Records received per ISO week (``counts[i]`` in the week starting
    ``weeks[i]``), with the coordinates of a server-rendered SVG bar chart."""
    top = max(counts, default=0)
    width, height, gap = 20, 120, 4
    bars = []
    for index, (monday, n) in enumerate(zip(weeks, counts)):
        bar = round(height * n / top) if top else 0
        bars.append({"week": monday.isoformat(), "n": n, "x": index * (width + gap),
                     "y": height - bar, "height": bar, "width": width,
                     "label": monday.strftime("%d/%m")})
    return {"bars": bars, "max": top, "width": len(weeks) * (width + gap), "height": height,
            "total": sum(counts)}


def received_weekly(db: Database, today: date | None = None) -> dict[str, Any]:
    """The week chart: records received (by central's clock) in the last WEEKS_SHOWN
    weeks, each from Monday 00:00 WITA (Sunday 16:00 UTC) as the pages show times."""
    weeks = week_starts(today)
    bounds = [local_time.day_start_utc(monday) for monday in weeks] + [
        local_time.day_start_utc(weeks[-1] + timedelta(weeks=1))]
    return weekly(weeks, store.received_per_week(db, bounds))


def last_sync(rows: list[dict[str, Any]], now: datetime | None = None) -> list[dict[str, Any]]:
    """Per kelurahan with a laptop: when it last sent, and whether it has been
    silent for more than SILENT_DAYS (never sent counts from its registration)."""
    now = now or datetime.now(timezone.utc)
    limit = (now - timedelta(days=SILENT_DAYS)).isoformat()
    out = []
    for row in rows:
        seen = row["last_batch"] or row["registered_at"] or ""
        out.append({**row, "kelurahan": _kelurahan_name(row["kelurahan_code"]),
                    "silent": seen < limit, "never": row["last_batch"] is None})
    return sorted(out, key=lambda r: (not r["silent"], r["last_batch"] or "", r["kelurahan_code"]))


def rejections(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Central rejections counted per reason, most frequent first."""
    counts: Counter = Counter()
    for row in rows:
        try:
            reasons = json.loads(row["reasons"]) if row["reasons"] else []
        except ValueError:
            reasons = []
        for reason in (reasons if isinstance(reasons, list) else [reasons]) or ["(tanpa alasan)"]:
            code = reason.get("code", str(reason)) if isinstance(reason, dict) else str(reason)
            if code.startswith(VERIFIER_PREFIX):  # the verifier's text may name the person
                code = "verifier_rejected"
            counts[code] += int(row["n"])
    return [{"code": code, "label": REASON_TEXT.get(code, code), "n": n}
            for code, n in counts.most_common()]


_CACHE: dict[str, tuple[float, tuple, dict[str, Any]]] = {}
_CACHE_LOCK = threading.Lock()


def dashboard_cached(db: Database, targets_file: str | None, ttl_seconds: float,
                     settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """:func:`dashboard`, reused for up to ``ttl_seconds`` while the data it counts
    has not changed (:func:`central.storage.dashboard.data_version`), so a room of
    people refreshing the page does not recount 100,000 records each time."""
    if ttl_seconds <= 0:
        return dashboard(db, targets_file, settings)
    key = f"{db.url}|{targets_file}"
    version = store.data_version(db)
    now = time.monotonic()
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
    if hit and hit[0] > now and hit[1] == version:
        return hit[2]
    data = dashboard(db, targets_file, settings)
    with _CACHE_LOCK:
        _CACHE[key] = (now + ttl_seconds, version, data)
    return data


def dashboard(db: Database, targets_file: str | None,
              settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the dashboard page shows (but the live counts: verification, and
    the registered workers an open finding keeps off this month's payment list);
    ``settings``: the eligibility settings the payment list reads (its age limits)."""
    counts = reports.counts_by_kelurahan(db)
    cohort = store.cohort_by_kelurahan(db)
    kecamatan = progress_by_kecamatan(counts, targets_file)
    month = local_time.today().strftime("%Y-%m")
    return {"totals": totals(counts, cohort), "kecamatan": kecamatan,
            # who this month's payment list leaves out besides the finding holds (a
            # scan of the registered records' rules: kept with the cached figures,
            # which an import or a recheck renews)
            "payment_month": month, "payment_not_held": holds.payment_not_held(db, month, settings),
            "counted_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "weekly": received_weekly(db),
            "sync": last_sync(store.last_sync_by_kelurahan(db)),
            "rejections": rejections(store.rejection_reasons(db)),
            "batches": reports.last_batches(db)}


def kecamatan_detail(db: Database, code: str, targets_file: str | None) -> dict[str, Any] | None:
    """One kecamatan: its kelurahan with counts by status and the cohort, and the
    per-enumerator quality table of each (rates in percent of records sent)."""
    if code not in regions() or len(code) != 8:
        return None
    counts = reports.counts_by_kelurahan(db)
    cohort = store.cohort_by_kelurahan(db)
    rows = [dict(r, cohort=cohort.get(r["kelurahan_code"], 0))
            for r in progress_by_kelurahan(counts, targets_file) if r["kecamatan_code"] == code]
    quality: dict[str, list[dict[str, Any]]] = {}
    for q in store.enumerator_quality(db, [r["kelurahan_code"] for r in rows]):
        q.update(rejected_rate=percent(q["rejected"], q["total"]),
                 duplicate_rate=percent(q["duplicate"], q["total"]),
                 sent_back_rate=percent(q["sent_back"], q["total"]))
        quality.setdefault(q["kelurahan_code"], []).append(q)
    for items in quality.values():
        items.sort(key=lambda q: (-(q["rejected"] + q["duplicate"] + q["sent_back"]),
                                  str(q["enumerator"] or "")))
    return {"code": code, "name": regions()[code].name, "kelurahan": rows, "quality": quality}
