"""Names for central's trail actions in Bahasa Indonesia, for the auditor's page.

The trail stores a code per entry (``download.payment-list``, ``decision.pair.keep_a``);
the page shows the name with the code beside it, and the filters and the CSV export
keep the codes. A code without a name here (a new action) is shown as it is.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from berjasa.local_time import wita
from central.accounts import ROLE_LABELS
from central.downloads import LABELS as EXPORT_LABELS
from central.imports import KINDS
from central.verification import DECISION_VALUES, PAIR_DECISIONS

ACTIONS = {
    "login": "Masuk",
    "login.failed": "Gagal masuk",
    "logout": "Keluar",
    "user.create": "Pengguna dibuat",
    "user.update": "Pengguna diubah",
    "user.disable": "Pengguna dinonaktifkan",
    "user.enable": "Pengguna diaktifkan lagi",
    "user.reset_password": "Kata sandi diatur ulang",
    "device.code": "Kode pendaftaran perangkat dibuat",
    "device.register": "Perangkat kelurahan terdaftar",
    "device.revoke": "Perangkat dicabut",
    "device.code_cancel": "Kode pendaftaran perangkat dibatalkan",
    "device.records_pull": "Data kelurahan diambil kembali oleh laptopnya (pemulihan)",
    "privacy.erase": "Data pribadi dihapus",
    "privacy.export": "Salinan data pribadi untuk pemiliknya",
    "privacy.tombstone": "Penghapusan di kelurahan diterima (belum pernah di pusat)",
    "record.new_version": "Versi baru dari kelurahan",
    "record.new_version_refused": "Versi baru dari kelurahan tidak mengubah keputusan verifikator",
    "record.rejudged": "Data duplikat dinilai ulang: NIK-nya dilepas pemegangnya",
    "decision.send_back": "Dikirim balik ke kelurahan",
    "download.audit": "Unduhan jejak audit (CSV)",
    "import.batches": "Impor batch kelurahan (flashdisk)",
    "batch.receive": "Batch diterima dari perangkat kelurahan",
    "batch.refused": "Batch dari perangkat ditolak",
    "export.answers": "Ekspor jawaban untuk kelurahan (flashdisk)",
    "recheck": "Penilaian ulang semua data",
    "central.restored": "Pusat dipulihkan dari cadangan",
    "key.rotate": "Kunci tanda tangan pusat berikutnya disiapkan",
    "key.rotate_finish": "Kunci tanda tangan pusat diganti",
    "verify.run": "Pemeriksaan identitas (DTSEN, Dukcapil)",
    "view.findings": "Daftar temuan dibaca (baris perintah)",
    "view.duplicates": "Daftar dugaan duplikat dibaca (baris perintah)",
    "view.record_history": "Riwayat satu data dibaca (baris perintah)",
    "schema.migrate": "Basis data pusat diperbarui (migrasi)",
}
IMPORTS = {"dtsen": "DTSEN", "bpjs-participants": "peserta BPJS",
           "cohort": "kohort 2024", "jht": "peserta JHT"}
# What follows a prefix names its object: an export, an import kind or a decision.
PREFIXES = (
    ("download.", "Unduhan", EXPORT_LABELS),
    ("export.", "Ekspor (baris perintah)", EXPORT_LABELS),
    ("import.", "Impor", {kind: IMPORTS.get(kind, kind) for kind in KINDS}),
    ("decision.finding.", "Keputusan temuan", DECISION_VALUES),
    ("decision.pair.", "Keputusan pasangan", PAIR_DECISIONS),
)


def action_label(action: str) -> str:
    """The action's name in Bahasa Indonesia; the code itself when it has none."""
    if action in ACTIONS:
        return ACTIONS[action]
    for prefix, name, objects in PREFIXES:
        if action.startswith(prefix):
            rest = action[len(prefix):]
            return f"{name}: {objects.get(rest, rest)}"
    return action


# Who acts besides the office roles: a kelurahan laptop, central itself, a command
ACTOR_ROLES = {**ROLE_LABELS, "device": "Perangkat kelurahan", "system": "Sistem",
               "cli": "Baris perintah", "unknown": "(tidak dikenal)"}
NOTHING = "—"


def role_label(role: str | None) -> str:
    """"Verifikator" for ``verifier``; an unknown role as it is."""
    return ACTOR_ROLES.get(role or "", role or "")


def detail_lines(changes: str | None, reason: str | None = None,
                 decision_reason: str | None = None) -> list[tuple[str, str]]:
    """An entry's details for a person, one (name, value) per line: a change
    ``[old, new]`` as "old → new" (nothing as "—"), a UTC time in WITA, other
    values as compact JSON; then the reason, and a verifier decision's reason
    (:func:`central.trail.with_decision_reasons`). The CSV export keeps the stored JSON."""
    try:
        details = json.loads(changes) if changes else {}
    except ValueError:
        details = {"": changes}
    if not isinstance(details, dict):
        details = {"": details}
    lines = []
    for name, value in details.items():
        if isinstance(value, list) and len(value) == 2:
            lines.append((name, f"{_shown(value[0])} → {_shown(value[1])}"))
        else:
            lines.append((name, _shown(value)))
    if reason:
        lines.append(("alasan", reason))
    if decision_reason:
        lines.append(("alasan keputusan", decision_reason))
    return lines


def _shown(value: Any) -> str:
    if value is None:
        return NOTHING
    if isinstance(value, str):
        return _as_time(value) or value
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return json.dumps(value)


def _as_time(text: str) -> str | None:
    """A full ISO-8601 time with its offset (what the trail stores) in WITA."""
    if len(text) < 20 or text[10:11] != "T":
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return wita(text, seconds=True) if moment.tzinfo is not None else None
