"""Synthetic approved enrollments (Faker ``id_ID`` plus Makassar flavour) for the
protocol size measurement, tests, benchmarks and the demo. No real person's data.

Records are shaped as the agent sends them (:data:`sync.protocol.RECORD_FIELDS`),
with NIKs that agree with birth date and sex, Makassar kelurahan codes, RT/RW,
occupations from the KTP list and timestamps in the formats the kelurahan server
and the phone write.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any

from faker import Faker

from berjasa.reference import kelurahan_list, occupations

_LOCAL_GIVEN = ["Muh.", "Muhammad", "Andi", "Hj.", "St.", "Abd.", "Nur", "Sitti", "Daeng"]
_WORK = ["Pedagang kecil / pedagang pasar", "Pengemudi ojek", "Buruh harian lepas",
         "Asisten rumah tangga", "Nelayan", "Pemulung", "Tukang / buruh bangunan", None]
_OCCUPATIONS_USED = ["Wiraswasta", "Buruh Harian Lepas", "Mengurus Rumah Tangga", "Pedagang",
                     "Nelayan/Perikanan", "Belum/Tidak Bekerja", "Tukang Batu", "Sopir"]
# Values the enrollment schema accepts (server/schemas/enrollment.py HEIR_RELATIONS):
# "Orang Tua" was refused there. Same length, so seeded samples keep their other fields.
_RELATIONS = ["Suami", "Istri", "Anak", "Ayah", "Saudara Kandung"]


def _name(fake: Faker, rng: random.Random, female: bool) -> str:
    first = fake.first_name_female() if female else fake.first_name_male()
    if rng.random() < 0.3:
        first = rng.choice(_LOCAL_GIVEN) + " " + first
    return f"{first} {fake.last_name()}"


def _nik(rng: random.Random, kecamatan: str, born: date, female: bool) -> str:
    day = born.day + (40 if female else 0)
    region = kecamatan if rng.random() < 0.85 else rng.choice(["737201", "730801", "740101"])
    return f"{region}{day:02d}{born.month:02d}{born.year % 100:02d}{rng.randint(1, 9999):04d}"


def synthetic_records(count: int, kelurahan_code: str | None = None, seed: int = 0,
                      start: datetime | None = None) -> list[dict[str, Any]]:
    """``count`` approved records for one kelurahan (random when not given)."""
    rng = random.Random(seed)
    fake = Faker("id_ID")
    fake.seed_instance(seed)
    known = [o for o in _OCCUPATIONS_USED if o in occupations()] or list(occupations())[:8]
    code = kelurahan_code or rng.choice(kelurahan_list()).code
    kecamatan = code.replace(".", "")[:6]
    clock = start or datetime(2025, 10, 6, 1, 0, tzinfo=timezone.utc)
    enumerators = [f"petugas{rng.randint(1, 40):02d}" for _ in range(4)]
    supervisor = f"lurah{rng.randint(1, 153):03d}"
    records = []
    for _ in range(count):
        female = rng.random() < 0.45
        born = date(1960, 1, 1) + timedelta(days=rng.randint(0, 365 * 45))
        clock += timedelta(seconds=rng.randint(30, 900), milliseconds=rng.randint(0, 999))
        kk_region = kecamatan if rng.random() < 0.9 else "737201"
        records.append({
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "nik": _nik(rng, kecamatan, born, female),
            "kk_number": f"{kk_region}{rng.randint(1, 28):02d}{rng.randint(1, 12):02d}"
                         f"{rng.randint(5, 24):02d}{rng.randint(1, 9999):04d}",
            "full_name": _name(fake, rng, female),
            "birth_place": rng.choice(["Makassar", "Ujung Pandang", "Gowa", "Maros", "Bone",
                                       "Jeneponto", "Takalar", fake.city()]),
            "birth_date": born.isoformat(),
            "sex": "P" if female else "L",
            "address": f"{fake.street_address()}",
            "rt": f"{rng.randint(1, 12):03d}",
            "rw": f"{rng.randint(1, 8):03d}",
            "kelurahan_code": code,
            "mother_name": f"{fake.first_name_female()} {fake.last_name()}",
            "phone": None if rng.random() < 0.15 else f"08{rng.choice('1258')}{rng.randint(10**8, 10**9 - 1)}",
            "occupation": rng.choice(known),
            "work_category": rng.choice(_WORK),
            "monthly_income": rng.randint(5, 45) * 100_000,
            "heir_name": _name(fake, rng, not female),
            "heir_relation": rng.choice(_RELATIONS),
            "heir_phone": None if rng.random() < 0.5 else f"08{rng.randint(10**9, 10**10 - 1)}",
            "consent": {"given": True, "method": rng.choice(["signature", "verbal", "thumbprint"]),
                        "at": (clock - timedelta(minutes=5)).isoformat(timespec="milliseconds")
                        .replace("+00:00", "Z")},
            "location": None if rng.random() < 0.2 else {
                "lat": round(-5.13 - rng.random() * 0.1, 6), "lon": round(119.40 + rng.random() * 0.1, 6),
                "accuracy_m": rng.randint(3, 60)},
            "captured_at": clock.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "notes": None if rng.random() < 0.8 else fake.sentence(nb_words=6),
            "version": 1 if rng.random() < 0.9 else 2,
            "enumerator": rng.choice(enumerators),
            "reviewed_by": supervisor,
            "reviewed_at": (clock + timedelta(hours=6, seconds=rng.randint(0, 3600),
                                              microseconds=rng.randint(0, 999_999))).isoformat(),
        })
    return records
