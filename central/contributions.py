"""Monthly BPU contributions from DATED configuration (central/data/contributions.json
or the ``central_contributions_file`` setting), never from code constants.

- JKK = ``jkk.rate`` x the base of the income band the declared income falls in
  (a worker without a declared income, e.g. a 2024 cohort row, is in the lowest
  band: Rp10.000 + Rp6.800 = Rp16.800, the program's floor);
- JKM = ``jkm.flat``;
- JHT = ``jht.rate`` x the same base, only for a worker flagged for JHT.
- Discounts are dated rules (``valid_from``/``valid_until``) naming the
  components they cut, a ``factor``, and the payers they apply to
  (``applies_to_payers``) or not (``except_payers``). The payer is the config's
  ``payer`` (APBD for Makassar's program), so PP 50/2025 does not apply.
- Money is integer rupiah: each component is computed with Decimal, the discount
  applied, then rounded half up (ROUND_HALF_UP) to a whole rupiah; the total is the
  sum of the rounded components, so a list sums by hand.
- The schedule used for a month is the latest whose ``effective_from`` is on or
  before the month's first day. A band, rate or applied discount with
  ``confirmed: false`` makes the contribution unconfirmed
  (:attr:`Contribution.unconfirmed` names what).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from berjasa.number_text import rupiah

DEFAULT_PAYER = "APBD"


class ContributionConfigError(ValueError):
    """The contribution configuration cannot be used (one clear line)."""


@dataclass(frozen=True)
class Contribution:
    """One worker's monthly contribution under one schedule (integer rupiah)."""

    income: int | None
    base: int
    band_up_to: int | None
    jkk: int
    jkm: int
    jht: int
    band_confirmed: bool
    unconfirmed: tuple[str, ...]
    effective_from: str
    legal_basis: str
    payer: str
    discounts: tuple[str, ...] = field(default=())

    @property
    def total(self) -> int:
        """JKK + JKM + JHT: what the payer pays per month."""
        return self.jkk + self.jkm + self.jht

    @property
    def confirmed(self) -> bool:
        """True when every band, rate and discount used is confirmed."""
        return not self.unconfirmed


def load_config(path: str | Path | None = None) -> dict[str, Any]:
    """The whole configuration (``payer``, ``schedules`` oldest first, ``discounts``),
    checked; ContributionConfigError names the first problem."""
    try:
        if path:
            text = Path(path).read_text(encoding="utf-8-sig")
        else:
            text = (resources.files("central").joinpath("data", "contributions.json")
                    .read_text(encoding="utf-8"))
        config = json.loads(text)
    except (OSError, ValueError) as exc:
        raise ContributionConfigError(f"konfigurasi iuran tidak dapat dibaca ({path or 'bawaan'}): "
                                      f"{exc}") from exc
    if not isinstance(config, dict) or not isinstance(config.get("schedules"), list) \
            or not config["schedules"]:
        raise ContributionConfigError("konfigurasi iuran: 'schedules' harus daftar yang tidak kosong")
    for schedule in config["schedules"]:
        _check_schedule(schedule)
    config["schedules"] = sorted(config["schedules"], key=lambda s: s["effective_from"])
    config.setdefault("payer", DEFAULT_PAYER)
    config.setdefault("discounts", [])
    return config


def _check_schedule(schedule: dict[str, Any]) -> None:
    where = f"jadwal {schedule.get('effective_from', '?')}"
    try:
        date.fromisoformat(schedule["effective_from"])
        Decimal(str(schedule["jkk"]["rate"]))
        int(schedule["jkm"]["flat"])
        Decimal(str(schedule.get("jht", {"rate": "0"})["rate"]))
        bands = schedule["bands"]
        if not bands or bands[-1]["up_to"] is not None:
            raise ValueError("band terakhir harus up_to null")
        for band in bands:
            int(band["base"])
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise ContributionConfigError(f"konfigurasi iuran {where} tidak lengkap: {exc}") from exc


def load_schedules(path: str | Path | None = None) -> list[dict[str, Any]]:
    """The dated schedules, oldest first."""
    return load_config(path)["schedules"]


def schedule_for(schedules: list[dict[str, Any]], on: date) -> dict[str, Any]:
    """The schedule in force on ``on``."""
    valid = [s for s in schedules if date.fromisoformat(s["effective_from"]) <= on]
    if not valid:
        raise ContributionConfigError(f"tidak ada jadwal iuran yang berlaku pada {on.isoformat()}")
    return valid[-1]


def discounts_for(config: dict[str, Any], on: date, payer: str) -> list[dict[str, Any]]:
    """The discounts in force on ``on`` that apply to ``payer``."""
    out = []
    for discount in config.get("discounts", []):
        if date.fromisoformat(discount["valid_from"]) > on:
            continue
        if discount.get("valid_until") and date.fromisoformat(discount["valid_until"]) < on:
            continue
        if "applies_to_payers" in discount and payer not in discount["applies_to_payers"]:
            continue
        if payer in discount.get("except_payers", []):
            continue
        out.append(discount)
    return out


def _confirmed(part: dict[str, Any]) -> bool:
    return bool(part.get("confirmed", False))


def contribution(income: int | None, schedule: dict[str, Any], jht: bool = False,
                 payer: str = DEFAULT_PAYER,
                 discounts: list[dict[str, Any]] | None = None) -> Contribution:
    """JKK, JKM and (when ``jht``) JHT for a declared monthly income (None = the
    lowest band), with the given discounts applied; integer rupiah, half up."""
    bands = schedule["bands"]
    band = bands[0] if income is None else next(
        b for b in bands if b["up_to"] is None or income <= b["up_to"])
    base = Decimal(int(band["base"]))
    amounts = {
        "jkk": Decimal(str(schedule["jkk"]["rate"])) * base,
        "jkm": Decimal(int(schedule["jkm"]["flat"])),
        "jht": Decimal(str(schedule["jht"]["rate"])) * base if jht and "jht" in schedule
        else Decimal(0),
    }
    unconfirmed = []
    if not _confirmed(band):
        unconfirmed.append(f"band {rupiah(int(band['base']))}")
    for part in ("jkk", "jkm") + (("jht",) if jht else ()):
        if part in schedule and not _confirmed(schedule[part]):
            unconfirmed.append(f"tarif {part.upper()}")
    applied = []
    for discount in discounts or []:
        factor = Decimal(str(discount["factor"]))
        for part in discount.get("components", []):
            if part in amounts:
                amounts[part] *= factor
        applied.append(discount["id"])
        if not _confirmed(discount):
            unconfirmed.append(f"potongan {discount['id']}")
    whole = {k: int(v.quantize(Decimal(1), ROUND_HALF_UP)) for k, v in amounts.items()}
    return Contribution(
        income=income, base=int(band["base"]), band_up_to=band["up_to"], jkk=whole["jkk"],
        jkm=whole["jkm"], jht=whole["jht"], band_confirmed=_confirmed(band),
        unconfirmed=tuple(unconfirmed), effective_from=schedule["effective_from"],
        legal_basis=schedule["legal_basis"], payer=payer, discounts=tuple(applied))


class Calculator:
    """Contributions for one month under one configuration (the payment list's)."""

    def __init__(self, config: dict[str, Any], month_start: date) -> None:
        self.config = config
        self.payer = str(config.get("payer") or DEFAULT_PAYER)
        self.schedule = schedule_for(config["schedules"], month_start)
        self.discounts = discounts_for(config, month_start, self.payer)
        self._known: dict[tuple[int | None, bool], Contribution] = {}

    def __call__(self, income: int | None, jht: bool = False) -> Contribution:
        key = (income, bool(jht))
        known = self._known.get(key)
        if known is None:
            known = contribution(income, self.schedule, jht=jht, payer=self.payer,
                                 discounts=self.discounts)
            if len(self._known) < 50_000:  # incomes repeat; the memo stays small
                self._known[key] = known
        return known
