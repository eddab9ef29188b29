"""The phone's duplicate-hint filter at city scale (issue 14).

Prints JSON with:
- ``bloom``: the filter berjasa serves (berjasa/hints.py) over 150,000 synthetic
  records x 2 keys at the configured rate: raw bytes, bytes on the wire (base64 in
  JSON, and that gzipped as a server would), the measured false-positive rate on
  200,000 non-members, false negatives (must be 0);
- ``fuse8`` / ``xor8``: a binary fuse 8 and an xor 8 filter over the same 300,000
  hashes (pyfusefilter, when installed: ``pip install pyfusefilter``; not a project
  dependency, it is only the comparison), same measurements;
- ``phone_check_ms``: the time the phone's dedupe.js takes for one check (NIK + name
  + birth date, i.e. two HMACs and 2k bit reads) in Chromium with the CPU throttled
  4x via CDP Emulation.setCPUThrottlingRate, and the same unthrottled as the
  baseline measured in the same run (median of 7 rounds of CHECKS checks, each round
  long enough for the throttler's time slices), and the one-time parse + checksum of
  the downloaded filter, throttled, timed in the page.

    python bench/hints_bench.py [--records 150000] [--rate 0.01] [--no-browser]
"""

from __future__ import annotations

import argparse
import base64
import functools
import gzip
import http.server
import json
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from berjasa import hints

CHROMIUM = "/usr/bin/chromium"
CHECKS = 3000


def wire(data: bytes) -> dict:
    text = json.dumps({"filter": base64.b64encode(data).decode()}).encode()
    return {"raw_bytes": len(data), "base64_json_bytes": len(text),
            "gzip_bytes": len(gzip.compress(text, 6))}


def measure_bloom(records: int, rate: float, probes: int) -> tuple[dict, dict, hints.HintKey]:
    key = hints.HintKey.from_secret(bytes(range(32)))
    items = [hints.item_hash(key.secret, f"{k}:member-{i}") for i in range(records) for k in ("nik", "name")]
    started = time.perf_counter()
    body = hints.index_body(key, items, records, rate)
    build_s = time.perf_counter() - started
    data = base64.b64decode(body["filter"])
    parsed = hints.parse_filter(data, key.key_id)
    misses = sum(not hints.contains(parsed, key.secret, f"nik:member-{i}") for i in range(0, records, 10))
    hits = sum(hints.contains(parsed, key.secret, f"nik:probe-{i}") for i in range(probes))
    return ({**wire(data), "k": data[1], "build_seconds": round(build_s, 2),
             "estimated_rate": body["false_positive_rate"], "measured_rate": hits / probes,
             "false_negatives_in_sample": misses}, body, key)


def measure_fuse(records: int, probes: int) -> dict:
    try:
        import pyfusefilter
    except ImportError:
        return {"skipped": "pip install pyfusefilter to compare"}
    # pyfusefilter hashes str(item) with xxhash, which xxhash >= 4.1 refuses; the items
    # here are 8-byte keyed hashes already (uniform), so they go in as they are.
    pyfusefilter.pyfusefilter.hash = lambda item: item
    key = bytes(range(32))
    members = [int.from_bytes(hints.item_hash(key, f"{k}:member-{i}"), "big")
               for i in range(records) for k in ("nik", "name")]
    out = {}
    # Published sizes (Graf & Lemire): binary fuse 8 ~1.125 bytes/key at 1/256,
    # xor 8 ~1.23 bytes/key; used when the library cannot run here.
    theory = {"fuse8": (1.125, 1 / 256), "xor8": (1.23, 1 / 256)}
    for name, cls in (("fuse8", pyfusefilter.Fuse8), ("xor8", pyfusefilter.Xor8)):
        try:
            f = cls(len(members))
            f.populate(members)
            data = f.serialize()
            hits = sum(f.contains(int.from_bytes(hints.item_hash(key, f"nik:probe-{i}"), "big"))
                       for i in range(probes))
            misses = sum(not f.contains(m) for m in members[::20])
            out[name] = {**wire(bytes(data)), "measured_rate": hits / probes,
                         "false_negatives_in_sample": misses}
        except Exception as exc:  # noqa: BLE001  (a comparison only)
            per_key, rate = theory[name]
            raw = int(per_key * len(members))
            out[name] = {"library_failed": f"{type(exc).__name__}: {exc}"[:120],
                         "theoretical_raw_bytes": raw, "theoretical_base64_bytes": (raw + 2) // 3 * 4,
                         "theoretical_rate": round(rate, 5)}
    return out


def phone_check_ms(body: dict, key: hints.HintKey) -> dict:
    from playwright.sync_api import sync_playwright

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(ROOT / "field_client"))
    http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    index = {**body, "key": base64.b64encode(key.secret).decode()}
    # Rounds of CHECKS checks (about a second unthrottled): Chromium's CPU throttler
    # works in time slices, so a round of a few milliseconds would escape it.
    script = """async ([index, n]) => {
      const d = await import('/js/dedupe.js');
      d.duplicateHints(index, {nik: '7371015203800001'});     // parse once, as the app does
      const t0 = performance.now();
      for (let i = 0; i < n; i += 1) {
        d.duplicateHints(index, {nik: String(7371015203800000 + i), full_name: 'Siti Nur Aini', birth_date: '1980-03-12'});
      }
      return (performance.now() - t0) / n;
    }"""
    result = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
            cdp = page.context.new_cdp_session(page)
            for label, rate in (("baseline_unthrottled", 1), ("throttled_4x", 4)):
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
                rounds = [page.evaluate(script, [index, CHECKS]) for _ in range(7)]
                result[label] = round(statistics.median(rounds), 3)
            result["checks_per_round"] = CHECKS
            result["parse_and_checksum_once_throttled_ms"] = round(page.evaluate("""async ([index]) => {
              const d = await import('/js/dedupe.js');
              const t0 = performance.now();
              d.parseFilter(d.fromBase64(index.filter), index.key_id);
              return performance.now() - t0; }""", [index]), 1)
            browser.close()
    finally:
        server.shutdown()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=150_000)
    parser.add_argument("--rate", type=float, default=0.01)
    parser.add_argument("--probes", type=int, default=200_000)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    bloom, body, key = measure_bloom(args.records, args.rate, args.probes)
    out = {"records": args.records, "items": 2 * args.records, "configured_rate": args.rate,
           "bloom": bloom, **measure_fuse(args.records, args.probes)}
    if not args.no_browser and Path(CHROMIUM).exists():
        out["phone_check_ms"] = phone_check_ms(body, key)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
