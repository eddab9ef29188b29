"""``python -m bench``: run every benchmark, write one JSON file and print a table.

Each benchmark is its own script (``bench/*_bench.py``) that measures berjasa AND a
baseline in the same run and prints JSON; this runner starts each one as a
subprocess (so one's memory and threads never colour the next), reads its JSON,
and puts each headline figure next to its baseline with the ratio.

    python -m bench                 # the full set (tens of minutes; sync needs root)
    python -m bench --quick         # everything in under two minutes, smaller counts
    python -m bench --only intake --only export

``--quick`` shrinks record counts and leaves out what cannot be quick (the sync
link profiles need root and minutes each); the table says what was left out.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


@dataclass(frozen=True)
class Figure:
    """One headline number: where it is in the bench's JSON, and its baseline."""

    label: str
    value: str                    # dotted path into the JSON
    unit: str
    baseline: str | None = None   # dotted path, or None when the figure is absolute
    ratio: str | None = None      # dotted path to a ratio the bench computed itself
    target: str = ""
    higher_is_better: bool = True


@dataclass(frozen=True)
class Bench:
    """One benchmark script and how to run it."""

    name: str
    script: str
    full: list[str]
    quick: list[str] | None       # None: left out of --quick
    figures: list[Figure]
    needs_root: bool = False
    why_not_quick: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)


BENCHES: list[Bench] = [
    Bench("intake", "intake_bench.py", [], ["--singles", "100", "--batch", "500"], [
        Figure("single POST", "berjasa.single_req_per_s", "req/s",
               "baseline_flask_sqlite3.single_req_per_s", "single_ratio_to_baseline", ">= 0.8"),
        Figure(":batch of records", "berjasa.batch_records_per_s", "records/s",
               "baseline_flask_sqlite3.batch_records_per_s", "batch_ratio_to_baseline", ">= 0.25"),
    ]),
    Bench("ingest", "ingest_bench.py", [], ["--records", "2000", "--rounds", "1"], [
        Figure("central ingest, SQLite", "sqlite.central.records_per_s", "records/s",
               "sqlite.raw.records_per_s", "sqlite.ratio_to_raw"),
        Figure("central ingest, PostgreSQL", "postgresql.central.records_per_s",
               "records/s", "postgresql.raw.records_per_s", "postgresql.ratio_to_raw"),
    ]),
    Bench("export", "export_bench.py", [], ["--rows", "10000"], [
        Figure("payment list XLSX, 100k rows", "berjasa.seconds", "s",
               "baseline_openpyxl.seconds", None, "<= 20 s", higher_is_better=False),
        Figure("payment list XLSX, peak memory", "berjasa.peak_rss_mb", "MB",
               "baseline_openpyxl.peak_rss_mb", None, "<= 200 MB", higher_is_better=False),
    ]),
    Bench("identity", "identity_match_bench.py", [], ["--pairs", "2000"], [
        Figure("DTSEN name match precision", "matcher.precision", "",
               "baseline_exact.precision", None, ">= 0.98"),
        Figure("DTSEN name match recall", "matcher.recall", "",
               "baseline_exact.recall", None, ">= 0.9"),
    ]),
    Bench("scale", "scale_bench.py", [], None, [
        Figure("1,000,000 records into PostgreSQL", "ingest.records_per_s", "records/s",
               "baseline_first_chunk_records_per_s", "ratio_last_to_first_chunk"),
        Figure("city-wide NIK lookup, 500 NIKs (p95)", "nik_lookup_500_ms.p95", "ms"),
        Figure("likely-duplicate candidates, 500 records (p95)",
               "likely_duplicate_candidates_500_ms.p95", "ms"),
    ], why_not_quick="a million records take many minutes"),
]


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


def run(bench: Bench, quick: bool) -> dict[str, Any]:
    """Run one bench script; its JSON or an error entry."""
    args = bench.quick if quick else bench.full
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p), **bench.extra_env}
    started = time.monotonic()
    answer = subprocess.run([sys.executable, str(HERE / bench.script), *(args or [])],
                            capture_output=True, text=True, env=env, cwd=ROOT)
    seconds = round(time.monotonic() - started, 1)
    if answer.returncode != 0:
        tail = (answer.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"error": f"exit {answer.returncode}: {tail}", "seconds": seconds}
    try:
        return {"result": last_json(answer.stdout), "seconds": seconds}
    except (json.JSONDecodeError, ValueError):
        return {"error": "no JSON on stdout", "seconds": seconds}


def rows(bench: Bench, outcome: dict[str, Any]) -> list[dict[str, Any]]:
    """The table rows of one bench's outcome."""
    out = []
    for figure in bench.figures:
        row: dict[str, Any] = {"bench": bench.name, "figure": figure.label, "unit": figure.unit,
                               "target": figure.target}
        if "error" in outcome:
            row["error"] = outcome["error"]
        else:
            result = outcome["result"]
            value, base = dig(result, figure.value), dig(result, figure.baseline)
            ratio = dig(result, figure.ratio)
            if ratio is None and isinstance(value, (int, float)) and isinstance(base, (int, float)) \
                    and base:
                ratio = round(value / base if figure.higher_is_better else base / value, 3)
            row.update(value=value, baseline=base, ratio=ratio)
        out.append(row)
    return out


def table(all_rows: list[dict[str, Any]], left_out: list[str]) -> str:
    """A plain-text table of every figure."""
    def show(value: Any) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.0f}"
        if isinstance(value, int):
            return f"{value:,}"
        return str(value)

    header = ("bench", "figure", "berjasa", "baseline", "ratio", "unit", "target")
    lines = [[r["bench"], r["figure"], show(r.get("value")) if "error" not in r else "ERROR",
              show(r.get("baseline")), show(r.get("ratio")), r["unit"], r["target"]]
             for r in all_rows]
    widths = [max(len(str(x)) for x in column) for column in zip(header, *lines)]
    text = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths))]
    text += ["  ".join(str(c).ljust(w) for c, w in zip(line, widths)) for line in lines]
    text += [f"  {r['bench']}: {r['error']}" for r in all_rows if "error" in r]
    if left_out:
        text.append("left out: " + "; ".join(left_out))
    return "\n".join(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="under two minutes, smaller counts")
    parser.add_argument("--only", action="append", choices=[b.name for b in BENCHES])
    parser.add_argument("--output", type=Path, default=HERE / "results.json")
    args = parser.parse_args(argv)
    chosen = [b for b in BENCHES if not args.only or b.name in args.only]
    report: dict[str, Any] = {"quick": args.quick, "python": sys.version.split()[0],
                              "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "benches": {}}
    all_rows, left_out = [], []
    for bench in chosen:
        if args.quick and bench.quick is None:
            left_out.append(f"{bench.name} ({bench.why_not_quick or 'not quick'})")
            continue
        if bench.needs_root and hasattr(os, "geteuid") and os.geteuid() != 0:
            left_out.append(f"{bench.name} (needs root for the emulated link)")
            continue
        print(f"[bench] {bench.name} ...", file=sys.stderr, flush=True)
        outcome = run(bench, args.quick)
        report["benches"][bench.name] = outcome
        all_rows += rows(bench, outcome)
    report["table"] = all_rows
    report["left_out"] = left_out
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                           encoding="utf-8")
    print(table(all_rows, left_out))
    print(f"\nJSON: {args.output}")
    return 1 if any("error" in r for r in all_rows) else 0


if __name__ == "__main__":
    sys.exit(main())
