"""Instructions per single POST and per ``:batch`` record, berjasa against the
intake bench's baseline, counted by valgrind's callgrind: the same whatever else
runs on the machine (the shared 2 cores make wall and CPU times swing 2x).

    python bench/intake_instructions.py [--singles 40] [--batch 500] [--sides base,ours,floor]
                                        [--repeat 1]

Each (side, kind) runs in its own process under ``valgrind --tool=callgrind
--instr-atstart=no``: both servers are those of ``intake_bench.py`` (waitress,
8 threads) with a ``requests`` client in the same process, as the bench runs
them; counting is switched on (callgrind's client requests, through a 4-line C
helper built with the system's C compiler into a temporary folder) only around
the measured requests, after a warm-up, and the counts of every thread are
written at exit. So each figure is the whole process's work for one request or
record: client, waitress, app, SQLite. Sides:

- ``base``: the baseline Flask + sqlite3 app of ``intake_bench.py``;
- ``ours``: the kelurahan server;
- ``floor``: bare Flask with the kelurahan's own token check (one ``SELECT``) and
  validation (``server.intake.load_enrollment``), storing nothing and echoing the
  record: what no change to the intake itself can go below.

Needs valgrind and a C compiler with valgrind's headers (``valgrind-dev`` /
``valgrind`` on Debian). Prints JSON. A count can still come out high when the
machine is busy (a :batch run of the baseline gave 265K, 273K and 440K per record
in three runs at load 1.4: the request body and answer then cross the socket in
more, smaller pieces, each a turn of waitress's loop and the client's); with
``--repeat N`` each (side, kind) runs N times and the figure is the least, with
every run listed under ``runs``. Crypto (SHA-256, HMAC) is counted as
valgrind's CPU model runs it, which may not use the machine's SHA instructions.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

HELPER = """#include <valgrind/callgrind.h>
void cg_start(void){ CALLGRIND_START_INSTRUMENTATION; }
void cg_stop(void){ CALLGRIND_STOP_INSTRUMENTATION; }
"""


def build_helper(folder: Path) -> Path:
    source, library = folder / "cg.c", folder / "libcg.so"
    source.write_text(HELPER)
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
    return library


def floor_app(folder: Path):
    """Bare Flask, the real token check and validation, nothing stored."""
    from flask import Flask, request

    from bench.intake_bench import berjasa_app
    from berjasa.database import connect
    from server import accounts, intake

    real = berjasa_app(folder)
    settings, db_path = real.config["SETTINGS"], real.config["DB_PATH"]
    app, local = Flask("floor"), threading.local()

    def db():
        if not hasattr(local, "conn"):
            local.conn = connect(db_path)
        return local.conn

    @app.before_request
    def check_token():
        token = request.headers.get("Authorization", "").partition(" ")[2]
        if accounts.user_for_bearer(db(), token, settings["token_ttl_minutes"]) is None:
            return {"code": "unauthorized"}, 401
        return None

    @app.post("/api/v1/enrollments")
    def create():
        payload = request.get_json()
        intake.load_enrollment(payload, settings)
        return payload, 201

    @app.post("/api/v1/enrollments:batch")
    def batch():
        items = request.get_json()["enrollments"]
        return {"results": [{"id": intake.load_enrollment(item, settings)["id"], "status": 201}
                            for item in items]}

    return app, real


def child(side: str, kind: str, singles: int, batch: int, helper: str) -> None:
    """One measurement, inside valgrind."""
    import requests

    from bench.intake_bench import KELURAHAN, PASSWORD, baseline_app, berjasa_app, serve
    from berjasa.synthetic import EnrollmentFaker

    counting = ctypes.CDLL(helper)
    tmp = Path(tempfile.mkdtemp())
    faker = EnrollmentFaker(KELURAHAN, seed=11)
    headers = {}
    if side == "base":
        url, server = serve(baseline_app(tmp / "baseline.db"))
    else:
        if side == "ours":
            app = real = berjasa_app(tmp / "kelurahan")
        else:
            app, real = floor_app(tmp / "kelurahan")
        url, server = serve(app)
        token = real.test_client().post("/api/v1/auth/token", json={
            "username": "bench", "password": PASSWORD}).json["token"]
        headers = {"Authorization": f"Bearer {token}"}
    session = requests.Session()
    session.headers.update(headers)
    for _ in range(10):  # warm-up
        assert session.post(f"{url}/api/v1/enrollments", json=faker.enrollment()).status_code == 201
    # and one batch of the measured size: its multi-row INSERT texts are then
    # prepared, as on a server that has taken such a batch before (the steady state)
    session.post(f"{url}/api/v1/enrollments:batch",
                 json={"enrollments": [faker.enrollment() for _ in range(batch)]})
    records = [faker.enrollment() for _ in range(singles if kind == "single" else batch)]
    counting.cg_start()
    if kind == "single":
        codes = [session.post(f"{url}/api/v1/enrollments", json=r).status_code for r in records]
    else:
        answer = session.post(f"{url}/api/v1/enrollments:batch", json={"enrollments": records})
        codes = [r["status"] for r in answer.json()["results"]]
    counting.cg_stop()
    assert set(codes) == {201}, set(codes)
    server.close()
    os._exit(0)  # the counts of every thread are written at exit


def measure(side: str, kind: str, singles: int, batch: int, helper: Path, folder: Path) -> int:
    """Instructions per request (single) or per record (batch)."""
    out = folder / f"callgrind.{side}.{kind}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [
        str(Path(__file__).resolve().parent.parent), os.environ.get("PYTHONPATH")]))}
    subprocess.run(["valgrind", "--tool=callgrind", "--instr-atstart=no",
                    f"--callgrind-out-file={out}", sys.executable, __file__, "--child",
                    side, kind, str(singles), str(batch), str(helper)],
                   check=True, env=env, capture_output=True)
    totals = re.search(r"^totals: (\d+)", out.read_text(), re.MULTILINE)
    assert totals, f"no totals in {out}"
    return int(totals.group(1)) // (singles if kind == "single" else batch)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        side, kind, singles, batch, helper = sys.argv[2:7]
        child(side, kind, int(singles), int(batch), helper)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--singles", type=int, default=40)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--sides", default="base,ours,floor")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    result: dict = {"python": sys.version.split()[0], "singles": args.singles,
                    "batch": args.batch}
    with tempfile.TemporaryDirectory() as tmp:
        helper = build_helper(Path(tmp))
        for side in args.sides.split(","):
            runs = {kind: [measure(side, kind, args.singles, args.batch, helper, Path(tmp))
                           for _ in range(max(1, args.repeat))] for kind in ("single", "batch")}
            result[side] = {"single_instructions": min(runs["single"]),
                            "batch_instructions_per_record": min(runs["batch"])}
            if args.repeat > 1:
                result[side]["runs"] = runs
    if "base" in result:
        for side in ("ours", "floor"):
            if side in result:
                result[side]["single_ratio"] = round(
                    result["base"]["single_instructions"] / result[side]["single_instructions"], 3)
                result[side]["batch_ratio"] = round(
                    result["base"]["batch_instructions_per_record"]
                    / result[side]["batch_instructions_per_record"], 3)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
