"""Import speed (DTSEN, BPJS participants, 2024 cohort) and peak memory against a raw
``COPY`` of the same file, in one run.

    python bench/import_bench.py [--rows 1000000] [--program-rows 35782]
                                 [--pg-server postgresql://postgres@127.0.0.1:5432]

Writes one DTSEN extract as Excel saves it in Indonesia (Windows-1252, ``;``, an
apostrophe before each NIK and KK, DD-MM-YYYY dates, about 0.1% damaged rows), then on
throw-away PostgreSQL databases with central's migrations:

* ``central``: ``berjasa central import dtsen FILE --force --json`` work, i.e.
  ``central.imports.import_file`` (encoding check, streaming csv, per-row cleaning and
  refusals, duplicate check, rejects file, batched ``COPY`` into ``dtsen``, import row,
  re-evaluation of held records) in a child process, whose peak RSS
  (``resource.getrusage``) is the memory figure;
* ``raw_copy``: ``COPY staging FROM STDIN (FORMAT csv, DELIMITER ';', HEADER, ENCODING
  'WIN1252')`` of the same bytes into a text-only table: the database's load cost alone,
  no cleaning.

Then the same pair for the BPJS participant list (UTF-8 with BOM, ``,``) and the 2024
cohort (Windows-1252, ``;``, incomes written ``1.500.000``) as
``berjasa.synthetic.ProgramDataFaker`` writes them, ``--program-rows`` rows each (the
real cohort's size by default; 0 leaves them out), under ``bpjs`` and ``cohort``.

Prints JSON: rows, seconds and rows/s for both, the ratio, the child's peak memory,
and the targets (<= 30 s, <= 300 MB, for DTSEN at 1M). Linux/macOS (``resource``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
NAMES = ["Andi", "Baso", "Sitti", "Muh.", "Nurhayati", "Daeng", "Rahmat", "Hasnah", "Syamsul",
         "Haerani", "Abd.", "Rosmini", "Ilham", "Nurul", "Fitri", "Asri"]


def write_file(path: Path, rows: int, seed: int = 1) -> dict[str, int]:
    """The DTSEN extract: ``rows`` data rows; returns how many were damaged."""
    sys.path.insert(0, str(ROOT))
    from berjasa import reference
    from berjasa.synthetic import make_nik
    kelurahan = [r.code for r in reference.kelurahan_list()]
    rng = random.Random(seed)
    damaged = 0
    base = dt.date(1960, 1, 1)
    with path.open("w", encoding="cp1252", newline="") as out:
        out.write("NIK;No_KK;Nama;Tanggal_Lahir;Kode_Kelurahan;Desil_Nasional\r\n")
        for index in range(rows):
            born = base + dt.timedelta(days=rng.randint(0, 365 * 45))
            kel = rng.choice(kelurahan)
            region = kel.replace(".", "")[:6]
            # unique: the birth date, sex and a serial from the index keep 1M NIKs distinct
            serial = index // 10000 % 100 * 100 + index % 100
            nik = make_nik(born, "P" if index % 2 else "L", region, serial)
            kk = f"{region}0101{rng.randint(10, 24)}{rng.randint(1, 9999):04d}"
            name = f"{rng.choice(NAMES)} {rng.choice(NAMES)}"
            desil = rng.randint(1, 10)
            shown = f"'{nik}"
            if index % 1000 == 999:
                damaged += 1
                shown = f"{int(nik):.5E}"
            out.write(f"{shown};'{kk};{name};{born:%d-%m-%Y};{kel};{desil}\r\n")
    return {"damaged": damaged}


CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from central.imports import import_file
from central.storage.db import Database
db = Database(sys.argv[1])
start = time.perf_counter()
summary = import_file(db, Path(sys.argv[2]), sys.argv[4], Path(sys.argv[3]), {}, force=True)
seconds = time.perf_counter() - start
db.close()
usage = resource.getrusage(resource.RUSAGE_SELF)
peak_kb = usage.ru_maxrss
print(json.dumps({"seconds": seconds, "peak_mb": round(peak_kb / 1024, 1),
                  "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
                  "accepted": summary["accepted"], "rejected": summary["rejected"]}))
"""


COPY_OPTIONS = {"dtsen": (6, "DELIMITER ';', HEADER, ENCODING 'WIN1252'"),
                "bpjs-participants": (5, "DELIMITER ',', HEADER, ENCODING 'UTF8'"),
                "cohort": (8, "DELIMITER ';', HEADER, ENCODING 'WIN1252'")}


def raw_copy(url: str, path: Path, kind: str = "dtsen") -> float:
    """Seconds to COPY the file's bytes into a text-only table (one transaction)."""
    columns, options = COPY_OPTIONS[kind]
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE staging ("
                     + ", ".join(f"c{n} TEXT" for n in range(columns)) + ")")
        conn.commit()
        start = time.perf_counter()
        with conn.cursor() as cursor, cursor.copy(f"COPY staging FROM STDIN (FORMAT csv, {options})") \
                as copy, path.open("rb") as source:
            while block := source.read(1 << 20):
                copy.write(block)
        conn.commit()
        return time.perf_counter() - start


def measure(server: str, path: Path, kind: str, folder: Path, rows: int) -> dict:
    """``import_file`` in a child process and raw COPY, each on its own fresh database."""
    sys.path.insert(0, str(ROOT))
    from bench.throwaway_db import throwaway_database

    with (throwaway_database("postgresql", folder, pg_server=server, migrated=True) as central_url,
          throwaway_database("postgresql", folder, pg_server=server) as raw_url):
        raw_seconds = raw_copy(raw_url, path, kind)
        child = subprocess.run([sys.executable, "-c", CHILD, central_url, str(path), str(folder), kind],
                               capture_output=True, text=True, cwd=ROOT,
                               env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
        if child.returncode != 0:
            raise SystemExit(child.stderr)
        central = json.loads(child.stdout.strip().splitlines()[-1])
    return {
        "rows": rows, "file_mb": round(path.stat().st_size / 2**20, 1),
        "central": {"seconds": round(central["seconds"], 2),
                    "rows_per_s": round(rows / central["seconds"]),
                    "cpu_seconds_whole_child": central["cpu_seconds"],
                    "peak_mb": central["peak_mb"], "accepted": central["accepted"],
                    "rejected": central["rejected"]},
        "raw_copy": {"seconds": round(raw_seconds, 2), "rows_per_s": round(rows / raw_seconds)},
        "ratio_central_to_raw": round(central["seconds"] / raw_seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--program-rows", type=int, default=35_782,
                        help="rows of the BPJS participant list and of the cohort (0: leave out)")
    parser.add_argument("--pg-server", default="postgresql://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="berjasa-import-bench-") as tmp:
        folder = Path(tmp)
        path = folder / "dtsen.csv"
        made = write_file(path, args.rows)
        report = {**measure(args.pg_server, path, "dtsen", folder, args.rows),
                  "damaged_rows": made["damaged"]}
        if args.program_rows:
            sys.path.insert(0, str(ROOT))
            from berjasa.synthetic import write_program_data
            files = write_program_data(folder / "program", seed=3, dtsen_rows=0, damage=False,
                                       cohort_rows=args.program_rows,
                                       participants=args.program_rows // 2)
            # the participant list holds the cohort too (as BPJS's does)
            participants = args.program_rows + args.program_rows // 2
            report["bpjs"] = measure(args.pg_server, files["bpjs-participants"],
                                     "bpjs-participants", folder, participants)
            report["cohort"] = measure(args.pg_server, files["cohort"], "cohort", folder,
                                       args.program_rows)
    print(json.dumps({
        **report, "targets": {"seconds": 30, "peak_mb": 300},
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }, indent=2))


if __name__ == "__main__":
    main()
