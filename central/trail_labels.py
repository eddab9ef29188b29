"""Names for central's trail actions in Bahasa Indonesia, for the auditor's page.

The trail stores a code per entry (``download.payment-list``, ``decision.pair.keep_a``);
the page shows the name with the code beside it, and the filters and the CSV export
keep the codes. A code without a name here (a new action) is shown as it is.
"""

from __future__ import annotations

from central.downloads import LABELS as EXPORT_LABELS
from central.imports import KINDS
from central.verification import FINDING_DECISIONS, PAIR_DECISIONS

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
    "privacy.erase": "Data pribadi dihapus",
    "privacy.tombstone": "Penghapusan di kelurahan diterima (belum pernah di pusat)",
    "record.new_version": "Versi baru dari kelurahan",
    "decision.send_back": "Dikirim balik ke kelurahan",
    "download.audit": "Unduhan jejak audit (CSV)",
}
IMPORTS = {"dtsen": "DTSEN", "bpjs-participants": "peserta BPJS",
           "cohort": "kohort 2024", "jht": "peserta JHT"}
# What follows a prefix names its object: an export, an import kind or a decision.
PREFIXES = (
    ("download.", "Unduhan", EXPORT_LABELS),
    ("export.", "Ekspor (baris perintah)", EXPORT_LABELS),
    ("import.", "Impor", {kind: IMPORTS.get(kind, kind) for kind in KINDS}),
    ("decision.finding.", "Keputusan temuan", FINDING_DECISIONS),
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
