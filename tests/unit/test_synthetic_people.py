"""unit: berjasa.synthetic.people — the slim ``id_ID`` Faker the generators draw from
gives, seed for seed, the names and streets a full ``Faker("id_ID")`` gives, so
loading fewer providers changed no generated record."""

from __future__ import annotations

import pytest
from faker import Faker

from berjasa.synthetic.people import seeded_faker

# Every Faker method berjasa/synthetic calls.
CALLED = ("first_name_male", "first_name_female", "first_name", "last_name", "name_male",
          "name_female", "street_name")


@pytest.mark.parametrize("seed", [0, 1, 7, 2026])
def test_the_same_seed_draws_what_the_full_faker_draws(seed):
    full = Faker("id_ID")
    full.seed_instance(seed)
    slim = seeded_faker(seed)
    assert [getattr(slim, m)() for m in CALLED * 20] == [getattr(full, m)() for m in CALLED * 20]


def test_two_fakers_with_one_seed_do_not_share_a_stream():
    one, two = seeded_faker(3), seeded_faker(3)
    first = one.last_name()
    one.last_name()
    assert two.last_name() == first
