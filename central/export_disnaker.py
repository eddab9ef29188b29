"""Disnaker's own lists: ``rejections`` (records central rejected or holds as
duplicates, with their reasons), ``progress`` (per kelurahan, kecamatan and the city
against targets) and ``all`` (every record held at central).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

from central import progress as progress_rules
from central.eligibility import RULE_OF_REJECTION
from central.export_fields import (
    REASON_TEXT,
    Builder,
    disability_fields,
    duplicate_of,
    has_disability,
    passes_every_rule,
    reason_codes,
    region_names,
    stored_json,
)
from central.progress import WORK_OFF_LIST, WORK_UNSET
from central.storage import reports
from central.storage.db import Database


class Rejections(Builder):
    """Rejected and duplicate records with reason codes and Indonesian reasons."""

    def rows(self) -> Iterator[dict[str, Any]]:
        for r in reports.stream_rejections(self.db):
            codes, texts = reason_codes([str(c) for c in stored_json(r["reasons"], [])])
            # a rejection code and the failed rule it came from are one failure: named
            # once, by the code, with the rule's own reason (the desil, the KPJ)
            came_from = {RULE_OF_REJECTION[c]: i for i, c in enumerate(codes) if c in RULE_OF_REJECTION}
            for rule in stored_json(r["eligibility"], []) or []:
                if isinstance(rule, dict) and rule.get("result") == "fail":
                    code = str(rule.get("rule"))
                    reason = str(rule.get("reason") or REASON_TEXT.get(code, code))
                    if code in came_from:
                        texts[came_from[code]] = reason
                    elif code not in codes:
                        codes.append(code)
                        texts.append(reason)
            if r["status"] == "duplicate" and not codes:
                if r.get("same_person"):
                    # another NIK: a verifier found it the same person as the record kept
                    codes, texts = ["duplicate_person"], [
                        f"Orang yang sama dengan data {duplicate_of(r)} (keputusan verifikator)"]
                else:
                    codes, texts = ["duplicate"], [REASON_TEXT["duplicate"]]
            kel, kec = region_names(r["kelurahan_code"])
            self.count += 1
            yield {"nik": r["nik"], "full_name": r["full_name"],
                   "kelurahan_code": r["kelurahan_code"], "kelurahan": kel, "kecamatan": kec,
                   "record_id": r["record_id"],
                   "status": "ditolak" if r["status"] == "rejected" else "duplikat",
                   "reason_codes": "; ".join(codes),
                   "reasons": "; ".join(t.rstrip(".") for t in texts),
                   "duplicate_of": duplicate_of(r), "updated_at": r["updated_at"]}


# An active new worker is counted in exactly one work-category column, so each row's
# PEKERJAAN columns add up to its BARU_DITERIMA (work_category is optional, and records
# without one had been counted in no column); a category that left the list counts as
# "Lainnya", or in a column of its own when the list has no "Lainnya".
OTHER_CATEGORY = "Lainnya"


class Progress(Builder):
    """Progress per kelurahan, kecamatan and the city against targets."""

    def __init__(self, db: Database, targets_file: str | None,
                 work_categories: list[str]) -> None:
        super().__init__(db)
        self.targets_file, self.categories = targets_file, work_categories

    def work_columns(self) -> list[tuple[str, str]]:
        """(key, header) of the work-category columns, in order: one per category,
        then ``PEKERJAAN: belum diisi``, and ``PEKERJAAN: di luar daftar`` when the list
        has no "Lainnya" to count a category that left the list."""
        columns = [(f"work:{c}", f"PEKERJAAN: {c}") for c in self.categories]
        columns.append((WORK_UNSET, "PEKERJAAN: belum diisi"))
        if OTHER_CATEGORY not in self.categories:
            columns.append((WORK_OFF_LIST, "PEKERJAAN: di luar daftar"))
        return columns

    def _work_key(self, category: str) -> str:
        """The column an active new worker of ``category`` is counted in."""
        if not category:
            return WORK_UNSET
        if category in self.categories:
            return f"work:{category}"
        return f"work:{OTHER_CATEGORY}" if OTHER_CATEGORY in self.categories else WORK_OFF_LIST

    def rows(self) -> Iterator[dict[str, Any]]:
        groups: dict[str, Counter[str]] = defaultdict(Counter)
        for g in reports.active_groups(self.db):
            into = groups[g["kelurahan_code"]]
            n = int(g["n"])
            into["male" if g["sex"] == "L" else "female" if g["sex"] == "P" else "sex_unknown"] += n
            if has_disability(g["disability"]):
                into["disability"] += n
            into[self._work_key(g["work_category"] or "")] += n
        rows = progress_rules.program_progress(reports.counts_by_kelurahan(self.db),
                                               reports.cohort_by_kelurahan(self.db), groups,
                                               self.targets_file)
        none = {key: 0 for key, _ in self.work_columns()}  # a count, never a blank cell
        for row in rows:
            self.count += 1
            yield {**none, **row, "level": {"kelurahan": "Kelurahan", "kecamatan": "Kecamatan",
                                            "city": "Kota"}[row["level"]]}


class AllRecords(Builder):
    """One row per record held at central with its central status."""

    def rows(self) -> Iterator[dict[str, Any]]:
        for r in reports.stream_records(self.db):
            disabled, kinds = disability_fields(r["disability"])
            rules = stored_json(r["eligibility"], None)
            if isinstance(rules, list):
                verdict = ("lolos semua" if passes_every_rule(rules) else "; ".join(
                    f"{x.get('rule')}: {x.get('result')}" for x in rules
                    if isinstance(x, dict) and x.get("result") != "pass"))
            else:
                verdict = "belum dinilai"
            self.count += 1
            yield {
                "central_id": r["central_id"], "kelurahan_code": r["kelurahan_code"],
                "record_id": r["record_id"], "nik": r["nik"], "kk_number": r["kk_number"],
                "full_name": r["full_name"], "birth_date": r["birth_date"], "sex": r["sex"],
                "monthly_income": r["monthly_income"], "work_category": r["work_category"],
                "disability": disabled, "disability_kinds": kinds,
                "jht": ("Ya" if r["jht"] else f"Ya, sejak {r['jht_from']}" if r["jht_from"]
                        else "Tidak"), "status": r["status"],
                "eligibility": verdict, "reasons": ";".join(str(x) for x in stored_json(r["reasons"], [])),
                "duplicate_of": duplicate_of(r), "kpj_number": r["kpj_number"],
                "registration_exported_at": r["registration_exported_at"],
                "coverage_start": r["coverage_start"], "coverage_end": r["coverage_end"],
                "received_at": r["received_at"],
                "updated_at": r["updated_at"],
            }
