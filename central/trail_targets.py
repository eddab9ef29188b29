"""Record targets of central's trail (docs/central.md "Record targets"): an entry that
acts on many records at once (a batch received, a registration file, an import, a
recheck) names each as ``(KELURAHAN/RECORD_ID, outcome)`` in ``audit_targets``, and its
chained details hold their count and SHA-256 (:func:`targets_digest`), which the chain
check reads back (:func:`targets_problem`). Ids, codes and months only: never a NIK, a
name or a KPJ (the trail outlives an erasure). No SQL here (central.storage.audit).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any

from central.storage import audit as store
from central.storage.db import Database

# The key of an entry's details that holds the SHA-256 of its record targets.
TARGETS_DIGEST = "targets_sha256"
_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}", re.ASCII)


def code_only(reason: str) -> str:
    """A reason as the trail may hold it: a reason code as it is; anything else (a
    verifier's free text, which may name the person) as ``verifier_rejected``."""
    return reason if _CODE.fullmatch(reason) else "verifier_rejected"


def mark_consequences(db: Database) -> tuple[int, int]:
    """Where the updates and findings end before an import or a recheck (under the
    ingest lock, in its transaction): :func:`consequences` then names what it did."""
    return store.consequences_mark(db)


def consequences(db: Database, mark: tuple[int, int]) -> list[tuple[str, str]]:
    """The record targets of an import or a recheck: each record whose status or rule
    results it changed, or on which it raised a finding, since ``mark`` (outcomes joined
    by ``; `` for a record with several): ``registered 2026-11`` (the coverage month),
    ``rejected: already_bpjs_participant``, ``reaccepted``, ``eligibility``, ``finding
    dtsen_mismatch``. Codes and months only, never a KPJ, NIK or name."""
    outcomes: dict[str, list[str]] = {}
    for row in store.consequences_since(db, mark):
        kind, payload = row["kind"], row["payload"]
        if kind == "finding":
            text = f"finding {payload}"
        elif kind in ("registered", "rejected") and payload:
            details = json.loads(payload)
            text = (f"registered {details.get('coverage_start') or ''}".rstrip()
                    if kind == "registered" else "rejected: " + ",".join(
                        code_only(str(r)) for r in details.get("reasons") or []))
        else:
            text = kind
        outcomes.setdefault(row["target"], []).append(text)
    return [(target, "; ".join(texts)) for target, texts in outcomes.items()]


def targets_digest(rows: Iterable[tuple[str, str]]) -> str:
    """SHA-256 of an entry's record targets: ``target TAB outcome LF`` per target, in
    target order (as :func:`central.storage.audit.targets_of` reads them back)."""
    digest = hashlib.sha256()
    for target, outcome in sorted(rows):
        digest.update(f"{target}\t{outcome}\n".encode())
    return digest.hexdigest()


def targets_problem(db: Database, entry: dict[str, Any], seen: set[int]) -> str | None:
    """For an entry whose chained details hold a targets digest: None when its stored
    targets match it (their seq added to ``seen``), else the problem."""
    if f'"{TARGETS_DIGEST}"' not in (entry.get("changes") or ""):
        return None
    try:
        details = json.loads(entry["changes"])
    except ValueError:
        return None
    if not isinstance(details, dict) or TARGETS_DIGEST not in details:
        return None
    rows = store.targets_of(db, int(entry["seq"]))
    seen.add(int(entry["seq"]))
    if (len(rows) != details.get("targets")
            or targets_digest((r["target"], r["outcome"]) for r in rows) != details[TARGETS_DIGEST]):
        return "record targets changed after writing"
    return None
