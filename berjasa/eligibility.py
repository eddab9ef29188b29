"""The program's eligibility rules, once, for the kelurahan and for central.

Plain functions: no Flask, no SQL. Each rule answers
``{"rule", "result": "pass"|"fail"|"unknown", "reason"}`` with the reason in
Bahasa Indonesia. Parameters (UMK, desil cut-off, BPU age limits, excluded
occupations, casual-work categories) come from dated parameter sets
(``berjasa/data/eligibility.json``): the set in force on the decision day is the
one with the latest ``valid_from`` on or before it, so a change applies from its
date and every decision records the ``valid_from`` it used.

How the rules read domain.md (docs/eligibility.md has the full text):

- ``council``: the city council's description lists ALTERNATIVES: extreme-poor or
  P3KE-listed (DTSEN desil within the cut-off), OR a casual/day labourer, OR income
  below the UMK. It passes when one alternative holds, fails when none can hold,
  and is ``unknown`` only when the DTSEN alternative is the one left and DTSEN is
  not loaded (always the case at the kelurahan).
- ``dtsen``: an exclusion: a NIK that the loaded DTSEN lists ABOVE the cut-off
  fails; listed within it, or absent from the extract, passes (absence is not
  proof of being better off).
- ``bpjs_membership``: an ``aktif``/``active`` row in the loaded BPJS list fails,
  unless central itself registered the record (then the row is our registration).
- A row of a loaded snapshot that names the NIK but could not be read (central's
  import refused it) is not absence: ``dtsen``, ``council`` (when only the DTSEN
  alternative is left) and ``bpjs_membership`` answer ``unknown`` with the reason
  naming the file and the line, until a corrected file is imported.

Identity checks (DTSEN name / birth-date match) are findings, not rules.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from berjasa import reference
from berjasa.number_text import rupiah

Result = dict[str, Any]
PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
ACTIVE_BPJS = frozenset({"aktif", "active", "a", "1", "ya", "y"})
RULE_LABELS = {
    "domicile": "Domisili",
    "occupation": "Pekerjaan",
    "age": "Umur",
    "council": "Kriteria DPRD (miskin/P3KE, pekerja harian, atau di bawah UMK)",
    "dtsen": "Desil DTSEN",
    "bpjs_membership": "Kepesertaan BPJS Ketenagakerjaan",
}
# settings name -> parameter name: a setting an operator moved away from its
# default overrides the dated set (kept for the settings that existed before).
SETTING_OVERRIDES = {
    "city_minimum_wage": "city_minimum_wage",
    "dtsen_max_desil": "dtsen_max_desil",
    "eligibility_age_min": "age_min",
    "eligibility_age_max": "age_max",
    "excluded_occupations": "excluded_occupations",
}


class ParameterError(ValueError):
    """The parameter file is unreadable or has no set in force on the day."""


@dataclass(frozen=True)
class Parameters:
    """One dated parameter set (after settings overrides)."""

    valid_from: str
    city_minimum_wage: int
    dtsen_max_desil: int
    age_min: int
    age_max: int
    excluded_occupations: tuple[str, ...]
    casual_work_categories: tuple[str, ...]
    casual_occupations: tuple[str, ...] = ()
    employee_occupations: tuple[str, ...] = ()
    overridden: tuple[str, ...] = ()

    def label(self) -> str:
        """What a decision records: the valid_from, plus overridden names."""
        if not self.overridden:
            return self.valid_from
        return f"{self.valid_from}+{','.join(self.overridden)}"


@dataclass(frozen=True)
class Evidence:
    """What is known about a NIK from central's snapshots. The default (nothing
    loaded) is the kelurahan's view."""

    dtsen_loaded: bool = False
    dtsen_desil: int | None = None          # None: not in the loaded extract
    bpjs_loaded: bool = False
    bpjs_status: str | None = None          # None: not in the loaded list
    bpjs_kpj: str | None = None
    registered_by_program: bool = False     # central put it on a registration file
    cohort_start: str | None = None         # YYYY-MM when in the 2024 cohort the city pays
    at_central: bool = False
    # A row of the loaded snapshot names this NIK but could not be read (the import
    # refused it): the reason to give, in Indonesian, naming the file and the line. The
    # snapshot says nothing readable about the person, so a rule that would read the
    # NIK's absence from it (pass, or the DTSEN alternative gone) answers unknown.
    dtsen_unreadable: str | None = None
    bpjs_unreadable: str | None = None
    cohort_unreadable: str | None = None


NOTHING_LOADED = Evidence()


@cache
def _shipped_sets() -> tuple[dict, ...]:
    text = resources.files("berjasa").joinpath("data", "eligibility.json").read_text(encoding="utf-8")
    return tuple(json.loads(text)["sets"])


def load_sets(path: str | Path | None = None) -> tuple[dict, ...]:
    """The dated parameter sets: the shipped file, or ``path`` when given."""
    if not path:
        return _shipped_sets()
    try:
        return tuple(json.loads(Path(path).read_text(encoding="utf-8"))["sets"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ParameterError(f"berkas parameter kelayakan tidak dapat dibaca: {path} ({exc})") from exc


_UNSET = object()
_shipped_on: dict[tuple, Parameters] = {}  # (day, override values) -> the shipped set's


def parameters_on(day: dt.date, settings: dict[str, Any] | None = None,
                  sets: tuple[dict, ...] | None = None) -> Parameters:
    """The parameter set in force on ``day``, with settings overrides applied.
    From the shipped file the answer is kept per day and override values (every
    record shown asks); a parameters file named in the settings is read each time."""
    settings = settings or {}
    if sets is not None or settings.get("eligibility_parameters_file"):
        return _parameters_on(day, settings, sets)
    try:
        key = (day, *(_typed(settings.get(name, _UNSET)) for name in SETTING_OVERRIDES))
        known = _shipped_on.get(key)
    except TypeError:  # an override value that cannot be a key: not kept
        return _parameters_on(day, settings, None)
    if known is None:
        if len(_shipped_on) >= 64:
            _shipped_on.clear()
        known = _shipped_on[key] = _parameters_on(day, settings, None)
    return known


def _typed(value: Any) -> tuple:
    """A settings value as part of a key (its type too: 5 and 5.0 are kept apart)."""
    return type(value), tuple(value) if isinstance(value, list) else value


def _parameters_on(day: dt.date, settings: dict[str, Any],
                   sets: tuple[dict, ...] | None) -> Parameters:
    sets = sets if sets is not None else load_sets(settings.get("eligibility_parameters_file"))
    in_force = [s for s in sets if s["valid_from"] <= day.isoformat()]
    if not in_force:
        raise ParameterError(f"tidak ada parameter kelayakan yang berlaku pada {day.isoformat()}")
    chosen = max(in_force, key=lambda s: s["valid_from"])
    values = {
        "valid_from": chosen["valid_from"],
        "city_minimum_wage": int(chosen["city_minimum_wage"]),
        "dtsen_max_desil": int(chosen["dtsen_max_desil"]),
        "age_min": int(chosen["age_min"]),
        "age_max": int(chosen["age_max"]),
        "excluded_occupations": tuple(chosen.get("excluded_occupations", ())),
        "casual_work_categories": tuple(chosen.get("casual_work_categories", ())),
        "casual_occupations": tuple(chosen.get("casual_occupations", ())),
        "employee_occupations": tuple(chosen.get("employee_occupations", ())),
    }
    overridden = []
    defaults = _setting_defaults()
    for name, param in SETTING_OVERRIDES.items():
        if name in settings and name in defaults and settings[name] != defaults[name]:
            value = settings[name]
            values[param] = tuple(value) if isinstance(value, list) else value
            overridden.append(param)
    return Parameters(**values, overridden=tuple(overridden))


def _setting_defaults() -> dict[str, Any]:
    from berjasa.settings import SETTINGS
    return {name: SETTINGS[name].default for name in SETTING_OVERRIDES if name in SETTINGS}


def _result(rule: str, outcome: str, reason: str) -> Result:
    return {"rule": rule, "result": outcome, "reason": reason}


def _text(record: dict, name: str) -> str:
    value = record.get(name)
    return value.strip() if isinstance(value, str) else ""


def domicile(record: dict, params: Parameters, site_kelurahan: str | None = None) -> Result:
    """Lives in a Makassar kelurahan (at the kelurahan: in this one)."""
    code = _text(record, "kelurahan_code")
    region = reference.kelurahan(code) if code else None
    if site_kelurahan and code != site_kelurahan:
        name = region.name if region else code or "tidak diisi"
        return _result("domicile", FAIL, f"Alamat di kelurahan lain ({name}), bukan kelurahan ini.")
    if region is None:
        return _result("domicile", FAIL, f"Kode kelurahan {code or '(kosong)'} bukan kelurahan Kota Makassar.")
    return _result("domicile", PASS, f"Berdomisili di Kelurahan {region.name}, Kota Makassar.")


# The work category that names no informal work (the list's catch-all).
OTHER_WORK = "lainnya"


def occupation(record: dict, params: Parameters) -> Result:
    """Not a state employee or official (PNS/TNI/POLRI, elected and appointed
    office), and not an employee whose employer must register them (domain.md),
    unless the actual work recorded beside the KTP is informal: a KTP is often years
    out of date, and someone laid off from a company is an informal worker now."""
    job = _text(record, "occupation")
    if not job:
        return _result("occupation", UNKNOWN, "Pekerjaan KTP tidak diisi.")
    if job.casefold() in _folded(params.excluded_occupations):
        return _result("occupation", FAIL, f"Pekerjaan KTP \"{job}\": pegawai negara atau pejabat "
                       "(PNS/TNI/POLRI/pejabat), bukan pekerja informal.")
    if job.casefold() in _folded(params.employee_occupations):
        work = _text(record, "work_category")
        if work and work.casefold() != OTHER_WORK:
            return _result("occupation", PASS, f"Pekerjaan KTP \"{job}\", tetapi pekerjaan "
                           f"sebenarnya \"{work}\" (KTP belum diperbarui).")
        return _result("occupation", FAIL, f"Pekerjaan KTP \"{job}\": karyawan didaftarkan oleh "
                       "pemberi kerjanya; bila sudah tidak bekerja di sana, isi pekerjaan sebenarnya.")
    return _result("occupation", PASS, "Pekerjaan termasuk sektor informal/rentan.")


def age_on(birth: dt.date, today: dt.date) -> int:
    """Whole years on ``today`` (the birthday itself counts)."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def age(record: dict, params: Parameters, today: dt.date) -> Result:
    """Age within the BPU limits."""
    try:
        born = dt.date.fromisoformat(_text(record, "birth_date"))
    except ValueError:
        return _result("age", UNKNOWN, "Tanggal lahir tidak terbaca.")
    years = age_on(born, today)
    low, high = params.age_min, params.age_max
    if low <= years <= high:
        return _result("age", PASS, f"Umur {years} tahun (batas {low}-{high} tahun).")
    return _result("age", FAIL, f"Umur {years} tahun, di luar batas {low}-{high} tahun.")


@cache
def _folded(values: tuple[str, ...]) -> frozenset[str]:
    return frozenset(v.casefold() for v in values)


def _is_casual(record: dict, params: Parameters) -> bool:
    category = _text(record, "work_category").casefold()
    job = _text(record, "occupation").casefold()
    return (bool(category) and category in _folded(params.casual_work_categories)) or (
        bool(job) and job in _folded(params.casual_occupations))


def council(record: dict, params: Parameters, evidence: Evidence) -> Result:
    """The council's description: DTSEN-listed within the cut-off OR casual/day
    labourer OR income below UMK (alternatives)."""
    income = record.get("monthly_income")
    has_income = isinstance(income, int) and not isinstance(income, bool)
    if evidence.dtsen_loaded and evidence.dtsen_desil is not None \
            and evidence.dtsen_desil <= params.dtsen_max_desil:
        return _result("council", PASS, f"Tercantum di DTSEN desil {evidence.dtsen_desil} "
                       f"(miskin/P3KE, batas desil {params.dtsen_max_desil}).")
    if _is_casual(record, params):
        return _result("council", PASS, "Pekerja harian/lepas.")
    if has_income and income < params.city_minimum_wage:
        return _result("council", PASS, f"Penghasilan {rupiah(income)} di bawah UMK "
                       f"({rupiah(params.city_minimum_wage)}).")
    income_text = (f"penghasilan {rupiah(income)} tidak di bawah UMK ({rupiah(params.city_minimum_wage)})"
                   if has_income else "penghasilan tidak diisi")
    if not evidence.dtsen_loaded:
        where = "diperiksa di pusat" if not evidence.at_central else "belum dapat diperiksa (DTSEN belum dimuat)"
        return _result("council", UNKNOWN, f"Bukan pekerja harian/lepas dan {income_text}; "
                       f"status miskin/P3KE (DTSEN) {where}.")
    if evidence.dtsen_unreadable:
        return _result("council", UNKNOWN, f"Bukan pekerja harian/lepas dan {income_text}; "
                       f"status miskin/P3KE (DTSEN) belum dapat diperiksa: {evidence.dtsen_unreadable}")
    listed = ("tidak tercantum di DTSEN" if evidence.dtsen_desil is None
              else f"DTSEN desil {evidence.dtsen_desil} di atas batas {params.dtsen_max_desil}")
    return _result("council", FAIL, f"Tidak memenuhi kriteria DPRD: bukan pekerja harian/lepas, "
                   f"{income_text}, dan {listed}.")


def dtsen(record: dict, params: Parameters, evidence: Evidence) -> Result:
    """Not listed in DTSEN above the desil cut-off."""
    if not evidence.dtsen_loaded:
        text = "Data DTSEN belum dimuat di pusat." if evidence.at_central else "Data DTSEN diperiksa di pusat."
        return _result("dtsen", UNKNOWN, text)
    if evidence.dtsen_unreadable:
        return _result("dtsen", UNKNOWN, evidence.dtsen_unreadable)
    if evidence.dtsen_desil is None:
        return _result("dtsen", PASS, "Tidak tercantum di DTSEN (tidak ada desil di atas batas).")
    if evidence.dtsen_desil > params.dtsen_max_desil:
        return _result("dtsen", FAIL, f"DTSEN desil {evidence.dtsen_desil}, di atas batas desil "
                       f"{params.dtsen_max_desil}.")
    return _result("dtsen", PASS, f"DTSEN desil {evidence.dtsen_desil} (batas {params.dtsen_max_desil}).")


def is_active_status(status: str | None) -> bool:
    """A BPJS list status that means participation (empty counts as active). The
    one reading of a status for every use: "already a participant" here, and at
    central whether a worker it registered is still one (central.findings)."""
    return (status or "aktif").strip().casefold() in ACTIVE_BPJS


# Words of a BPJS list status that say the participant died ("Meninggal Dunia", "MD"
# is not read: too short to be sure); only the labels of a verifier's decision
# depend on it (central.verification), never whether a status is active.
DECEASED_WORDS = frozenset({"meninggal", "wafat", "deceased", "died", "death"})


def is_deceased_status(status: str | None) -> bool:
    """Whether a BPJS list status says the participant died."""
    words = "".join(c if c.isalnum() else " " for c in (status or "").casefold()).split()
    return any(word in DECEASED_WORDS for word in words)


# Words of a BPJS list status that say BPJS refused the registration ("Ditolak"): the
# worker never became a participant (central pays no month for them).
REFUSED_WORDS = frozenset({"ditolak", "tolak", "rejected", "refused", "declined"})


def is_refused_status(status: str | None) -> bool:
    """Whether a BPJS list status says BPJS refused the registration."""
    words = "".join(c if c.isalnum() else " " for c in (status or "").casefold()).split()
    return any(word in REFUSED_WORDS for word in words)


def bpjs_membership(record: dict, params: Parameters, evidence: Evidence) -> Result:
    """Not already an active BPJS Ketenagakerjaan participant (nor in the cohort
    the city already pays for)."""
    if evidence.cohort_start and not evidence.registered_by_program:
        return _result("bpjs_membership", FAIL, f"Sudah ditanggung program sejak {evidence.cohort_start} "
                       "(kohort 2024).")
    unreadable = ""
    if (evidence.cohort_unreadable or evidence.bpjs_unreadable) and not evidence.registered_by_program:
        unreadable = " ".join(t for t in (evidence.cohort_unreadable, evidence.bpjs_unreadable) if t)
    if not evidence.bpjs_loaded:
        text = ("Daftar peserta BPJS belum dimuat di pusat." if evidence.at_central
                else "Kepesertaan BPJS diperiksa di pusat.")
        return _result("bpjs_membership", UNKNOWN, f"{text} {unreadable}".strip())
    kpj = f" (KPJ {evidence.bpjs_kpj})" if evidence.bpjs_kpj else ""
    if evidence.registered_by_program:
        return _result("bpjs_membership", PASS, f"Didaftarkan oleh program ini{kpj}.")
    if evidence.bpjs_status is not None and is_active_status(evidence.bpjs_status):
        return _result("bpjs_membership", FAIL, f"Sudah peserta aktif BPJS Ketenagakerjaan{kpj}.")
    if unreadable:  # a listed row or a cohort row we could not read: not proof of absence
        return _result("bpjs_membership", UNKNOWN, unreadable)
    return _result("bpjs_membership", PASS, "Belum peserta aktif BPJS Ketenagakerjaan.")


def evaluate(record: dict[str, Any], params: Parameters, *, today: dt.date,
             evidence: Evidence = NOTHING_LOADED, site_kelurahan: str | None = None) -> list[Result]:
    """Every rule's result for one record, in a fixed order."""
    return [
        domicile(record, params, site_kelurahan),
        occupation(record, params),
        age(record, params, today),
        council(record, params, evidence),
        dtsen(record, params, evidence),
        bpjs_membership(record, params, evidence),
    ]


def failed(results: list[Result]) -> list[Result]:
    """The failing results."""
    return [r for r in results if r["result"] == FAIL]


def all_pass(results: list[Result] | None) -> bool:
    """Every rule passes (none failing, none unknown): fit for the registration file."""
    return bool(results) and all(r["result"] == PASS for r in results)


def rule_label(rule: str) -> str:
    """The Indonesian name of a rule."""
    return RULE_LABELS.get(rule, rule)
