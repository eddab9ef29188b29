"""The auditor's trail page at city scale: p95 of ``GET /audit`` (signed in as the
auditor) with ``--entries`` sealed trail entries, against ``GET /health`` measured
in the same run as the baseline.

    python bench/trail_bench.py [--entries 200000] [--requests 40]
                                [--backend sqlite|postgresql]
    python bench/trail_bench.py --app kelurahan [--records 5000] [--requests 20]

The page checks the hash chain and seals (docs/audit-chain.md): the whole chain at
the first view (and every 5 minutes, or on request), and between those only the
entries written since. Two entries are written between views, as the office's work
goes on. The JSON gives p50/p95/max in ms of the page and of /health, the first
view (the whole check, what every view cost before the page kept its checks), and
``trail.verify`` in process (what ``berjasa central audit verify`` does).
"""

from __future__ import annotations

import json
import os
import sys
import time
from contextlib import closing
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.dashboard_bench import signed_in, summary
from bench.throwaway_db import bench_arguments, populated
from berjasa import audit_seal
from berjasa.audit import Actor, next_entry
from berjasa.cli import declare_settings
from central import accounts, trail
from central.storage import audit as store
from central.storage.db import Database, migrate

declare_settings()
PASSWORD = "bench-auditor-1"
VERIFIER = Actor("verifikator-1", "verifier", "10.20.0.7")
COLUMNS = ("seq", "at", "actor", "role", "action", "record_id", "changes", "reason",
           "address", "prev_hash", "entry_hash")


def populate(url: str, folder: Path, entries: int) -> None:
    """``entries`` chained and sealed decisions, then the auditor's account."""
    db = Database(url, data_dir=folder)
    try:
        migrate(db)
        key = store.seal_key(db)
        last = None
        with db.transaction():
            rows, seals = [], []
            for n in range(entries):
                entry = next_entry(last, "2026-11-02T01:00:00.000000+00:00", VERIFIER,
                                   "decision.pair.different", f"73.71.01.1001/rec-{n}",
                                   {"other": f"73.71.02.1001/rec-{n}"})
                rows.append(tuple(entry[c] for c in COLUMNS))
                seals.append((entry["seq"], audit_seal.seal(key, entry["seq"], entry["entry_hash"])))
                last = entry
            db.insert_rows("audit_log", COLUMNS, rows)
            db.insert_rows("audit_seals", ("seq", "mac"), seals)
        accounts.add_user(db, "auditor-bench", "auditor", PASSWORD, trail.cli_actor())
    finally:
        db.close()


def measure(url: str, folder: Path, rounds: int) -> dict:
    """The first view, then the page and /health alternately with two new entries
    before each view; times in ms."""
    with closing(Database(url, data_dir=folder)) as writer, \
            signed_in(url, folder, "auditor-bench", PASSWORD) as (base, browser):

        def view(path: str) -> float:
            started = time.perf_counter()
            answer = browser.get(f"{base}{path}", timeout=300)
            assert answer.status_code == 200, (path, answer.status_code)
            if path == "/audit":
                assert "Rantai hash utuh" in answer.text
            return (time.perf_counter() - started) * 1000

        first = view("/audit")
        times: dict[str, list[float]] = {"page": [], "health": []}
        for index in range(rounds + 3):
            for _ in range(2):
                trail.record(writer, VERIFIER, "decision.finding.confirmed", "73.71.01.1001/x")
            page, health = view("/audit"), view("/health")
            if index >= 3:
                times["page"].append(page)
                times["health"].append(health)
    return {"first_view_ms": round(first, 1), "page": summary(times["page"]),
            "health": summary(times["health"])}


def main() -> None:
    if "--app" in sys.argv:  # the kelurahan's trail: bench/kelurahan_trail.py
        kelurahan_main()
        return
    args = bench_arguments(__doc__.splitlines()[0], "entries", 200_000, 40, "sqlite")
    with populated(args.backend, args.pg_server, "trail", populate, args.entries) as (
            url, folder, setup):
        served = measure(url, folder, args.requests)
        with closing(Database(url, data_dir=folder)) as db:
            started = time.perf_counter()
            checked, broken = trail.verify(db)
            verify_ms = round((time.perf_counter() - started) * 1000, 1)
    assert broken is None, broken
    page, health = served["page"], served["health"]
    print(json.dumps({
        "bench": "trail", "backend": args.backend, "entries": args.entries,
        "setup_seconds": setup, "page": page, "baseline_health": health,
        "p95_ratio_to_baseline": round(page["p95_ms"] / health["p95_ms"], 1),
        "first_view_ms": served["first_view_ms"],
        "verify_whole_chain": {"ms": verify_ms, "entries": checked},
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }, indent=2))


def kelurahan_main() -> None:
    """``--app kelurahan [--records N] [--requests N]``: the kelurahan's register and
    trail (bench/kelurahan_trail.py), printed as JSON."""
    import argparse
    import tempfile

    from bench import kelurahan_trail

    parser = argparse.ArgumentParser(description=kelurahan_trail.__doc__.splitlines()[0])
    parser.add_argument("--app", choices=["kelurahan"], required=True)
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="berjasa-kelurahan-trail-") as tmp:
        result = kelurahan_trail.run(Path(tmp) / "kelurahan", args.records, args.requests)
    result["load_average"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
