"""The Faker every synthetic generator draws names and streets from: ``id_ID`` with
only the person and address providers loaded. Those are all the generators call
(first and last names, full names, street names), and the same seed gives the same
values as a full ``Faker("id_ID")``; loading the other twenty-odd providers cost
about a millisecond per generator, which the tests pay a few hundred times."""

from __future__ import annotations

from faker import Faker

PROVIDERS = ("faker.providers.person", "faker.providers.address")


def seeded_faker(seed: int) -> Faker:
    """An ``id_ID`` Faker seeded with ``seed`` (its own random stream)."""
    fake = Faker("id_ID", providers=list(PROVIDERS))
    fake.seed_instance(seed)
    return fake
