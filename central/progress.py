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


def new_workers(by_status: dict[str, int]) -> tuple[int, int]:
    """(active, registered) new workers among counts by status: a record whose NIK
    the 2024 cohort also holds is counted once, in the cohort (as the payment list
    pays it), never again as a new worker (``in_cohort`` keys of
    :func:`central.storage.reports.counts_by_kelurahan`)."""
    registered = by_status.get("registered", 0)
    active = by_status.get("accepted", 0) + registered - by_status.get("in_cohort", 0)
    return active, registered - by_status.get("in_cohort_registered", 0)


def progress_by_kelurahan(counts: dict[str, dict[str, int]],
                          targets_file: str | None = None) -> list[dict[str, Any]]:
    """One row per kelurahan: target, active (accepted + registered), registered,
    duplicate, rejected, percent of target."""
    targets = load_targets(targets_file)
    rows = []
    for region in kelurahan_list():
        by_status = counts.get(region.code, {})
        active, registered = new_workers(by_status)
        target = targets.get(region.code, 0)
        rows.append({
            "kecamatan_code": region.kecamatan_code,
            "kecamatan": regions()[region.kecamatan_code].name,
            "kelurahan_code": region.code, "kelurahan": region.name, "target": target,
            "active": active, "registered": registered,
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


# Program targets (domain.md, press reports 2024-2025): about 81,466 workers in all,
# 35,782 of them the 2024 cohort. The new workers' target (45,000) is the sum of the
# per-kelurahan targets file. The press figures do not add up exactly
# (35,782 + 45,000 = 80,782); the city row shows each figure as published.
PROGRAM_TARGET_TOTAL = 81_466
COHORT_TARGET = 35_782
# The work-category counts of ``groups`` (central.export_disnaker.Progress): ``work:<category>``
# per category, and the active new workers with none recorded or one no longer on the list
WORK_UNSET = "work_unset"
WORK_OFF_LIST = "work_off_list"
WORK_PREFIXES = ("work:", WORK_UNSET, WORK_OFF_LIST)
_SUMMED = ("target_new", "cohort", "new_active", "new_registered", "covered", "duplicate",
           "rejected", "male", "female", "disability")


def _percent(part: int, whole: int | str) -> float | str:
    return round(100 * part / whole, 1) if isinstance(whole, int) and whole else ""


def program_progress(counts: dict[str, dict[str, int]], cohort: dict[str, int],
                     groups: dict[str, Any], targets_file: str | None = None) -> list[dict[str, Any]]:
    """Rows for the progress export: each kelurahan, then its kecamatan's sum after
    its last kelurahan, then the city. The 2024 cohort and the new workers apart;
    ``groups[kelurahan_code]`` holds counts by sex (``male``/``female``),
    ``disability`` and the work-category counts (:data:`WORK_PREFIXES`) for the active
    new workers."""
    rows: list[dict[str, Any]] = []
    city: dict[str, Any] = dict.fromkeys(_SUMMED, 0)
    city_groups: dict[str, int] = {}
    by_kecamatan: dict[str, list[dict[str, Any]]] = {}
    for base in progress_by_kelurahan(counts, targets_file):
        code = base["kelurahan_code"]
        extra = dict(groups.get(code, {}))
        row = {
            "level": "kelurahan", "kecamatan_code": base["kecamatan_code"],
            "kecamatan": base["kecamatan"], "kelurahan_code": code, "kelurahan": base["kelurahan"],
            "target_total": "", "target_cohort": "", "target_new": base["target"],
            "cohort": cohort.get(code, 0), "new_active": base["active"],
            "new_registered": base["registered"], "duplicate": base["duplicate"],
            "rejected": base["rejected"], "male": extra.pop("male", 0),
            "female": extra.pop("female", 0), "disability": extra.pop("disability", 0),
        }
        row["covered"] = row["cohort"] + row["new_active"]
        row["percent_new"] = _percent(row["new_active"], row["target_new"])
        row["percent_total"] = ""
        row.update({k: v for k, v in extra.items() if k.startswith(WORK_PREFIXES)})
        by_kecamatan.setdefault(row["kecamatan_code"], []).append(row)
    for code in sorted(by_kecamatan):
        members = by_kecamatan[code]
        rows.extend(members)
        summed: dict[str, Any] = {
            "level": "kecamatan", "kecamatan_code": code, "kecamatan": members[0]["kecamatan"],
            "kelurahan_code": "", "kelurahan": f"{len(members)} kelurahan",
            "target_total": "", "target_cohort": "", "percent_total": ""}
        for key in _SUMMED:
            summed[key] = sum(int(m[key]) for m in members)
            city[key] += summed[key]
        for m in members:
            for key, value in m.items():
                if key.startswith(WORK_PREFIXES):
                    summed[key] = summed.get(key, 0) + value
                    city_groups[key] = city_groups.get(key, 0) + value
        summed["percent_new"] = _percent(summed["new_active"], summed["target_new"])
        rows.append(summed)
    rows.append({
        **city, **city_groups, "level": "city", "kecamatan_code": "", "kecamatan": "",
        "kelurahan_code": "73.71", "kelurahan": "Kota Makassar",
        "target_total": PROGRAM_TARGET_TOTAL, "target_cohort": COHORT_TARGET,
        "percent_new": _percent(city["new_active"], city["target_new"]),
        "percent_total": _percent(city["covered"], PROGRAM_TARGET_TOTAL),
    })
    return rows
