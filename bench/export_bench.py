"""The BPKAD payment list as XLSX for 100,000 workers, and the BPJS registration file:
time and peak memory, against raw openpyxl write-only of the same rows, measured in
the same run.

    python bench/export_bench.py [--rows 100000] [--bpjs-rows 20000]
                                 [--backend sqlite|postgresql] [--csv]

Set-up (not timed): a fresh central database with its migrations, holding ``--rows``
payable workers spread over the 153 kelurahan: 80% 2024 cohort rows and 20%
registered new workers (records), incomes in the confirmed bands, some with JHT;
and ``--bpjs-rows`` accepted records that pass every rule (the registration file's
rows; 0 leaves the BPJS file out), one in ten of them in likely-duplicate pairs, half
of the pairs still open (both records held off the file) and half decided.

Each measurement runs in its own subprocess, so its peak resident memory (the
child's own VmHWM on Linux, ``ru_maxrss`` elsewhere, psutil's peak on Windows) is
its alone:

* ``berjasa``: ``central.exports.export(db, "payment-list", "xlsx", path, month=...)``:
  streamed query, contributions per row, subtotals per kelurahan, grand total,
  formula-safe cells with text formats, atomic write, SHA-256, audit row.
* ``baseline_openpyxl``: the same rows (the same UNION query, fetched in chunks)
  appended as plain tuples to an openpyxl write-only sheet: no contributions, no
  subtotals, no safety, no styles, no hash. The floor of what writing this XLSX costs.
* ``berjasa_bpjs``: ``export(db, "bpjs-registration", "xlsx", ...)``: the candidates
  query (no KPJ, not an active BPJS participant, not in the cohort; open findings and
  open likely-duplicate pairs held and counted),
  the stored rules, contribution band, names of kelurahan/kecamatan, 26 columns,
  marking the rows exported, audit row. ``baseline_bpjs``: the same candidates
  query's rows appended as plain tuples to an openpyxl write-only sheet.
* with ``--csv`` also ``berjasa_csv`` and ``baseline_csv`` (the csv module).

Prints JSON: rows, seconds (wall), cpu_seconds (this process's CPU time: less
sensitive to other work on a shared machine) and peak_rss_mb for each, the ratios
berjasa/baseline, the load average, and whether the targets hold (<= 20 s wall,
<= 200 MB for the XLSX).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.throwaway_db import throwaway_database

MONTH = "2025-11"
TARGET_SECONDS = 20.0
TARGET_MB = 200.0


def peak_rss_mb() -> float | None:
    """This process's peak resident memory in MB. Linux: VmHWM (reset by exec, so the
    parent's peak never shows; ru_maxrss would carry it over the fork)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    try:
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)
    except ImportError:  # Windows
        try:
            import psutil
            return round(psutil.Process().memory_info().peak_wset / 1e6, 1)
        except (ImportError, AttributeError):
            return None


def populate(url: str, rows: int, bpjs_rows: int = 0, seed: int = 11) -> None:
    """``rows`` payable workers: 80% cohort, 20% registered records; ``bpjs_rows``
    accepted records waiting for the BPJS registration file."""
    from berjasa.reference import kelurahan_list
    from central.storage.db import Database, migrate, utc_now

    rng = random.Random(seed)
    codes = [k.code for k in kelurahan_list()]
    incomes = [None, 500_000, 900_000, 1_200_000, 1_500_000, 1_800_000, 2_100_000, 2_500_000]
    now = utc_now()
    cohort, records = [], []
    for n in range(rows):
        nik = f"73{n:014d}"  # unique, 16 digits
        code = codes[n % len(codes)]
        name = f"Pekerja {n} Daeng {rng.choice(['Sikki', 'Ngasseng', 'Tompo', '=HYPERLINK(1)'])}"
        income = rng.choice(incomes)
        jht = 1 if rng.random() < 0.1 else 0
        if n % 5:
            cohort.append((nik, f"KPJ{n:08d}", name, "1980-01-01", code, "2024-01", income, jht))
        else:
            records.append((code, f"rec-{n}", "bench-batch", nik, name, name.casefold(),
                            "registered", f"KPJ{n:08d}", income or 0, jht, "2025-10",
                            json.dumps([{"rule": "council", "result": "pass", "reason": "ok"}]),
                            "hash", now, now))
    passing = json.dumps([{"rule": "council", "result": "pass", "reason": "ok"}])
    waiting = [(codes[n % len(codes)], f"acc-{n}", "bench-batch", f"75{n:014d}", f"75{n:014d}",
                f"Calon {n} Daeng Tompo", f"calon {n} daeng tompo", "1985-03-12", "Makassar",
                rng.choice("LP"), f"Jl. Sultan Alauddin Lr. {n % 12} No. {n % 90}", "003", "002",
                "Sitti Aminah", "081234567890", "Pedagang", "Pedagang kaki lima",
                rng.choice(incomes[1:]), 1 if rng.random() < 0.1 else 0, "Andi Baso", "Anak",
                "accepted", passing, "hash", now, now) for n in range(bpjs_rows)]
    # likely-duplicate pairs among the waiting records (their central ids follow the
    # payable records'): every 20th with the next one, every other pair still open
    first_waiting = len(records) + 1
    pairs = [(first_waiting + n, first_waiting + n + 1, "name_birth", now,
              None if n % 40 == 0 else "different", None if n % 40 == 0 else now)
             for n in range(0, bpjs_rows - 1, 20)]
    db = Database(url)
    try:
        migrate(db)
        with db.transaction():
            db.insert_rows("cohort", ("nik", "kpj_number", "full_name", "birth_date",
                                      "kelurahan_code", "coverage_start", "monthly_income", "jht"),
                           cohort)
            db.insert_rows("records", ("kelurahan_code", "record_id", "batch_id", "nik",
                                       "full_name", "name_key", "status", "kpj_number",
                                       "monthly_income", "jht", "coverage_start", "eligibility",
                                       "content_hash", "received_at", "updated_at"), records)
            db.insert_rows("records", ("kelurahan_code", "record_id", "batch_id", "nik",
                                       "kk_number", "full_name", "name_key", "birth_date",
                                       "birth_place", "sex", "address", "rt", "rw", "mother_name",
                                       "phone", "occupation", "work_category", "monthly_income",
                                       "jht", "heir_name", "heir_relation", "status",
                                       "eligibility", "content_hash", "received_at",
                                       "updated_at"), waiting)
            db.insert_rows("duplicate_flags", ("central_id_a", "central_id_b", "match",
                                               "flagged_at", "decision", "decided_at"), pairs)
    finally:
        db.close()


def child(kind: str, url: str, output: Path) -> dict[str, Any]:
    """One measurement in this (child) process."""
    from central.storage.db import Database

    db = Database(url)
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        if kind.startswith("berjasa"):
            from central.exports import export
            fmt = "csv" if kind.endswith("csv") else "xlsx"
            what = "bpjs-registration" if kind == "berjasa_bpjs" else "payment-list"
            result = export(db, what, fmt, output, actor="bench", month=MONTH)
            rows = result.rows
        else:
            from central.holds import age_window
            from central.storage import payments, reports
            ages = age_window(MONTH)  # the same query as the list's (its age limits too)
            columns = ("source", "nik", "kpj_number", "full_name", "kelurahan_code",
                       "coverage_start", "monthly_income", "jht")
            rows = 0
            if kind == "baseline_csv":
                import csv
                with output.open("w", encoding="utf-8", newline="") as f:
                    writer = csv.writer(f)
                    writer.writerow(columns)
                    for r in payments.stream_payable(db, MONTH, ages):
                        writer.writerow([r[c] for c in columns])
                        rows += 1
            else:
                from openpyxl import Workbook
                workbook = Workbook(write_only=True)
                sheet = workbook.create_sheet("Data")
                sheet.append(columns)
                source = payments.stream_payable(db, MONTH, ages)
                if kind == "baseline_bpjs":
                    columns = tuple(c.strip() for c in reports.EXPORT_COLUMNS.split(",")
                                    if c.strip() not in ("eligibility", "eligibility_snapshots"))
                    source = reports.stream_registration_candidates(db)
                for r in source:
                    if r.get("held_open_pair") or r.get("held_open_finding"):
                        continue  # off the file, as berjasa leaves it
                    sheet.append([r[c] for c in columns])
                    rows += 1
                workbook.save(output)
    finally:
        db.close()
    seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": round(seconds, 2),
            "cpu_seconds": round(time.process_time() - cpu_started, 2), "peak_rss_mb": peak_rss_mb(),
            "bytes": output.stat().st_size}


def measure(kind: str, url: str, folder: Path) -> dict[str, Any]:
    """Run one measurement in a subprocess; its JSON."""
    output = folder / f"{kind}.{'csv' if kind.endswith('csv') else 'xlsx'}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    done = subprocess.run([sys.executable, __file__, "--child", kind, "--url", url,
                           "--output", str(output)], capture_output=True, text=True, env=env,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"{kind} failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--bpjs-rows", type=int, default=20_000,
                        help="accepted records for the BPJS registration file (0: leave it out)")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--csv", action="store_true", help="also measure the CSV export")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.url, args.output)))
        return

    with tempfile.TemporaryDirectory(prefix="berjasa-export-bench-") as tmp:
        folder = Path(tmp)
        with throwaway_database(args.backend, folder) as url:
            started = time.perf_counter()
            populate(url, args.rows, args.bpjs_rows)
            setup = round(time.perf_counter() - started, 1)
            kinds = ["baseline_openpyxl", "berjasa"]
            if args.bpjs_rows:
                kinds += ["baseline_bpjs", "berjasa_bpjs"]
            if args.csv:
                kinds += ["baseline_csv", "berjasa_csv"]
            results = {kind: measure(kind, url, folder) for kind in kinds}
    ours, base = results["berjasa"], results["baseline_openpyxl"]
    report = {
        "bench": "export", "backend": args.backend, "month": MONTH, "payable_rows": args.rows,
        "setup_seconds": setup, **results,
        "time_ratio_to_baseline": round(ours["seconds"] / base["seconds"], 2),
        "cpu_ratio_to_baseline": round(ours["cpu_seconds"] / base["cpu_seconds"], 2),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "targets": {"seconds": TARGET_SECONDS, "peak_rss_mb": TARGET_MB},
        "within_targets": ours["seconds"] <= TARGET_SECONDS and (
            ours["peak_rss_mb"] is None or ours["peak_rss_mb"] <= TARGET_MB),
    }
    if args.bpjs_rows:
        report["bpjs_time_ratio_to_baseline"] = round(
            results["berjasa_bpjs"]["seconds"] / results["baseline_bpjs"]["seconds"], 2)
    if args.csv:
        report["csv_time_ratio_to_baseline"] = round(
            results["berjasa_csv"]["seconds"] / results["baseline_csv"]["seconds"], 2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
