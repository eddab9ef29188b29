"""Bytes on the wire per record for the sync protocol against the reference
(plain zstd level 3 of the same records as compact JSON, batches of 500).

    python bench/protocol_measure.py [--batches 20] [--size 500]

Prints JSON. The wire count is everything a batch costs: body, the protocol
headers (name, ": ", value, CRLF) and central's compressed answer.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import zstandard

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from berjasa.reference import kelurahan_list
from berjasa.synthetic import approved_records
from sync import protocol
from sync.protocol_auth import generate_private_key


def measure(batches: int = 20, size: int = 500) -> dict:
    """Encode ``batches`` synthetic batches and compare with the reference."""
    key = generate_private_key()
    kelurahan = kelurahan_list()
    reference = body_bytes = header_bytes = answer_bytes = 0
    encode_seconds = 0.0
    for number in range(batches):
        records = approved_records(size, kelurahan[number % len(kelurahan)].code, seed=number)
        plain = json.dumps(records, separators=(",", ":"), ensure_ascii=False).encode()
        reference += len(zstandard.ZstdCompressor(level=3).compress(plain))
        batch = protocol.new_batch("dev-0123456789ab", records[0]["kelurahan_code"], records)
        started = time.perf_counter()
        body, headers = protocol.encode_batch(batch, key)
        encode_seconds += time.perf_counter() - started
        body_bytes += len(body)
        header_bytes += sum(len(k) + len(v) + 4 for k, v in headers.items())
        answers = [{"id": r["id"], "result": "accepted", "central_id": number * size + i + 1}
                   for i, r in enumerate(records)]
        answer_bytes += len(protocol.encode_results(batch.batch_id, answers))
    count = batches * size
    wire = body_bytes + header_bytes + answer_bytes
    return {
        "records": count, "batch_size": size,
        "reference_zstd3_bytes_per_record": round(reference / count, 1),
        "body_bytes_per_record": round(body_bytes / count, 1),
        "header_bytes_per_record": round(header_bytes / count, 2),
        "answer_bytes_per_record": round(answer_bytes / count, 2),
        "wire_bytes_per_record": round(wire / count, 1),
        "ratio_to_reference": round(wire / reference, 3),
        "encode_ms_per_batch": round(1000 * encode_seconds / batches, 1),
    }


def main() -> None:
    """Command-line entry: print the measurement as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--size", type=int, default=500)
    args = parser.parse_args()
    print(json.dumps(measure(args.batches, args.size), indent=2))


if __name__ == "__main__":
    main()
