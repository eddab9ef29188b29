"""A data subject's copy of what central holds about them (UU 27/2022 Pasal 7;
docs/privacy.md section 8): ``berjasa central privacy export NIK --reason``.

The kelurahan's ``privacy export`` gives what the kelurahan holds; central holds
more that no kelurahan export includes: its decisions and eligibility results,
the KPJ, findings and a verifier's decisions on them, likely-duplicate pairs (the
other record by its ids only), Dukcapil checks, the decisions sent back, its trail
entries about the records, and the person's rows of the city's source lists
(DTSEN, BPJS participants, 2024 cohort, JHT). Each copy handed out is an entry of
central's trail: who, why (the request's letter number), which records, the
file's SHA-256; never the NIK (its keyed pseudonym).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from berjasa.audit import Actor
from berjasa.erasure import checked_nik, erasure_reason, identity_number_in, name_in, record_names
from berjasa.local_time import wita
from berjasa.problems import NotFound
from berjasa.pseudonyms import load_key, pseudonym
from central import trail
from central.storage import privacy as store
from central.storage.db import Database, utc_now

# Columns stored as JSON text, given back as JSON.
_JSON_COLUMNS = ("consent", "location", "disability", "reasons", "checks", "eligibility",
                 "eligibility_snapshots", "possible_duplicate", "evidence", "elements", "payload",
                 "changes")
# What the trail keeps of a copy's file name that names its owner (an operator names
# the file after the person: "salinan-7371....json", "salinan-Siti_Aminah.json"); the
# trail outlives the person's erasure, and the SHA-256 beside it names the file.
OUTPUT_WITHHELD = "(nama berkas tidak disimpan: menyebut NIK atau nama pemilik data)"


def output_for_trail(output: str, nik: str, names: list[tuple[str, str | None]]) -> str:
    """``output`` (a file name, or ``stdout``) as the trail may keep it:
    :data:`OUTPUT_WITHHELD` when it holds the person's NIK, another 16-digit number or
    one of their names (``names``: :func:`berjasa.erasure.record_names`)."""
    if identity_number_in(output, nik) or any(
            name_in(output.replace("_", " "), name) for _, name in names):
        return OUTPUT_WITHHELD
    return output


SOURCE_NAMES = {"dtsen": "DTSEN", "bpjs_participants": "peserta BPJS",
                "cohort": "kohort 2024", "jht_list": "peserta JHT"}


def _parsed(row: dict[str, Any]) -> dict[str, Any]:
    """A row with its JSON text columns parsed (text that is not JSON stays text)."""
    out = dict(row)
    for column in _JSON_COLUMNS:
        value = out.get(column)
        if isinstance(value, str) and value[:1] in "[{\"":
            try:
                out[column] = json.loads(value)
            except ValueError:
                pass
    return out


def subject_copy(db: Database, data_dir: Path, nik: str) -> dict[str, Any]:
    """Everything central holds about one NIK (see the module docstring)."""
    nik = checked_nik(nik)
    alias = pseudonym(load_key(data_dir), nik)
    records = []
    for row in store.subject_records(db, nik):
        central_id = row["central_id"]
        records.append({
            **_parsed(row),
            "findings": [_parsed(f) for f in store.subject_findings(db, central_id)],
            "duplicate_pairs": store.subject_pairs(db, central_id),
            "dukcapil_checks": [_parsed(c) for c in store.subject_checks(db, central_id)],
            "updates_to_kelurahan": [_parsed(u) for u in store.subject_updates(
                db, row["kelurahan_code"], row["record_id"])],
        })
    targets = [f"{r['kelurahan_code']}/{r['record_id']}" for r in records]
    sources = store.subject_sources(db, nik)
    erasures = [{k: e[k] for k in ("kelurahan_code", "record_id", "origin", "reason",
                                   "erased_at")} for e in store.erasures_by_pseudonym(db, alias)]
    if not records and not any(sources.values()):
        if erasures:
            raise NotFound(f"Data NIK ini sudah dihapus di pusat ({wita(erasures[-1]['erased_at'], seconds=True)}"
                           "); tidak ada lagi yang tersimpan di registri pusat.")
        raise NotFound("Tidak ada data dengan NIK ini di registri pusat (juga tidak di daftar "
                       "DTSEN, peserta BPJS, kohort 2024, atau JHT).")
    return {
        "nik": nik,
        "exported_at": utc_now(),
        "held_by": "registri pusat",
        "records": records,
        "source_lists": sources,
        "trail": [_parsed(e) for e in store.subject_trail(db, targets)],
        "erasures": erasures,
        "pseudonym": alias,
    }


def export_subject(db: Database, data_dir: Path, nik: str, reason: str, actor: Actor,
                   output: str) -> tuple[dict[str, Any], bytes]:
    """The subject's copy and its bytes (UTF-8 JSON); the hand-out is written to the
    trail first (``privacy.export``: who, why, which records and lists, where to,
    the SHA-256), so nothing leaves unrecorded. ``output``: the file's name, or
    ``stdout``."""
    erasure_reason(reason, "permintaan salinan", nik=checked_nik(nik))
    copy = subject_copy(db, data_dir, nik)
    # kept in central's trail for good: never the person's NIK or name
    listed = [row for row in copy["source_lists"].values() if row]
    names = record_names([*copy["records"], *listed])
    reason = erasure_reason(reason, "permintaan salinan", nik=copy["nik"], names=names)
    data = (json.dumps(copy, ensure_ascii=False, indent=2, default=str) + "\n").encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    trail.record(db, actor, "privacy.export", None, {
        "pseudonym": copy["pseudonym"],
        "records": [f"{r['kelurahan_code']}/{r['record_id']}" for r in copy["records"]],
        "source_lists": sorted(k for k, v in copy["source_lists"].items() if v),
        "output": output_for_trail(output, copy["nik"], names), "bytes": len(data),
        "sha256": digest}, reason)
    return copy, data
