"""``python -m bench``: run every benchmark, write one JSON file and print a table.

Each benchmark is its own script (``bench/*_bench.py``) that measures berjasa AND a
baseline in the same run and prints JSON; this runner starts each one as a
subprocess (so one's memory and threads never colour the next), reads its JSON,
and puts each headline figure next to its baseline with the ratio. The sync bench
is called through ``bench.sync_bench.measure(quick)`` (in a subprocess too).

    python -m bench                          # the full set (tens of minutes, scale included)
    python -m bench --quick                  # everything, smaller counts (~30 s of its own CPU)
    python -m bench --only intake,search     # a subset (names: see --help)
    python -m bench --quick --out /tmp/b.json

``--quick`` shrinks record counts and leaves out what cannot be quick (the million-
record scale run, the link-cut sync profile and PouchDB, the phone check in
Chromium); the JSON's ``left_out`` and the table's last line say what was left out.

Ratio: berjasa's performance as a share of the baseline's, whatever the unit's
direction (for rates and precision: ours / baseline; for times, bytes and memory:
baseline / ours). 1.0 = as good as the baseline; below 1 = slower or bigger.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_OUT = HERE / "results" / "latest.json"


@dataclass(frozen=True)
class Figure:
    """One headline number: where it is in the bench's JSON, and its baseline."""

    label: str
    value: str                    # dotted path into the JSON
    unit: str
    baseline: str | None = None   # dotted path to the baseline measured in the same run
    ratio: str | None = None      # dotted path to a ratio the bench computed (same direction)
    target: str = ""
    higher_is_better: bool = True


@dataclass(frozen=True)
class Bench:
    """One benchmark script and how to run it."""

    name: str
    script: str                   # a file in bench/, or "module:function" to call
    full: list[str]
    quick: list[str] | None       # None: left out of --quick
    figures: list[Figure]
    why_not_quick: str = ""
    quick_leaves_out: str = ""    # what --quick leaves out of a bench it does run
    extra_env: dict[str, str] = field(default_factory=dict)


def _ms(label: str, path: str, base: str, target: str = "") -> Figure:
    return Figure(label, path, "ms", base, None, target, higher_is_better=False)


BENCHES: list[Bench] = [
    Bench("intake", "intake_bench.py", [], ["--singles", "60", "--batch", "200"], [
        Figure("single POST (4 clients)", "berjasa.single_req_per_s", "req/s",
               "baseline_flask_sqlite3.single_req_per_s", "single_ratio_to_baseline", ">= 0.8"),
        Figure(":batch of records", "berjasa.batch_records_per_s", "records/s",
               "baseline_flask_sqlite3.batch_records_per_s", "batch_ratio_to_baseline",
               ">= 0.25"),
    ]),
    Bench("search", "search_bench.py", [],
          ["--kelurahan-records", "500", "--central-records", "3000", "--queries", "10"], [
        _ms("supervisor search page by name p95", "kelurahan.supervisor_page_by_name.page.p95_ms",
            "kelurahan.supervisor_page_by_name.baseline.p95_ms"),
        _ms("supervisor search page by NIK p95", "kelurahan.supervisor_page_by_nik.page.p95_ms",
            "kelurahan.supervisor_page_by_nik.baseline.p95_ms"),
        _ms("kelurahan list query by name p95", "kelurahan.listing_by_name.listing.p95_ms",
            "kelurahan.listing_by_name.baseline.p95_ms"),
        _ms("kelurahan list query by NIK p95", "kelurahan.listing_by_nik.listing.p95_ms",
            "kelurahan.listing_by_nik.baseline.p95_ms"),
        _ms("central verifier lookup by NIK p95",
            "central.verifier_lookup_by_nik.verifier_lookup.p95_ms",
            "central.verifier_lookup_by_nik.baseline.p95_ms"),
        _ms("central dedupe lookups, 500-record batch p95",
            "central.dedupe_lookup_500.dedupe_lookup.p95_ms",
            "central.dedupe_lookup_500.baseline.p95_ms"),
    ]),
    Bench("ingest", "ingest_bench.py", [], ["--records", "1000", "--rounds", "1"], [
        Figure("central ingest, SQLite", "sqlite.central.records_per_s", "records/s",
               "sqlite.raw.records_per_s", "sqlite.ratio_to_raw", ">= 0.25"),
        Figure("central ingest, PostgreSQL", "postgresql.central.records_per_s",
               "records/s", "postgresql.raw.records_per_s", "postgresql.ratio_to_raw", ">= 0.25"),
    ]),
    Bench("import", "import_bench.py", [], ["--rows", "10000", "--program-rows", "2000"], [
        Figure("DTSEN import (PostgreSQL)", "central.rows_per_s", "rows/s",
               "raw_copy.rows_per_s", None, "1M rows <= 30 s"),
        Figure("BPJS participant list import", "bpjs.central.rows_per_s", "rows/s",
               "bpjs.raw_copy.rows_per_s"),
        Figure("2024 cohort import", "cohort.central.rows_per_s", "rows/s",
               "cohort.raw_copy.rows_per_s"),
    ]),
    Bench("export", "export_bench.py", [], ["--rows", "2000", "--bpjs-rows", "1000"], [
        Figure("payment list XLSX, wall", "berjasa.seconds", "s",
               "baseline_openpyxl.seconds", None, "100k rows <= 20 s", higher_is_better=False),
        Figure("payment list XLSX, CPU", "berjasa.cpu_seconds", "s",
               "baseline_openpyxl.cpu_seconds", None, "", higher_is_better=False),
        Figure("payment list XLSX, peak memory", "berjasa.peak_rss_mb", "MB",
               "baseline_openpyxl.peak_rss_mb", None, "<= 200 MB", higher_is_better=False),
        Figure("BPJS registration XLSX, CPU", "berjasa_bpjs.cpu_seconds", "s",
               "baseline_bpjs.cpu_seconds", None, "", higher_is_better=False),
    ]),
    Bench("dashboard", "dashboard_bench.py", [], ["--records", "10000", "--requests", "12"], [
        _ms("central dashboard GET / p95 (as served)", "dashboard.p95_ms",
            "baseline_health.p95_ms", "< 300 ms at 100k"),
        _ms("central dashboard GET / p95 (uncached)", "uncached.dashboard.p95_ms",
            "uncached.baseline_health.p95_ms"),
    ]),
    Bench("trail", "trail_bench.py", [], ["--entries", "10000", "--requests", "10"], [
        _ms("auditor trail page GET /audit p95", "page.p95_ms", "baseline_health.p95_ms"),
        _ms("auditor page p95 against a whole-chain check per view", "page.p95_ms",
            "verify_whole_chain.ms"),
    ]),
    Bench("identity", "identity_match_bench.py", [], ["--pairs", "600"], [
        Figure("DTSEN name match precision", "matcher.precision", "",
               "baseline_exact.precision", None, ">= 0.98"),
        Figure("DTSEN name match recall", "matcher.recall", "",
               "baseline_exact.recall", None, ">= 0.9"),
    ]),
    Bench("recheck", "recheck_bench.py", [], ["--records", "5000"], [
        Figure("recheck every held record", "recheck.seconds", "s", "raw_update.seconds", None,
               "", higher_is_better=False),
    ]),
    Bench("hints", "hints_bench.py", [], ["--records", "20000", "--probes", "20000",
                                          "--no-browser"], [
        Figure("duplicate-hint filter false positives", "bloom.measured_rate", "",
               "configured_rate", None, "<= configured", higher_is_better=False),
        Figure("phone check, CPU throttled 4x", "phone_check_ms.throttled_4x", "ms",
               "phone_check_ms.baseline_unthrottled", None, "", higher_is_better=False),
    ], quick_leaves_out="hints: the phone check in Chromium (--no-browser)"),
    Bench("erasure", "erasure_bench.py", [], ["--records", "2000", "--erasures", "2"], [
        Figure("central erasure compaction (VACUUM FULL), PostgreSQL", "compact_seconds.median",
               "s", "baseline_plain_vacuum_seconds.median", None,
               "100k records: seconds, rare", higher_is_better=False),
        Figure("longest read blocked by it", "longest_blocked_read_seconds.max", "s",
               "baseline_plain_vacuum_seconds.median", None, "", higher_is_better=False),
    ]),
    Bench("sync", "bench.sync_bench:measure", [], [], [],
          quick_leaves_out="sync: the link-cut profile and the PouchDB replication"),
    Bench("scale", "scale_bench.py", [], None, [
        Figure("central ingest with 1,000,000 records held", "at_size_ingest.records_per_s",
               "records/s", "baseline_first_chunk_records_per_s", None, "holds as it grows"),
        _ms("city-wide NIK lookup, 500 NIKs, at 1M (p95)", "nik_lookup_500_ms.p95",
            "baseline_first_chunk_lookups.nik_lookup_500_ms.p95"),
        _ms("name + birth date candidates, 500 records, at 1M (p95)",
            "likely_duplicate_candidates_500_ms.p95",
            "baseline_first_chunk_lookups.likely_duplicate_candidates_500_ms.p95"),
    ], why_not_quick="a million records take a quarter of an hour or more"),
]
NAMES = [b.name for b in BENCHES]


def dig(data: Any, path: str | None) -> Any:
    """``data["a"]["b"]`` for ``"a.b"``; None when any part is missing."""
    if path is None:
        return None
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def last_json(text: str) -> dict[str, Any]:
    """The JSON object a bench printed (the whole output, or its last object)."""
    text = text.strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        start = text.rfind("\n{")
        return json.loads(text[start + 1:] if start >= 0 else text[text.index("{"):])


def children_cpu() -> float | None:
    """CPU seconds used so far by this process's finished children (None on Windows)."""
    try:
        import resource
    except ImportError:
        return None
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load() -> dict[str, Any]:
    """The machine's load now (other people's tests share the cores)."""
    out: dict[str, Any] = {"cpus": os.cpu_count()}
    if hasattr(os, "getloadavg"):
        out["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return out


CALL = """import json, sys
module, name = sys.argv[1].split(":")
try:
    measure = getattr(__import__(module, fromlist=[name]), name, None)
except ImportError as exc:
    measure, why = None, f"{module} not importable: {exc}"
else:
    why = f"{module.split('.')[-1]}.{name} not available"
result = measure(sys.argv[2] == "quick") if measure else {"skipped": why}
with open(sys.argv[3], "w", encoding="utf-8") as out:
    json.dump(result, out)
"""


def run(bench: Bench, quick: bool) -> dict[str, Any]:
    """Run one bench in a subprocess; its JSON (``result``) or an ``error``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p), **bench.extra_env}
    started = time.monotonic()
    before, cpu_before = load(), children_cpu()
    with tempfile.TemporaryDirectory(prefix="berjasa-bench-") as tmp:
        result_file = Path(tmp) / "result.json"
        if ":" in bench.script:
            command = [sys.executable, "-c", CALL, bench.script, "quick" if quick else "full",
                       str(result_file)]
        else:
            command = [sys.executable, str(HERE / bench.script),
                       *((bench.quick if quick else bench.full) or [])]
        answer = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
        seconds = round(time.monotonic() - started, 1)
        cpu = children_cpu()
        outcome: dict[str, Any] = {
            "seconds": seconds, "load_before": before, "load_after": load(),
            # the bench's own CPU (not the database server's): what an idle machine would need
            "cpu_seconds": round(cpu - cpu_before, 1) if cpu is not None else None}
        if answer.returncode != 0:
            tail = (answer.stderr.strip().splitlines() or ["(no output)"])[-1]
            return {**outcome, "error": f"exit {answer.returncode}: {tail}"}
        try:
            if result_file.exists():
                result = json.loads(result_file.read_text(encoding="utf-8"))
            else:
                result = last_json(answer.stdout)
        except (json.JSONDecodeError, ValueError):
            return {**outcome, "error": "no JSON on stdout"}
    return {**outcome, "result": result}


def ratio_of(figure: Figure, value: Any, base: Any) -> float | None:
    """Berjasa's performance as a share of the baseline's (see the module docstring)."""
    if not (isinstance(value, (int, float)) and isinstance(base, (int, float))):
        return None
    if figure.higher_is_better:
        return round(value / base, 3) if base else None
    return round(base / value, 3) if value else None


def sync_figures(result: dict[str, Any]) -> list[Figure]:
    """Rows for the sync bench, whose JSON shape is its own: every profile (a dict
    holding ``ratio_to_link_limit``) against its link limit, and PouchDB when run."""
    figures = []

    def walk(data: Any, path: str) -> None:
        if not isinstance(data, dict):
            return
        if "ratio_to_link_limit" in data and "seconds" in data:
            name = path.removeprefix("profiles.").replace(".", " ") or "profile"
            figures.append(Figure(f"{name}: seconds / link limit", f"{path}.seconds".strip("."),
                                  "s", f"{path}.link_limit_seconds".strip("."), None,
                                  ">= 0.67 (<= 1.5x the limit)", higher_is_better=False))
        if "ratio_to_payload_limit" in data and "seconds" in data:
            # the definition: protocol bytes / rate (+ cut), not wire bytes
            name = path.removeprefix("profiles.").replace(".", " ") or "profile"
            figures.append(Figure(f"{name}: seconds / payload limit", f"{path}.seconds".strip("."),
                                  "s", f"{path}.payload_limit_seconds".strip("."), None,
                                  ">= 0.67 (<= 1.5x the limit)", higher_is_better=False))
        ours, pouch = data.get("berjasa"), data.get("pouchdb")
        if isinstance(ours, dict) and isinstance(pouch, dict):
            name = path.removeprefix("profiles.").replace(".", " ") or "profile"
            for key, unit in (("seconds", "s"), ("wire_bytes", "bytes")):
                if key in ours and key in pouch:
                    figures.append(Figure(f"{name}: berjasa / PouchDB {key.replace('_', ' ')}",
                                          f"{path}.berjasa.{key}", unit, f"{path}.pouchdb.{key}",
                                          None, "", higher_is_better=False))
        for key, value in data.items():
            walk(value, f"{path}.{key}" if path else key)

    walk(result, "")
    return figures


def rows(bench: Bench, outcome: dict[str, Any], quick: bool = False) -> list[dict[str, Any]]:
    """The table rows of one bench's outcome."""
    result = outcome.get("result")
    base_row = {"bench": bench.name}
    if "error" in outcome:
        return [{**base_row, "figure": f.label, "unit": f.unit, "target": f.target,
                 "error": outcome["error"]} for f in bench.figures or [Figure("(all)", "", "")]]
    figures = bench.figures if bench.figures else sync_figures(result or {})
    if isinstance(result, dict) and "error" in result and not figures:
        return [{**base_row, "figure": "(all)", "unit": "", "target": "",
                 "error": str(result["error"])}]
    if isinstance(result, dict) and "skipped" in result and all(
            dig(result, f.value) is None for f in figures):
        return [{**base_row, "figure": "(all)", "unit": "", "target": "",
                 "skipped": str(result["skipped"])}]
    out = []
    for figure in figures:
        value, base = dig(result, figure.value), dig(result, figure.baseline)
        ratio = dig(result, figure.ratio)
        if ratio is None:
            ratio = ratio_of(figure, value, base)
        row = {**base_row, "figure": figure.label, "unit": figure.unit, "target": figure.target,
               "value": value, "baseline": base, "ratio": ratio}
        if value is None:
            row["skipped"] = ("left out by --quick" if quick and bench.quick_leaves_out
                              else "not in this run's JSON")
        out.append(row)
    return out


def show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(all_rows: list[dict[str, Any]], left_out: list[str], note: str = "") -> str:
    """A plain-text table of every figure."""
    header = ("bench", "figure", "berjasa", "baseline", "ratio", "unit", "target")
    lines = [[r["bench"], r["figure"],
              "ERROR" if "error" in r else "skipped" if "skipped" in r else show(r.get("value")),
              show(r.get("baseline")), show(r.get("ratio")), r["unit"], r["target"]]
             for r in all_rows]
    widths = [max(len(str(x)) for x in column) for column in zip(header, *lines)]
    text = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths)).rstrip()]
    text += ["  ".join(str(c).ljust(w) for c, w in zip(line, widths)).rstrip() for line in lines]
    shown = set()
    for r in all_rows:
        why = r.get("error") or r.get("skipped")
        if why and (r["bench"], why) not in shown:
            shown.add((r["bench"], why))
            text.append(f"  {r['bench']}: {'error' if 'error' in r else 'skipped'}: {why}")
    if left_out:
        text.append("left out: " + "; ".join(left_out))
    if note:
        text.append(note)
    return "\n".join(text)


def chosen_benches(only: list[str] | None) -> list[Bench]:
    """The benches ``--only`` names (comma-separated or repeated), in the runner's order."""
    names = {n.strip() for part in only or [] for n in part.split(",") if n.strip()}
    unknown = names - set(NAMES)
    if unknown:
        raise SystemExit(f"unknown bench: {', '.join(sorted(unknown))} (choose from {', '.join(NAMES)})")
    return [b for b in BENCHES if not names or b.name in names]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smaller counts, the slow parts left out (~30 s of CPU)")
    parser.add_argument("--only", action="append", metavar="NAME[,NAME]",
                        help=f"run only these ({', '.join(NAMES)})")
    parser.add_argument("--out", "--output", dest="out", type=Path, default=DEFAULT_OUT,
                        help=f"the JSON file (default {DEFAULT_OUT.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    chosen = chosen_benches(args.only)
    started = time.monotonic()
    report: dict[str, Any] = {
        "quick": args.quick, "only": [b.name for b in chosen] if args.only else None,
        "python": sys.version.split()[0], "platform": platform.platform(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "load_before": load(), "benches": {}}
    all_rows: list[dict[str, Any]] = []
    left_out: list[str] = []
    for bench in chosen:
        if args.quick and bench.quick is None:
            left_out.append(f"{bench.name} ({bench.why_not_quick or 'not quick'})")
            continue
        print(f"[bench] {bench.name} ...", file=sys.stderr, flush=True)
        outcome = run(bench, args.quick)
        own = dig(outcome, "result.left_out")    # what the bench itself says it left out
        if isinstance(own, list) and own:
            left_out += [f"{bench.name}: {item}" for item in own]
        elif args.quick and bench.quick_leaves_out:
            left_out.append(bench.quick_leaves_out)
        report["benches"][bench.name] = outcome
        all_rows += rows(bench, outcome, args.quick)
    seconds = round(time.monotonic() - started, 1)
    cpu = sum(o.get("cpu_seconds") or 0 for o in report["benches"].values())
    report.update(table=all_rows, left_out=left_out, seconds=seconds, cpu_seconds=round(cpu, 1),
                  load_after=load())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    averages = report["load_before"].get("load_average")
    note = f"{seconds:.0f} s in all, benches' own CPU {cpu:.0f} s"
    if averages:
        note += f"; load average before {averages[0]:.1f} on {report['load_before']['cpus']} cores"
    print(table(all_rows, left_out, note))
    print(f"\nJSON: {args.out}")
    return 1 if any("error" in r for r in all_rows) else 0


if __name__ == "__main__":
    sys.exit(main())
