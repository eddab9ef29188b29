"""Enrollment progress per kecamatan and kelurahan against targets (plain functions).

Targets come from a CSV ``kelurahan_code,target`` (lines starting with ``#`` are
comments): the setting ``central_targets_file``, else the placeholder shipped in
central/data/targets.csv.
"""

from __future__ import annotations

import csv
import io
from importlib import resources
from pathlib import Path
from typing import Any

from berjasa.reference import kelurahan_list, regions


def load_targets(path: str | None = None) -> dict[str, int]:
    """{kelurahan_code: target}."""
    if path:
        text = Path(path).read_text(encoding="utf-8-sig")
    else:
        text = resources.files("central").joinpath("data", "targets.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return {row["kelurahan_code"].strip(): int(row["target"])
            for row in csv.DictReader(io.StringIO("\n".join(lines)))}


def progress_by_kelurahan(counts: dict[str, dict[str, int]],
                          targets_file: str | None = None) -> list[dict[str, Any]]:
    """One row per kelurahan: target, active (accepted + registered), registered,
    duplicate, rejected, percent of target."""
    targets = load_targets(targets_file)
    rows = []
    for region in kelurahan_list():
        by_status = counts.get(region.code, {})
        active = by_status.get("accepted", 0) + by_status.get("registered", 0)
        target = targets.get(region.code, 0)
        rows.append({
            "kecamatan_code": region.kecamatan_code,
            "kecamatan": regions()[region.kecamatan_code].name,
            "kelurahan_code": region.code, "kelurahan": region.name, "target": target,
            "active": active, "registered": by_status.get("registered", 0),
            "duplicate": by_status.get("duplicate", 0), "rejected": by_status.get("rejected", 0),
            "percent": round(100 * active / target, 1) if target else 0.0,
        })
    return rows


def progress_by_kecamatan(counts: dict[str, dict[str, int]],
                          targets_file: str | None = None) -> list[dict[str, Any]]:
    """The kelurahan rows summed per kecamatan, in code order."""
    summed: dict[str, dict[str, Any]] = {}
    for row in progress_by_kelurahan(counts, targets_file):
        into = summed.setdefault(row["kecamatan_code"], {
            "kecamatan_code": row["kecamatan_code"], "kecamatan": row["kecamatan"], "target": 0,
            "active": 0, "registered": 0, "duplicate": 0, "rejected": 0, "kelurahan": 0})
        for key in ("target", "active", "registered", "duplicate", "rejected"):
            into[key] += row[key]
        into["kelurahan"] += 1
    for row in summed.values():
        row["percent"] = round(100 * row["active"] / row["target"], 1) if row["target"] else 0.0
        row["bar"] = min(100, int(row["percent"]))
    return [summed[k] for k in sorted(summed)]
