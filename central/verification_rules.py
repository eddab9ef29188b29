"""What every verifier's decision at central shares: the decisions offered on a
finding or a pair and their labels (:data:`KIND_LABELS`, :func:`finding_decisions`,
:data:`PAIR_DECISIONS`), the reason a decision carries (:func:`checked_reason`; one that
moves money longer, :func:`check_money_reason`), who decides (:func:`as_actor`), and the
records waiting for a NIK a decision frees (:func:`judge_freed_nik`). The decisions
themselves are :mod:`central.verification` (findings, send-back) and
:mod:`central.verification_pairs` (likely-duplicate pairs).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from berjasa.audit import Actor
from berjasa.checks import has_visible_text, reason_unprintable_problem
from berjasa.problems import ValidationFailed
from central.finding_kinds import (
    BEFORE_FILE_FINDING,
    CLAIM_FINDING,
    DEATH_FINDING,
    ERASED_FINDING,
    STATUS_FINDING,
)
from central.storage.db import Database
from central.waiting import judge_waiting

KIND_LABELS = {
    "dtsen_mismatch": "Identitas tidak sama dengan DTSEN",
    "dukcapil_mismatch": "Elemen data tidak sesuai Dukcapil",
    "dukcapil_deceased": "Dukcapil: penduduk sudah meninggal dunia",
    "dukcapil_not_found": "Dukcapil: NIK tidak ditemukan",
    "dukcapil_multiple_nik": "Dukcapil: NIK dipakai lebih dari satu orang",
    "dukcapil_inactive": "Dukcapil: NIK tidak aktif",
    "sent_back": "Dikirim balik ke kelurahan untuk diperbaiki",
    "bpjs_nik_changed": "NIK diperbaiki setelah terdaftar di BPJS: perbaiki NIK di BPJS",
    "kpj_claim_unconfirmed": "KPJ dari kelurahan tidak cocok dengan daftar peserta BPJS",
    "bpjs_not_active": "Daftar peserta BPJS: status peserta tidak aktif",
    BEFORE_FILE_FINDING: "Daftar peserta BPJS: sudah peserta sebelum didaftarkan program ini",
    ERASED_FINDING: "NIK ini pernah dihapus atas permintaan: pastikan persetujuan baru",
    "cohort_duplicate": "Kemungkinan orang yang sama dengan pekerja kohort 2024 (NIK lain)",
}
FINDING_DECISIONS = {"confirm": "Identitas benar, lanjutkan",
                     "send_back": "Kirim balik ke kelurahan",
                     "reject": "Tolak"}
# The decisions on whether a worker is still a participant (a death, the BPJS list's
# status: docs/central.md "When participation ends"): go on, or the participation
# ended (a registered worker leaves the payment list from the month after).
CONTINUE, END_COVERAGE = "continue", "end_coverage"
# The kinds whose decisions are their own (values and labels), in the order offered:
# a KPJ claim's ``confirm`` sets the claim aside, the record a new enrollment from then
# on (docs/central.md "Registrations a restore lost"; its ``send_back`` is refused with
# its own reason); a death is confirmed or Dukcapil was wrong (the NIK may also be
# mistyped: sent back); the BPJS list's status is answered "still a participant" or
# "participation ended". A value another kind offers is refused for these (422).
KIND_DECISIONS = {
    CLAIM_FINDING: {"confirm": "Klaim KPJ keliru: daftarkan sebagai peserta baru",
                    "send_back": FINDING_DECISIONS["send_back"], "reject": "Tolak data ini"},
    DEATH_FINDING: {CONTINUE: "Dukcapil keliru, masih hidup: lanjutkan",
                    END_COVERAGE: "Benar meninggal: hentikan",
                    "send_back": "NIK salah ketik: kirim balik ke kelurahan"},
    STATUS_FINDING: {CONTINUE: "Masih peserta aktif: tetap dibayar",
                     END_COVERAGE: "Bukan peserta lagi: hentikan iuran"},
    # the list's participation began before central's file: the program's after all
    # (paid from the file's month), or someone else's (no month paid by the city)
    BEFORE_FILE_FINDING: {CONTINUE: "Didaftarkan lewat berkas program ini: bayar sejak bulan berkas",
                          END_COVERAGE: "Sudah peserta sebelumnya, dibayar pihak lain: kota tidak "
                                        "membayar"},
    # a person erased on request, recorded again after it: the new consent is real, or not
    ERASED_FINDING: {"confirm": "Persetujuan baru sudah dipastikan: lanjutkan",
                     "send_back": FINDING_DECISIONS["send_back"],
                     "reject": "Tanpa persetujuan baru: tolak data ini"},
    # the worker the cohort holds under another NIK: the same person is already paid
    "cohort_duplicate": {"confirm": "Orang berbeda, lanjutkan",
                         "reject": "Sama orang dengan pekerja kohort: tolak data ini"},
}
# The BPJS list says the participant died ("Meninggal Dunia")
DECEASED_ON_LIST = {CONTINUE: "Masih hidup dan peserta aktif: tetap dibayar",
                    END_COVERAGE: "Benar meninggal: hentikan iuran"}
# Those two in general words (an unknown value's message, the trail's names)
PARTICIPATION_DECISIONS = {CONTINUE: "Masih hidup/masih peserta: lanjutkan",
                           END_COVERAGE: "Meninggal/bukan peserta lagi: hentikan iuran"}
DECISION_VALUES = {**FINDING_DECISIONS, **PARTICIPATION_DECISIONS}


def finding_decisions(kind: str, evidence: dict[str, Any] | None = None) -> dict[str, str]:
    """The decisions offered on a finding of ``kind`` (with its ``evidence``: a BPJS
    status of death has its own labels), value -> label."""
    if kind == STATUS_FINDING and (evidence or {}).get("deceased"):
        return DECEASED_ON_LIST
    return KIND_DECISIONS.get(kind, FINDING_DECISIONS)


PAIR_DECISIONS = {"keep_a": "Sama orang, pertahankan A",
                  "keep_b": "Sama orang, pertahankan B",
                  "different": "Orang berbeda"}
MAX_REASON = 500


def choice_message(decisions: dict[str, str]) -> str:
    """The error for a missing or unknown decision: each one's label, and its code
    for the office API."""
    return "Pilih salah satu keputusan: " + "; ".join(
        f"{label} ({code})" for code, label in decisions.items()) + "."


# Decisions on a finding that move money: whether a worker is paid (a pair decision
# keeping or dropping a registered worker too, :func:`decide_pair`). Their reason is
# what the treasurer and an auditor read: at least MIN_MONEY_REASON characters that
# are not spaces (a letter number, "Akta kematian", "Surat BPJS ..."), never "a" or "-".
MONEY_DECISIONS = frozenset({CONTINUE, END_COVERAGE})
MIN_MONEY_REASON = 5


def check_money_reason(text: str | None) -> None:
    """422 ``reason_too_short`` naming the field when ``text`` (trimmed) has fewer
    than :data:`MIN_MONEY_REASON` characters that are not spaces."""
    if len("".join((text or "").split())) < MIN_MONEY_REASON:
        raise ValidationFailed(
            {"reason": [(f"Keputusan ini mengubah pembayaran iuran: tulis alasan yang sebenarnya, "
                         f"paling sedikit {MIN_MONEY_REASON} huruf/angka selain spasi (mis. nomor "
                         "surat BPJS atau akta kematian).")]},
            {"reason": ["reason_too_short"]})


def as_actor(actor: Actor | str) -> Actor:
    """The trail actor: a signed-in verifier (pages) or a name from the CLI."""
    if isinstance(actor, Actor):
        return actor
    return Actor(str(actor), "cli" if str(actor).startswith("cli:") else "verifier")


def checked_reason(reason: str | None, required: bool = True) -> str | None:
    """A trimmed reason; 422 when required and empty, or too long."""
    problem = reason_unprintable_problem(reason) if isinstance(reason, str) else None
    if problem:
        raise ValidationFailed({"reason": [problem.message]}, {"reason": [problem.code]})
    text = " ".join(reason.split()) if isinstance(reason, str) else ""
    if required and not has_visible_text(text):
        raise ValidationFailed({"reason": ["Alasan wajib diisi."]}, {"reason": ["reason_required"]})
    if len(text) > MAX_REASON:
        raise ValidationFailed({"reason": [f"Alasan paling banyak {MAX_REASON} karakter."]},
                               {"reason": ["too_long"]})
    return text or None


def judge_freed_nik(db: Database, settings: Mapping[str, Any] | None, nik: str, who: Actor,
                    now: str, details: dict[str, Any]) -> None:
    """A decision took a record out of holding ``nik``: the records waiting for it
    are judged again (:mod:`central.waiting`); the decision's trail entry counts
    them (``waiting``) when there were some."""
    judged = judge_waiting(db, settings, [nik], who, now)["judged"]
    if judged:
        details["waiting"] = judged
