"""Sync over an emulated kelurahan link: the real agent pushes synthetic approved
records to a real central across ../shared/tools/badlink (central in netns
berjasa-c, agent in berjasa-k), at two link profiles, beside a real PouchDB ->
CouchDB-protocol replication (bench/pouchdb: pouchdb-node -> express-pouchdb) of
the same records over the same link. Prints JSON; needs root.

    python bench/sync_bench.py                  # both profiles + PouchDB (several minutes)
    python bench/sync_bench.py --quick          # 1,000 records, "today" only, no PouchDB
    python bench/sync_bench.py --profile island --no-pouchdb --records 5000

``measure(quick)`` is what ``python -m bench`` calls; it brings the link up for each
profile and always takes it down again. bench/README.md explains every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

KELURAHAN = "73.71.01.1001"
# link.sh's namespaces (its LAB_NS_K / LAB_NS_C, which it reads from the same environment)
NS_K = os.environ.get("LAB_NS_K", "berjasa-k")
NS_C = os.environ.get("LAB_NS_C", "berjasa-c")
CENTRAL_IP = "10.77.0.2"
CENTRAL_PORT, COUCH_PORT = 8090, 5984
LINK = Path(os.environ.get("BERJASA_BADLINK", ROOT.parent / "shared" / "tools" / "badlink" / "link.sh"))
if not LINK.exists():
    LINK = Path("/work/shared/tools/badlink/link.sh")
POUCH_DIR = Path(__file__).resolve().parent / "pouchdb"
BERJASA = [sys.executable, "-c", "from berjasa.cli import main; main()"]
RECORDS_FULL, RECORDS_QUICK = 5000, 1000
POUCH_BATCH_SIZE = 100  # PouchDB's default batch_size
POUCH_TIMEOUT_SECONDS = float(os.environ.get("SYNC_BENCH_POUCH_SECONDS", "1800"))


@dataclass(frozen=True)
class Profile:
    """One emulated link: rate, round trip, loss each way, and the cut schedule."""

    name: str
    rate_kbit: int
    rtt_ms: int
    loss_pct: float
    cut_seconds: float = 0.0      # 0: never cut
    cut_every: float = 60.0       # a cut starts this often ...
    first_cut_after: float = 5.0  # ... the first this long after the transfer starts

    def describe(self) -> str:
        """Human summary for the JSON."""
        text = f"{self.rate_kbit} kbit/s, {self.rtt_ms} ms RTT, {self.loss_pct:g} % loss each way"
        if self.cut_seconds:
            text += (f", cut {self.cut_seconds:g} s every {self.cut_every:g} s "
                     f"(first {self.first_cut_after:g} s in)")
        return text


PROFILES = {
    "today": Profile("today", 1000, 300, 3),
    "island": Profile("island", 256, 800, 10, cut_seconds=10),
}


# --------------------------------------------------------------------------- set-up

def missing_tools() -> str | None:
    """Why the bench cannot run here, or None."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "butuh root (network namespaces); jalankan sebagai root"
    if not LINK.exists():
        return f"badlink tidak ditemukan di {LINK}"
    for tool in ("ip", "tc", "nft", "ethtool"):
        if shutil.which(tool) is None:
            return f"alat '{tool}' tidak ada (apt-get install -y nftables ethtool iputils-ping iptables)"
    if shutil.which("iptables-legacy") is None and shutil.which("iptables") is None:
        return "alat 'iptables' tidak ada (apt-get install -y iptables)"
    return None


def _without_pouchdb() -> str | None:
    """Why the PouchDB comparison cannot run here (ours still can), or None."""
    if shutil.which("node") is None or not (POUCH_DIR / "node_modules").exists():
        return "node atau bench/pouchdb/node_modules tidak ada (cd bench/pouchdb && npm ci)"
    return None


def link(*args: str) -> str:
    """Run link.sh; its stdout."""
    return subprocess.run(["bash", str(LINK), *args], check=True, capture_output=True, text=True).stdout


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


def prepare(work: Path, records: list[dict]) -> dict:
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
    subprocess.run([*BERJASA, "central", "init", "--data-dir", str(central)], check=True,
                   capture_output=True)
    code = subprocess.run([*BERJASA, "central", "device", "add", "--kelurahan", KELURAHAN,
                           "--data-dir", str(central)], check=True, capture_output=True,
                          text=True).stdout.strip().splitlines()[-1]
    return {"kelurahan": kel, "central": central, "code": code}


# --------------------------------------------------------------------------- cuts

class Cutter:
    """Cuts the link (``link.sh cut``) on the profile's schedule from a background
    thread, from ``start()`` until ``stop()``; remembers each cut's wall-clock span."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.cuts: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin the schedule now (no-op for a profile without cuts)."""
        if not self.profile.cut_seconds:
            return
        self._thread = threading.Thread(target=self._run, daemon=True, name="link-cutter")
        self._thread.start()

    def _run(self) -> None:
        wait = self.profile.first_cut_after
        while not self._stop.wait(wait):
            began = time.time()
            link("cut", f"{self.profile.cut_seconds:g}")
            self.cuts.append((began, time.time()))
            wait = max(0.0, self.profile.cut_every - (time.time() - began))

    def stop(self) -> None:
        """No new cut; wait for a cut under way to end (the link is whole after)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def overlap(self, start: float, end: float) -> float:
        """Seconds of cut inside [start, end]."""
        return sum(max(0.0, min(end, b) - max(start, a)) for a, b in self.cuts)


def resends_after_cuts(sends: list[list], answers: dict[str, float], cuts: list[tuple[float, float]]
                       ) -> dict[str, Any]:
    """How many batches were POSTed again after each cut (a batch counts once per
    cut interval, however many times it went again), and whether any batch was sent
    again after its answer had arrived (must be 0). ``sends`` holds [time, batch id,
    delivered]: a try that never connected (ConnectTimeout) sent no byte of the batch
    and is counted in ``connect_retries`` only."""
    seen: set[str] = set()
    again: list[tuple[float, str]] = []
    for at, batch_id, delivered in sorted(sends):
        if not delivered:
            continue
        if batch_id in seen:
            again.append((at, batch_id))
        seen.add(batch_id)
    per_cut = []
    for i, (began, _) in enumerate(cuts):
        until = cuts[i + 1][0] if i + 1 < len(cuts) else float("inf")
        per_cut.append(len({b for at, b in again if began <= at < until}))
    before_first = len({b for at, b in again if not cuts or at < cuts[0][0]})
    return {"per_cut": per_cut, "max_after_a_cut": max(per_cut, default=0),
            "resent_without_cut": before_first, "resends_total": len(again),
            "connect_retries": sum(1 for send in sends if not send[2]),
            "resent_after_answer": sum(1 for at, b in again if b in answers and at > answers[b])}


# --------------------------------------------------------------------------- ours

def agent_phase(kel: Path, code: str, overrides: dict[str, Any]) -> None:
    """Inside netns berjasa-k: register, print a start mark, count veth bytes around
    one run, print JSON (with every batch send and answer, wall-clock)."""
    import logging
    import resource

    import requests

    from berjasa.cli import declare_settings
    from berjasa.settings import load_settings
    from sync.scheduler import SyncSchedule

    declare_settings()
    url = f"http://{CENTRAL_IP}:{CENTRAL_PORT}"
    for _ in range(600):
        try:
            if requests.get(url + "/health", timeout=5).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.5)
    # a private test network between two namespaces: plain http on purpose
    subprocess.run([*BERJASA, "sync", "register", "--central", url, "--code", code, "--data-dir",
                    str(kel), "--insecure-http"], check=True, capture_output=True)
    settings = load_settings(kel, overrides)
    sends: list[list] = []
    answers: dict[str, float] = {}

    class Sends(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if getattr(record, "event", None) == "batch_sent":
                sends.append([record.created, record.batch_id, True])
            elif record.msg == "batch %s answered after %d tries":
                answers[record.args[0]] = record.created
            elif record.msg == "batch %s: %s (try %d)" and "ConnectTimeout" in str(record.args[1]):
                # no connection, so no byte of this try left the laptop
                for send in reversed(sends):
                    if send[1] == record.args[0]:
                        send[2] = False
                        break

    sync_log = logging.getLogger("berjasa.sync")
    sync_log.setLevel(logging.DEBUG)
    sync_log.addHandler(Sends())
    if os.environ.get("SYNC_BENCH_LOG"):  # a timeline of the run, for profiling
        logging.basicConfig(filename=os.environ["SYNC_BENCH_LOG"], level=logging.DEBUG,
                            format="%(created).3f %(threadName)s %(name)s %(message)s")
    stats = Path("/sys/class/net/veth-k/statistics")
    before = {n: int((stats / n).read_text()) for n in ("tx_bytes", "rx_bytes")}
    if os.environ.get("SYNC_BENCH_LOG"):
        threading.Thread(target=_log_veth_bytes, args=(stats,), daemon=True, name="veth").start()
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    # The scheduled agent as `berjasa sync run` runs it: runs of sync_run_seconds,
    # the next one at once while work is left, back-off after a failed run.
    reports: list[dict] = []
    done = threading.Event()

    def on_report(report) -> None:
        reports.append({**report.as_dict(), "ended": time.time()})
        if not report.pending or len(reports) >= 100:
            done.set()

    print(json.dumps({"started": time.time()}), flush=True)
    began = time.time()
    schedule = SyncSchedule(kel, settings, on_report=on_report)
    schedule.start()
    done.wait(1800)
    ended = time.time()
    schedule.shutdown()
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    after = {n: int((stats / n).read_text()) for n in ("tx_bytes", "rx_bytes")}
    payload = payload_bytes(kel)
    report = {"seconds": round(ended - began, 3), "runs": len(reports),
              "results": [r["result"] for r in reports],
              "errors": [r["error"] for r in reports if r["error"]],
              "ok": bool(reports) and not reports[-1]["pending"],
              "error": reports[-1]["error"] if reports else "no run ended",
              "pending": reports[-1]["pending"] if reports else None,
              **{k: sum(r[k] for r in reports) for k in
                 ("records_sent", "batches_sent", "accepted", "bytes_up", "bytes_down")}}
    print(json.dumps({"report": report, "began": began, "ended": ended,
                      "veth_tx_bytes": after["tx_bytes"] - before["tx_bytes"],
                      "veth_rx_bytes": after["rx_bytes"] - before["rx_bytes"],
                      "sends": sends, "answers": answers, "payload_bytes": payload,
                      "agent_cpu_seconds": round(cpu_after.ru_utime + cpu_after.ru_stime
                                                 - cpu.ru_utime - cpu.ru_stime, 2)}), flush=True)


def _log_veth_bytes(stats: Path) -> None:
    """Every 0.1 s, the veth's bytes so far into the run's timeline log."""
    import logging

    log = logging.getLogger("bench.veth")
    while True:
        log.warning("veth tx %s rx %s", (stats / "tx_bytes").read_text().strip(),
                    (stats / "rx_bytes").read_text().strip())
        time.sleep(0.1)


def payload_bytes(kel: Path) -> int:
    """What the sync must carry at least: every batch once (body and protocol
    headers) and its answer, as stored by the agent; the issue's "link limit" is
    these bytes over the link rate (bench/README.md)."""
    from berjasa.database import connect

    conn = connect(kel / "kelurahan.db")
    try:
        total = 0
        for body, headers, answer in conn.execute(
                "SELECT length(body), headers, length(answer) FROM sync_batches"):
            total += (body or 0) + (answer or 0) + sum(
                len(k) + len(v) + 4 for k, v in json.loads(headers).items())
        return total
    finally:
        conn.close()


def _cpu_seconds(pid: int) -> float | None:
    """utime + stime of a live process (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 2)
    except (OSError, IndexError, ValueError):
        return None


class TimedOut(Exception):
    """The transfer was stopped at the bench's time limit."""

    def __init__(self, started: float, cutter: Cutter) -> None:
        super().__init__("time limit")
        self.started, self.ended, self.cutter = started, time.time(), cutter


def veth_bytes() -> tuple[int, int]:
    """(tx, rx) bytes so far on the kelurahan side's veth, read from outside."""
    read = [subprocess.run(["ip", "netns", "exec", NS_K, "cat", f"/sys/class/net/veth-k/statistics/{n}"],
                           capture_output=True, text=True, check=True).stdout for n in ("tx_bytes", "rx_bytes")]
    return int(read[0]), int(read[1])


def _run_with_cuts(command: list[str], profile: Profile, timeout: float, env: dict | None = None,
                   on_start=None) -> tuple[dict, Cutter]:
    """Start ``command`` (in netns berjasa-k); when it prints its start mark, call
    ``on_start`` and start the cut schedule; its last JSON line and the cutter.
    TimedOut when it was still running after ``timeout`` seconds."""
    cutter = Cutter(profile)
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    killed = threading.Event()

    def kill() -> None:
        killed.set()
        proc.kill()

    killer = threading.Timer(timeout, kill)
    killer.start()
    last, started = None, time.time()
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("{"):
                data = json.loads(line)
                if "started" in data and len(data) == 1:
                    started = time.time()
                    if on_start:
                        on_start()
                    cutter.start()
                else:
                    last = data
        stderr = proc.stderr.read() if proc.stderr else ""
        proc.wait()
    finally:
        killer.cancel()
        cutter.stop()
    if killed.is_set():
        raise TimedOut(started, cutter)
    if proc.returncode != 0 or last is None:
        raise RuntimeError(f"exit {proc.returncode}: {stderr.strip()[-1500:]}")
    return last, cutter


def figures(profile: Profile, seconds: float, began: float, ended: float, tx: int, rx: int,
            records: int, cutter: Cutter, payload: int | None = None) -> dict[str, Any]:
    """The common figures of one transfer: wire bytes, the link limit, the ratio;
    with ``payload`` (the protocol bytes the records need) also the issue's
    definition: payload / rate + the seconds the link was cut."""
    rate = profile.rate_kbit * 1000 / 8
    cut = round(cutter.overlap(began, ended), 1)
    limit = max(tx, rx) / rate + cut
    out = {"records": records, "seconds": round(seconds, 2),
           "wire_bytes": tx + rx, "wire_bytes_up": tx, "wire_bytes_down": rx,
           "wire_bytes_per_record": round((tx + rx) / max(1, records), 1),
           "cut_seconds_during_run": cut, "cuts": len(cutter.cuts),
           "link_limit_seconds": round(limit, 2),
           "ratio_to_link_limit": round(seconds / limit, 2) if limit else None}
    if payload:
        payload_limit = payload / rate + cut
        out.update({"payload_bytes": payload,
                    "payload_limit_seconds": round(payload_limit, 2),
                    "ratio_to_payload_limit": round(seconds / payload_limit, 2)})
    return out


def measure_ours(profile: Profile, records: list[dict], work: Path,
                 overrides: dict[str, Any]) -> dict[str, Any]:
    """The agent's run over the link that is up now."""
    ready = prepare(work, records)
    # a PYTHONPATH given to the bench comes first (a variant of the agent to try), then this tree
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (os.environ.get("PYTHONPATH", ""), str(ROOT)) if p)}
    with open(work / "central.log", "wb") as central_log:
        central = subprocess.Popen(["ip", "netns", "exec", NS_C, *BERJASA, "central", "serve",
                                    "--host", CENTRAL_IP, "--port", str(CENTRAL_PORT),
                                    "--data-dir", str(ready["central"])],
                                   stdout=subprocess.DEVNULL, stderr=central_log)
    try:
        command = ["ip", "netns", "exec", NS_K, sys.executable, __file__, "--agent-phase",
                   str(ready["kelurahan"]), ready["code"], json.dumps(overrides)]
        cpu_before = _cpu_seconds(central.pid)
        result, cutter = _run_with_cuts(command, profile, 1800.0, env=env)
        cpu_after = _cpu_seconds(central.pid)
    finally:
        central.terminate()
        central.wait(10)
    report = result["report"]
    out = figures(profile, report["seconds"], result["began"], result["ended"],
                  result["veth_tx_bytes"], result["veth_rx_bytes"], report["records_sent"], cutter,
                  result.get("payload_bytes"))
    out.update({
        "ok": report["ok"], "error": report["error"], "pending_after": report["pending"],
        "runs": report["runs"], "run_results": report["results"], "run_errors": report["errors"],
        "batches": report["batches_sent"], "accepted": report["accepted"],
        "app_bytes_up": report["bytes_up"], "app_bytes_down": report["bytes_down"],
        "batches_sent_again": resends_after_cuts(result["sends"], result["answers"], cutter.cuts),
        "agent_cpu_seconds": result["agent_cpu_seconds"],
        "central_cpu_seconds": (round(cpu_after - cpu_before, 2)
                                if cpu_after is not None and cpu_before is not None else None),
        "settings": overrides or "agent defaults",
    })
    return out


# --------------------------------------------------------------------------- PouchDB

def measure_pouchdb(profile: Profile, records: list[dict], work: Path,
                    retry: bool = False) -> dict[str, Any]:
    """pouchdb-node in berjasa-k replicating into express-pouchdb in berjasa-c;
    ``retry``: a live replication with ``retry: true`` (goes on after a cut), else
    the one-shot ``PouchDB.replicate`` (stops at the first failed request)."""
    work.mkdir(parents=True, exist_ok=True)
    jsonl = work / "records.jsonl"
    jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                     encoding="utf-8")
    (work / "couch").mkdir()
    (work / "pouch").mkdir()
    with open(work / "couch.log", "wb") as couch_log:
        server = subprocess.Popen(["ip", "netns", "exec", NS_C, "node", str(POUCH_DIR / "server.js"),
                                   CENTRAL_IP, str(COUCH_PORT), str(work / "couch")],
                                  stdout=subprocess.PIPE, stderr=couch_log, text=True)
    try:
        assert server.stdout is not None
        server.stdout.readline()  # {"listening": ...}
        command = ["ip", "netns", "exec", NS_K, "node", str(POUCH_DIR / "replicate.js"), str(jsonl),
                   str(work / "pouch"), f"http://{CENTRAL_IP}:{COUCH_PORT}/berjasa",
                   str(POUCH_BATCH_SIZE), *(["retry"] if retry else [])]
        before: list[tuple[int, int]] = []
        try:
            result, cutter = _run_with_cuts(command, profile, POUCH_TIMEOUT_SECONDS,
                                            on_start=lambda: before.append(veth_bytes()))
        except TimedOut as stopped:
            return _pouchdb_timed_out(profile, len(records), stopped, before[0] if before else (0, 0))
    finally:
        server.terminate()
        server.wait(10)
    out = figures(profile, result["seconds"], result["began"], result["ended"],
                  result["veth_tx_bytes"], result["veth_rx_bytes"], result["docs_written"], cutter)
    out.update({"ok": result["ok"] and result["remote_doc_count"] == len(records),
                "remote_doc_count": result["remote_doc_count"],
                "doc_write_failures": result["doc_write_failures"],
                "batch_size": result["batch_size"],
                "retry": result.get("retry", False),
                "failed_tries": result.get("failed_tries", 0),
                "what": "pouchdb-node 9 -> express-pouchdb 4 (pouchdb-node, LevelDB), " + (
                    "live replication with retry: true, cancelled once every document is written"
                    if retry else "PouchDB.replicate defaults")})
    return out


def _pouchdb_timed_out(profile: Profile, total: int, stopped: TimedOut, before: tuple[int, int]
                       ) -> dict[str, Any]:
    """Figures of a replication stopped at the time limit: what had arrived, the
    bytes so far, and the time all records would take at that pace."""
    tx, rx = veth_bytes()
    count = subprocess.run(["ip", "netns", "exec", NS_K, sys.executable, "-c",
                            ("import json, urllib.request; print(json.load(urllib.request.urlopen("
                             f"'http://{CENTRAL_IP}:{COUCH_PORT}/berjasa', timeout=30))['doc_count'])")],
                           capture_output=True, text=True, check=False)
    arrived = int(count.stdout.strip() or 0) if count.returncode == 0 else 0
    seconds = stopped.ended - stopped.started
    out = figures(profile, seconds, stopped.started, stopped.ended, tx - before[0], rx - before[1],
                  arrived, stopped.cutter)
    out.update({"ok": False, "timed_out": True, "time_limit_seconds": POUCH_TIMEOUT_SECONDS,
                "remote_doc_count": arrived,
                "projected_seconds_for_all": round(seconds * total / arrived, 1) if arrived else None,
                "what": "pouchdb-node 9 -> express-pouchdb 4; stopped at the time limit"})
    return out


# --------------------------------------------------------------------------- runner

def run_profile(profile: Profile, count: int, pouchdb: bool, overrides: dict[str, Any],
                pouch_retry: bool = False) -> dict:
    """Bring the link up at ``profile``, measure ours (and PouchDB), return figures.
    PouchDB replicates live with ``retry: true`` on a profile with cuts (a one-shot
    replication ends at the first cut) or when ``pouch_retry``."""
    records = make_records(count)
    link("up", str(profile.rate_kbit), str(profile.rtt_ms), f"{profile.loss_pct:g}", "--no-check")
    out: dict[str, Any] = {"link": profile.describe()}
    with tempfile.TemporaryDirectory(prefix=f"berjasa-sync-{profile.name}-") as tmp:
        out["berjasa"] = measure_ours(profile, records, Path(tmp) / "ours", overrides)
        if pouchdb:
            try:
                out["pouchdb"] = measure_pouchdb(profile, records, Path(tmp) / "pouch",
                                                 pouch_retry or bool(profile.cut_seconds))
            except Exception as exc:  # noqa: BLE001  the comparison failing must not hide ours
                out["pouchdb"] = {"error": f"{type(exc).__name__}: {exc}"[:2000]}
    ours, pouch = out["berjasa"], out.get("pouchdb", {})
    if pouch.get("seconds") and pouch.get("wire_bytes"):
        out["pouchdb_over_berjasa"] = {"seconds": round(pouch["seconds"] / ours["seconds"], 2),
                                       "wire_bytes": round(pouch["wire_bytes"] / ours["wire_bytes"], 2)}
    return out


def measure(quick: bool, profiles: list[str] | None = None, records: int | None = None,
            pouchdb: bool | None = None, overrides: dict[str, Any] | None = None,
            pouch_retry: bool = False) -> dict[str, Any]:
    """Sync over the emulated link, for ``python -m bench``. Never raises:
    ``{"skipped": reason}`` without root or tools, ``{"error": ...}`` if a run failed.

    Full: ``today`` and ``island``, 5,000 records each, ours and PouchDB. Quick:
    1,000 records, ``today`` only, no PouchDB (``left_out`` says so)."""
    names = profiles or (["today"] if quick else ["today", "island"])
    with_pouch = (not quick) if pouchdb is None else pouchdb
    count = records or (RECORDS_QUICK if quick else RECORDS_FULL)
    try:
        why = missing_tools()
        if why:
            return {"skipped": why}
        out: dict[str, Any] = {"records": count, "profiles": {}}
        left_out = []
        no_pouch = _without_pouchdb() if with_pouch else None
        if no_pouch:
            with_pouch = False
            left_out.append(f"PouchDB: {no_pouch}")
        if "island" not in names:
            left_out.append(f"profile island ({PROFILES['island'].describe()})")
        if not with_pouch and not no_pouch:
            left_out.append("PouchDB -> CouchDB-protocol replication")
        if quick:
            left_out.append(f"full record count ({RECORDS_FULL}; quick uses {count})")
        if left_out:
            out["left_out"] = left_out
        try:
            for name in names:
                out["profiles"][name] = run_profile(PROFILES[name], count, with_pouch, overrides or {},
                                                    pouch_retry)
        finally:
            subprocess.run(["bash", str(LINK), "down"], capture_output=True, check=False)
        out["targets"] = {"ratio_to_payload_limit": "<= 1.5 (the issue's link limit)",
                          "batches_sent_again_after_a_cut": "<= 1"}
        out["within_targets"] = all(
            p["berjasa"].get("ratio_to_payload_limit", p["berjasa"]["ratio_to_link_limit"]) <= 1.5
            and p["berjasa"]["batches_sent_again"]["max_after_a_cut"] <= 1
            and p["berjasa"]["ok"] for p in out["profiles"].values())
        return out
    except Exception as exc:  # noqa: BLE001  the runner gets a line, never a traceback
        return {"error": f"{type(exc).__name__}: {exc}"[:2000]}


def main() -> None:
    """Command line: run ``measure`` and print its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--profile", action="append", choices=sorted(PROFILES))
    parser.add_argument("--records", type=int)
    parser.add_argument("--no-pouchdb", action="store_true")
    parser.add_argument("--pouchdb-retry", action="store_true",
                        help="PouchDB replicates live with retry: true on every profile "
                             "(always on a profile with cuts)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="an agent setting for the run, e.g. sync_batch_size=250")
    parser.add_argument("--agent-phase", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.agent_phase:
        agent_phase(Path(args.agent_phase[0]), args.agent_phase[1], json.loads(args.agent_phase[2]))
        return
    overrides = {}
    for item in args.set:
        name, value = item.split("=", 1)
        overrides[name] = json.loads(value) if value.replace(".", "", 1).isdigit() else value
    result = measure(args.quick, args.profile, args.records, False if args.no_pouchdb else None,
                     overrides, args.pouchdb_retry)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
