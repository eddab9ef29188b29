"""Precision and recall of the DTSEN identity matcher (central/identity_match.py)
on a labelled synthetic set (berjasa/synthetic/identity_pairs.py), with the baseline of
an exact comparison (case and spacing folded) measured in the same run.

    python bench/identity_match_bench.py [--pairs 2400] [--seed 10] [--show-errors]

Prints JSON: the matcher's and the baseline's precision/recall (positives are
same-person pairs), the confusion counts and the errors by kind.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter

from berjasa.synthetic.identity_pairs import IdentityPairs, evaluate
from central.identity_match import same_person


def exact(record: dict, reference: dict) -> bool:
    """Baseline: names equal after case and spacing, birth dates equal."""
    def fold(name):
        return " ".join(str(name or "").casefold().split())
    return (fold(record["full_name"]) == fold(reference["full_name"])
            and record["birth_date"] == reference["birth_date"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=2400)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args()
    pairs = IdentityPairs(args.seed).pairs(args.pairs)
    started = time.perf_counter()
    matcher = evaluate(pairs, same_person)
    seconds = time.perf_counter() - started
    baseline = evaluate(pairs, exact)
    report = {
        "pairs": len(pairs), "seed": args.seed,
        "labels": dict(Counter(p["kind"] for p in pairs)),
        "matcher": {k: v for k, v in matcher.items() if k != "errors"},
        "matcher_errors_by_kind": dict(Counter(f"{e['error']}:{e['kind']}" for e in matcher["errors"])),
        "baseline_exact": {k: v for k, v in baseline.items() if k != "errors"},
        "matcher_pairs_per_second": round(len(pairs) / seconds),
    }
    if args.show_errors:
        report["errors"] = [{"error": e["error"], "kind": e["kind"],
                             "record": e["record"], "reference": e["reference"]}
                            for e in matcher["errors"]]
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
