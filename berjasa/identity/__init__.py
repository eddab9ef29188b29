"""Identity checks: NIK and KK (:mod:`.nik`), person names (:mod:`.names`) and
phone numbers (:mod:`.phones`).

Plain functions with no Flask or marshmallow, called by the server's schemas,
central, the synthetic data generator and the tests. Every problem has a stable
English ``code`` and a message in Bahasa Indonesia naming the part that is wrong;
messages never repeat a whole NIK or KK, because messages end up in logs (UU PDP).
The public names are re-exported here, so ``from berjasa.identity import check_nik``
keeps working. Numbers for test and demo data are made by
:func:`berjasa.synthetic.make_nik` and :func:`berjasa.synthetic.make_kk`.
"""

from berjasa.identity.common import IdentityError
from berjasa.identity.names import normalise_person_name
from berjasa.identity.nik import (
    NikParts,
    Problem,
    check_kk,
    check_nik,
    has_errors,
    is_nik_damaged_by_spreadsheet,
    nik_form_problems,
    nik_parts,
    region_warnings,
)
from berjasa.identity.phones import national_form, normalise_phone

__all__ = [
    "IdentityError",
    "NikParts",
    "Problem",
    "check_kk",
    "check_nik",
    "has_errors",
    "is_nik_damaged_by_spreadsheet",
    "national_form",
    "nik_form_problems",
    "nik_parts",
    "normalise_person_name",
    "normalise_phone",
    "region_warnings",
]
