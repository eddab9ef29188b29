"""Contributions from dated configuration: bands, JKM flat, JHT for flagged workers,
the payer field and a discount rule that never applies to APBD; integer rupiah that a
person sums by hand."""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest

from central.contributions import (
    Calculator,
    ContributionConfigError,
    contribution,
    discounts_for,
    load_config,
    rupiah,
    schedule_for,
)

CONFIG = load_config()
OCT_2025 = Calculator(CONFIG, date(2025, 10, 1))


@pytest.mark.parametrize("income, jht, base, jkk, jkm, jht_due, total", [
    (None, False, 1_000_000, 10_000, 6_800, 0, 16_800),        # cohort without income: floor
    (0, False, 1_000_000, 10_000, 6_800, 0, 16_800),
    (1_099_000, False, 1_000_000, 10_000, 6_800, 0, 16_800),   # top of the first band
    (1_099_001, False, 1_200_000, 12_000, 6_800, 0, 18_800),   # one rupiah above
    (1_500_000, False, 1_600_000, 16_000, 6_800, 0, 22_800),
    (2_699_000, False, 2_600_000, 26_000, 6_800, 0, 32_800),
    (None, True, 1_000_000, 10_000, 6_800, 20_000, 36_800),    # with JHT: Rp36.800
    (1_500_000, True, 1_600_000, 16_000, 6_800, 32_000, 54_800),
])
def test_bands_and_components(income, jht, base, jkk, jkm, jht_due, total):
    due = OCT_2025(income, jht=jht)
    assert (due.base, due.jkk, due.jkm, due.jht, due.total) == (base, jkk, jkm, jht_due, total)
    assert due.confirmed and due.payer == "APBD" and due.discounts == ()


def test_a_list_sums_by_hand():
    incomes = [None, 800_000, 1_150_000, 1_500_000, 2_000_000, 2_650_000]
    dues = [OCT_2025(i, jht=(n % 2 == 0)) for n, i in enumerate(incomes)]
    # Worked by hand from the bands: JKK 10.000+10.000+12.000+16.000+20.000+26.000,
    # JKM 6 x 6.800, JHT (rows 0, 2, 4) 20.000+24.000+40.000.
    assert sum(d.jkk for d in dues) == 94_000
    assert sum(d.jkm for d in dues) == 40_800
    assert sum(d.jht for d in dues) == 84_000
    assert sum(d.total for d in dues) == 94_000 + 40_800 + 84_000 == 218_800


def test_unconfirmed_band_is_named():
    due = OCT_2025(4_700_000)
    assert not due.confirmed and due.unconfirmed == ("band Rp20.700.000",)
    assert due.jkk == 207_000  # computed, but the final list refuses to use it


def test_pp_50_2025_discount_does_not_apply_to_apbd_but_does_to_others():
    jan_2026 = date(2026, 1, 1)
    assert discounts_for(CONFIG, jan_2026, "APBD") == []
    assert discounts_for(CONFIG, jan_2026, "APBN") == []
    applied = discounts_for(CONFIG, jan_2026, "mandiri")
    assert [d["id"] for d in applied] == ["pp-50-2025"]
    assert discounts_for(CONFIG, date(2027, 1, 1), "mandiri") == []  # valid_until 2026-12-31
    schedule = schedule_for(CONFIG["schedules"], jan_2026)
    own = contribution(1_000_000, schedule, payer="mandiri", discounts=applied)
    assert (own.jkk, own.jkm, own.total) == (5_000, 3_400, 8_400)
    assert "potongan pp-50-2025" in own.unconfirmed
    assert Calculator(CONFIG, jan_2026)(1_000_000).total == 16_800  # APBD: full rate


def test_applies_to_payers_and_half_up_rounding():
    config = copy.deepcopy(CONFIG)
    config["discounts"] = [{"id": "x", "valid_from": "2020-01-01", "components": ["jkm"],
                            "factor": "0.25", "applies_to_payers": ["APBD"], "confirmed": True}]
    due = Calculator(config, date(2025, 1, 1))(None)
    assert due.jkm == 1_700 and due.discounts == ("x",)
    config["discounts"][0]["factor"] = "0.00007353"  # 6800 x f = 0.500004 -> 1 (half up)
    assert Calculator(config, date(2025, 1, 1))(None).jkm == 1
    config["discounts"][0]["applies_to_payers"] = ["mandiri"]
    assert Calculator(config, date(2025, 1, 1))(None).jkm == 6_800


def test_a_newer_schedule_applies_from_its_date():
    config = copy.deepcopy(CONFIG)
    newer = copy.deepcopy(config["schedules"][0])
    newer["effective_from"] = "2026-02-01"
    newer["jkm"]["flat"] = 7_000
    config["schedules"].append(newer)
    assert Calculator(config, date(2026, 1, 1))(None).jkm == 6_800
    assert Calculator(config, date(2026, 2, 1))(None).jkm == 7_000


def test_no_schedule_before_the_first_effective_date():
    with pytest.raises(ContributionConfigError):
        Calculator(CONFIG, date(2010, 1, 1))


def test_bad_config_is_one_clear_error(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"schedules": [{"effective_from": "2015-07-01"}]}))
    with pytest.raises(ContributionConfigError, match="2015-07-01"):
        load_config(path)
    path.write_text("{not json")
    with pytest.raises(ContributionConfigError):
        load_config(path)


def test_rupiah():
    assert rupiah(1_234_567) == "Rp1.234.567" and rupiah(0) == "Rp0"
