"""Realistic synthetic enrollments for the demo, benchmarks and tests (Faker
``id_ID``): valid NIKs for Makassar kecamatan (some moved in from elsewhere in
Sulawesi Selatan), plausible informal work and incomes, consent and heirs."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

from faker import Faker

from berjasa import identity, reference

# Informal work with its usual KTP occupation and a plausible monthly income range.
WORK = [
    ("Pedagang kecil / pedagang pasar", "Pedagang", 800_000, 3_000_000),
    ("Pengemudi ojek", "Sopir", 1_200_000, 3_500_000),
    ("Buruh harian lepas", "Buruh Harian Lepas", 700_000, 2_500_000),
    ("Asisten rumah tangga", "Pembantu Rumah Tangga", 600_000, 2_000_000),
    ("Nelayan", "Nelayan/Perikanan", 700_000, 2_800_000),
    ("Tukang / buruh bangunan", "Tukang Batu", 1_000_000, 3_200_000),
    ("Pemulung", "Lainnya", 400_000, 1_200_000),
    ("Petani kota", "Petani/Pekebun", 500_000, 1_800_000),
    ("Seniman / pekerja seni", "Seniman", 500_000, 2_500_000),
    ("Pekerja terminal", "Buruh Harian Lepas", 800_000, 2_400_000),
]
RELATIONS = ["Istri", "Suami", "Anak", "Ibu", "Ayah", "Saudara Kandung"]


class EnrollmentFaker:
    """Makes enrollment payloads for one kelurahan; seeded for repeatable runs."""

    def __init__(self, kelurahan_code: str, seed: int = 0) -> None:
        self.kelurahan_code = kelurahan_code
        self.random = random.Random(seed)
        self.fake = Faker("id_ID")
        self.fake.seed_instance(seed)
        self.kecamatan = [c for c in sorted(reference.kecamatan_codes())]
        self.serial = self.random.randint(1, 5000)
        self.occupations = {o.casefold(): o for o in reference.occupations()}

    def _region(self) -> str:
        """Mostly the kelurahan's own kecamatan, sometimes elsewhere in Makassar or
        Sulawesi Selatan (moved in)."""
        roll = self.random.random()
        if roll < 0.7:
            return self.kelurahan_code.replace(".", "")[:6]
        if roll < 0.9:
            return self.random.choice(self.kecamatan)
        return self.random.choice(["730101", "730201", "731401", "732201", "737201"])

    def _next_serial(self) -> int:
        self.serial = self.serial % 9999 + 1
        return self.serial

    def enrollment(self, **overrides: Any) -> dict[str, Any]:
        """One valid enrollment payload as a client would send it."""
        r = self.random
        sex = r.choice("LP")
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=r.randint(0, 365 * 44))
        first = self.fake.first_name_male() if sex == "L" else self.fake.first_name_female()
        name = f"{first} {self.fake.last_name()}"
        work, ktp, low, high = r.choice(WORK)
        occupation = self.occupations.get(ktp.casefold(), "Lainnya")
        captured = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).replace(microsecond=0)
        record = {
            "id": str(uuid.UUID(int=r.getrandbits(128), version=4)),
            "nik": identity.make_nik(birth, sex, self._region(), self._next_serial()),
            "kk_number": identity.make_kk(birth + dt.timedelta(days=r.randint(6000, 12000))
                                          if birth.year < 1990 else dt.date(2015, 6, 1),
                                          self._region(), r.randint(1, 9999)),
            "full_name": name,
            "birth_place": r.choice(["Makassar", "Ujung Pandang", "Gowa", "Maros", "Bone",
                                     "Jeneponto", "Takalar", "Pangkep"]),
            "birth_date": birth.isoformat(),
            "sex": sex,
            "address": f"Jl. {self.fake.street_name()} Lr. {r.randint(1, 12)} No. {r.randint(1, 90)}",
            "rt": f"{r.randint(1, 12):03d}",
            "rw": f"{r.randint(1, 8):03d}",
            "kelurahan_code": self.kelurahan_code,
            "mother_name": f"{self.fake.first_name_female()} {self.fake.last_name()}",
            "phone": "08" + "".join(str(r.randint(0, 9)) for _ in range(r.choice([9, 10]))),
            "occupation": occupation,
            "work_category": work,
            "monthly_income": r.randrange(low, high, 50_000),
            "heir_name": f"{self.fake.first_name()} {self.fake.last_name()}",
            "heir_relation": r.choice(RELATIONS),
            "consent": {"given": True, "method": r.choice(["signature", "thumbprint", "verbal"]),
                        "at": captured.isoformat()},
            "location": {"lat": round(-5.13 - r.random() * 0.05, 6),
                         "lon": round(119.41 + r.random() * 0.05, 6),
                         "accuracy_m": float(r.randint(4, 40))},
            "captured_at": captured.isoformat(),
            "notes": None,
        }
        record.update(overrides)
        return {k: v for k, v in record.items() if v is not None}

    def problem_enrollment(self, kind: str) -> dict[str, Any]:
        """A record with a deliberate, realistic problem, for demos and tests."""
        record = self.enrollment()
        if kind == "nik_sex_mismatch":
            record["sex"] = "P" if record["sex"] == "L" else "L"
        elif kind == "spreadsheet_nik":
            record["nik"] = "7.37101E+15"
        elif kind == "high_income":
            record["monthly_income"] = 6_500_000
        elif kind == "other_kelurahan":
            record["kelurahan_code"] = next(r.code for r in reference.kelurahan_list()
                                            if r.code != self.kelurahan_code)
        elif kind == "moved_in":
            birth = dt.date.fromisoformat(record["birth_date"])
            record["nik"] = identity.make_nik(birth, record["sex"], "730201", self._next_serial())
        return record
