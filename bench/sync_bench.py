"""Sync over an emulated kelurahan link: 20,000 approved records pushed by the real
agent to a real central, across ../shared/tools/badlink (central in netns
berjasa-c, agent in berjasa-k), bytes counted on the veth. Prints JSON.

    sudo /work/shared/tools/badlink/link.sh up 1000 300 3
    sudo python bench/sync_bench.py [--records 20000] [--parallel 6] [--rate-kbit 1000]

Baselines from the same records in the same run: plain zstd-3 of compact JSON in
batches of 500, and a CouchDB/PouchDB-style replication (``_revs_diff`` +
``_bulk_docs`` with per-doc ``_id``/``_rev``/``_revisions``, uncompressed JSON as
PouchDB sends it, batches of 100, checkpoint writes, HTTP headers).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import zstandard

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KELURAHAN = "73.71.01.1001"
NS_K, NS_C, CENTRAL_IP, PORT = "berjasa-k", "berjasa-c", "10.77.0.2", 8090
BERJASA = [sys.executable, "-c", "from berjasa.cli import main; main()"]
# Headers PouchDB's fetch sends on each replication request (as a browser would).
POUCH_HEADERS = ("POST /berjasa/_bulk_docs HTTP/1.1\r\nHost: 10.77.0.2:5984\r\n"
                 "Accept: application/json\r\nContent-Type: application/json\r\n"
                 "Authorization: Basic YmVyamFzYTpzZWNyZXQtcGFzc3dvcmQ=\r\n"
                 "Content-Length: 1234567\r\nConnection: keep-alive\r\n\r\n")
COUCH_RESPONSE_HEADERS = ("HTTP/1.1 201 Created\r\nCache-Control: must-revalidate\r\n"
                          "Content-Type: application/json\r\nDate: Mon, 06 Oct 2025 01:00:00 GMT\r\n"
                          "Server: CouchDB/3.3.3 (Erlang OTP/24)\r\nX-Couch-Request-ID: 0123456789\r\n"
                          "X-CouchDB-Body-Time: 0\r\nContent-Length: 1234567\r\n\r\n")


def make_records(count: int) -> list[dict]:
    """The synthetic approved records (unique NIKs), shaped as the agent sends them."""
    from berjasa.synthetic import approved_records

    records, seen = [], set()
    seed = 0
    while len(records) < count:
        for record in approved_records(count, KELURAHAN, seed=seed):
            if record["nik"] not in seen and len(records) < count:
                seen.add(record["nik"])
                records.append(record)
        seed += 1
    return records


def zstd3_reference(records: list[dict], size: int = 500) -> int:
    """Bytes of plain zstd level 3 of compact JSON, batches of ``size``."""
    total = 0
    for i in range(0, len(records), size):
        plain = json.dumps(records[i:i + size], separators=(",", ":"), ensure_ascii=False).encode()
        total += len(zstandard.ZstdCompressor(level=3).compress(plain))
    return total


def couchdb_estimate(records: list[dict], size: int = 100) -> dict[str, int]:
    """Bytes of a PouchDB -> CouchDB push of the same documents, request by request."""
    def rev(doc: dict) -> str:
        return hashlib.md5(json.dumps(doc, sort_keys=True).encode()).hexdigest()

    total = {"revs_diff": 0, "bulk_docs": 0, "checkpoint": 0, "headers": 0}
    for i in range(0, len(records), size):
        docs = records[i:i + size]
        revs = {d["id"]: f"1-{rev(d)}" for d in docs}
        diff_req = json.dumps({k: [v] for k, v in revs.items()}, separators=(",", ":"))
        diff_resp = json.dumps({k: {"missing": [v]} for k, v in revs.items()}, separators=(",", ":"))
        bulk = json.dumps({"docs": [{**{k: v for k, v in d.items() if k != "id"}, "_id": d["id"],
                                     "_rev": revs[d["id"]],
                                     "_revisions": {"start": 1, "ids": [revs[d["id"]][2:]]}}
                                    for d in docs], "new_edits": False},
                          separators=(",", ":"), ensure_ascii=False)
        checkpoint = json.dumps({"_id": "_local/5c2a1f0e9d8b7a6c5d4e3f2a1b0c9d8e", "_rev": f"0-{i // size + 1}",
                                 "session_id": "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c",
                                 "last_seq": i + len(docs), "history": [
                                     {"last_seq": i + len(docs), "session_id": "3f2a1b0c"}],
                                 "replicator": "pouchdb", "version": 1}, separators=(",", ":"))
        total["revs_diff"] += len(diff_req) + len(diff_resp)
        total["bulk_docs"] += len(bulk.encode()) + 2  # answer to new_edits=false: []
        total["checkpoint"] += 2 * len(checkpoint) + 60  # GET + PUT of the _local doc, PUT's answer
        total["headers"] += 4 * (len(POUCH_HEADERS) + len(COUCH_RESPONSE_HEADERS))
    total["total"] = sum(total.values())
    return total


def prepare(work: Path, records: list[dict], database: str | None) -> dict:
    """Kelurahan folder with the records approved; central initialised; a code."""
    from berjasa.database import connect, transaction
    from server.install import init_kelurahan
    from server.storage.enrollments import insert_enrollment

    kel = work / "kelurahan"
    init_kelurahan(kel, KELURAHAN)
    conn = connect(kel / "kelurahan.db")
    now = "2025-10-07T08:00:00+00:00"
    with transaction(conn):
        for r in records:
            insert_enrollment(conn, {**r, "status": "approved", "warnings": [], "intake_hash": "bench",
                                     "last_edited_by": r["enumerator"], "received_at": now,
                                     "updated_at": now})
    conn.close()
    central = work / "central"
    init = [*BERJASA, "central", "init", "--data-dir", str(central)]
    subprocess.run(init + (["--database", database] if database else []), check=True,
                   capture_output=True)
    code = subprocess.run([*BERJASA, "central", "device", "add", "--kelurahan", KELURAHAN,
                           "--data-dir", str(central)], check=True, capture_output=True,
                          text=True).stdout.strip().splitlines()[-1]
    return {"kelurahan": kel, "central": central, "code": code}


def agent_phase(kel: Path, code: str, parallel: int, batch: int) -> None:
    """Inside netns berjasa-k: register, count veth bytes around one run, print JSON."""
    import requests

    from berjasa.cli import declare_settings
    from berjasa.settings import load_settings
    from sync.agent import run_once

    declare_settings()
    url = f"http://{CENTRAL_IP}:{PORT}"
    for _ in range(600):
        try:
            if requests.get(url + "/health", timeout=5).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.5)
    # a private test network between two namespaces: plain http on purpose
    subprocess.run([*BERJASA, "sync", "register", "--central", url, "--code", code, "--data-dir",
                    str(kel), "--insecure-http"], check=True, capture_output=True)
    settings = load_settings(kel, {"sync_parallel_requests": parallel, "sync_batch_size": batch,
                                   "sync_run_seconds": 900.0, "sync_read_timeout_seconds": 60.0})
    if os.environ.get("SYNC_BENCH_LOG"):
        import logging
        logging.basicConfig(filename=os.environ["SYNC_BENCH_LOG"], level=logging.DEBUG,
                            format="%(relativeCreated)7.0f %(threadName)s %(message)s")
        logging.getLogger("urllib3").setLevel(logging.INFO)
    stats = Path("/sys/class/net/veth-k/statistics")
    before = {n: int((stats / n).read_text()) for n in ("tx_bytes", "rx_bytes")}
    import resource
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    report = run_once(kel, settings, "test")
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    after = {n: int((stats / n).read_text()) for n in ("tx_bytes", "rx_bytes")}
    print(json.dumps({"report": report.as_dict(),
                      "veth_tx_bytes": after["tx_bytes"] - before["tx_bytes"],
                      "veth_rx_bytes": after["rx_bytes"] - before["rx_bytes"],
                      "agent_cpu_seconds": round(cpu_after.ru_utime + cpu_after.ru_stime
                                                 - cpu.ru_utime - cpu.ru_stime, 2)}))


def main() -> None:
    """Run the whole bench and print the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--parallel", type=int, default=16)
    parser.add_argument("--rate-kbit", type=float, default=1000.0, help="the link's rate (for the limit)")
    parser.add_argument("--agent-phase", nargs=2, metavar=("KEL_DIR", "CODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.agent_phase:
        agent_phase(Path(args.agent_phase[0]), args.agent_phase[1], args.parallel, args.batch)
        return
    records = make_records(args.records)
    work = Path(tempfile.mkdtemp(prefix="berjasa-sync-bench-"))
    ready = prepare(work, records, None)
    central = subprocess.Popen(["ip", "netns", "exec", NS_C, *BERJASA, "central", "serve", "--host",
                                CENTRAL_IP, "--port", str(PORT), "--data-dir", str(ready["central"])],
                               stdout=subprocess.DEVNULL, stderr=open(work / "central.log", "wb"))
    try:
        started = time.monotonic()
        phase = subprocess.run(["ip", "netns", "exec", NS_K, sys.executable, __file__, "--parallel",
                                str(args.parallel), "--batch", str(args.batch), "--agent-phase",
                                str(ready["kelurahan"]), ready["code"]],
                               capture_output=True, text=True, env={**os.environ})
        if phase.returncode != 0:
            raise SystemExit(f"agent phase failed: {phase.stderr[-2000:]}")
        result = json.loads(phase.stdout.strip().splitlines()[-1])
    finally:
        central.terminate()
        central.wait(10)
    report, count = result["report"], args.records
    wire = result["veth_tx_bytes"] + result["veth_rx_bytes"]
    app_bytes = report["bytes_up"] + report["bytes_down"]
    reference = zstd3_reference(records)
    couch = couchdb_estimate(records)
    rate = args.rate_kbit * 1000 / 8
    seconds = report["seconds"]
    print(json.dumps({
        "records": report["records_sent"], "records_requested": count, "ok": report["ok"],
        "batch_size": args.batch, "parallel_requests": args.parallel,
        "seconds": seconds, "records_per_second": round(report["records_sent"] / seconds, 1),
        "wire_bytes_per_record": round(wire / count, 1),
        "wire_bytes_up": result["veth_tx_bytes"], "wire_bytes_down": result["veth_rx_bytes"],
        "app_bytes_per_record": round(app_bytes / count, 1),
        "link_limit_seconds": round(report["bytes_up"] / rate, 2),
        "link_limit_seconds_wire": round(result["veth_tx_bytes"] / rate, 2),
        "ratio_to_link_limit": round(seconds / (report["bytes_up"] / rate), 2),
        "reference_zstd3_bytes_per_record": round(reference / count, 1),
        "ratio_wire_to_zstd3": round(wire / reference, 3),
        "couchdb_bytes_per_record": round(couch["total"] / count, 1),
        "couchdb_breakdown_bytes": couch,
        "couchdb_over_ours_wire": round(couch["total"] / wire, 1),
        "agent_cpu_seconds": result["agent_cpu_seconds"],
        "work_dir": str(work),
    }, indent=2))


if __name__ == "__main__":
    main()
