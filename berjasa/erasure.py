"""What an erasure or export request (UU PDP) must carry, checked the same way at
the kelurahan (:mod:`server.privacy`) and at central (:mod:`central.privacy`); the
NIK check is also central's for a verifier's send-back (:mod:`central.verification`):
every NIK a person types is read the one way."""

from __future__ import annotations

from berjasa import identity
from berjasa.checks import reason_unprintable_problem
from berjasa.problems import ValidationFailed

MAX_REASON = 500


def checked_nik(nik: str) -> str:
    """A NIK as a person types it (``7371 0155 0675 7208`` too) without its spaces,
    or a 422 naming what is wrong with it (the core's :func:`berjasa.identity.check_nik`)."""
    cleaned = "".join(str(nik).split())
    errors = [p for p in identity.check_nik(cleaned) if p.severity == "error"]
    if errors:
        raise ValidationFailed({"nik": [p.message for p in errors]},
                               {"nik": [p.code for p in errors]})
    return cleaned


def erasure_reason(reason: str | None, request: str = "penghapusan") -> str:
    """The reason of a request (``request``: its name in the message) trimmed:
    required, at most 500 characters (it is kept in the trail)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [f"Alasan {request} wajib diisi."]},
                               {"reason": ["reason_required"]})
    if len(reason) > MAX_REASON:
        raise ValidationFailed({"reason": [f"Alasan paling panjang {MAX_REASON} karakter."]},
                               {"reason": ["too_long"]})
    problem = reason_unprintable_problem(reason)
    if problem:
        raise ValidationFailed({"reason": [problem.message]}, {"reason": [problem.code]})
    return reason
