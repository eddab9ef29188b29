"""Monthly BPU contributions from DATED configuration (central/data/contributions.json
or the ``central_contributions_file`` setting), never from code constants.

JKK = ``jkk_rate`` × the base of the income band the declared income falls in;
JKM = ``jkm_flat``. The schedule used is the latest whose ``effective_from`` is on
or before the date asked about.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Contribution:
    """One worker's monthly contribution under one schedule."""

    income: int
    base: int
    jkk: int
    jkm: int
    band_confirmed: bool
    effective_from: str
    legal_basis: str

    @property
    def total(self) -> int:
        """JKK + JKM, what the city pays per month."""
        return self.jkk + self.jkm


def load_schedules(path: str | None = None) -> list[dict[str, Any]]:
    """The dated schedules, oldest first."""
    if path:
        text = Path(path).read_text(encoding="utf-8")
    else:
        text = resources.files("central").joinpath("data", "contributions.json").read_text(encoding="utf-8")
    return sorted(json.loads(text)["schedules"], key=lambda s: s["effective_from"])


def schedule_for(schedules: list[dict[str, Any]], on: date) -> dict[str, Any]:
    """The schedule in force on ``on``."""
    valid = [s for s in schedules if date.fromisoformat(s["effective_from"]) <= on]
    if not valid:
        raise ValueError(f"no contribution schedule in force on {on.isoformat()}")
    return valid[-1]


def contribution(income: int, schedule: dict[str, Any]) -> Contribution:
    """JKK and JKM for a declared monthly income (rupiah, rounded half up)."""
    band = next(b for b in schedule["bands"] if b["up_to"] is None or income <= b["up_to"])
    jkk = (Decimal(schedule["jkk_rate"]) * band["base"]).quantize(Decimal(1), ROUND_HALF_UP)
    return Contribution(income=income, base=band["base"], jkk=int(jkk), jkm=int(schedule["jkm_flat"]),
                        band_confirmed=bool(band.get("confirmed", False)),
                        effective_from=schedule["effective_from"],
                        legal_basis=schedule["legal_basis"])
