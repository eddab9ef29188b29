"""Realistic synthetic enrollments for the demo, benchmarks and tests (Faker
``id_ID``): valid NIKs for Makassar kecamatan (some moved in from elsewhere in
Sulawesi Selatan), plausible informal work and incomes, consent and heirs.

The one generator of enrollment records: :meth:`EnrollmentFaker.enrollment` is a
payload as the phone sends it, :meth:`EnrollmentFaker.approved` the same record
as the kelurahan holds it after review (what the agent sends to central).
Deterministic: the same seed (and ``start``) gives the same records."""

from __future__ import annotations

import datetime as dt
import random
import uuid
import zlib
from typing import Any

from berjasa import reference
from berjasa.local_time import WITA
from berjasa.synthetic.numbers import make_kk, make_nik
from berjasa.synthetic.people import seeded_faker

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
# Heirs as the enrollment schema lists them (berjasa/enrollment_schema.py HEIR_RELATIONS);
# a test posts every generated record to the kelurahan API.
RELATIONS = ["Istri", "Suami", "Anak", "Ibu", "Ayah", "Saudara Kandung"]
NOTES = ["Rumah di belakang masjid", "Ditemui di pasar", "Nomor HP milik anak",
         "Pendataan ulang setelah pindah", "Bekerja malam hari"]


class EnrollmentFaker:
    """Makes enrollment payloads for one kelurahan; seeded for repeatable runs.

    ``start``: the capture time of the first record, later ones a few minutes
    apart; without it every record is captured now (the demo)."""

    def __init__(self, kelurahan_code: str, seed: int = 0,
                 start: dt.datetime | None = None) -> None:
        self.kelurahan_code = kelurahan_code
        self.random = random.Random(seed)
        self.fake = seeded_faker(seed)
        self.kecamatan = [c for c in sorted(reference.kecamatan_codes())]
        self.serial = self.random.randint(1, 5000)
        self.occupations = {o.casefold(): o for o in reference.occupations()}
        # a stream of its own, so adding the field left every other value as it was
        self.disability_random = random.Random(seed + 7919)
        # the same for the clock and for what review adds (approved())
        self.clock = start
        self.clock_random = random.Random(seed + 104_729)
        self.review_random = random.Random(seed + 15_485_863)

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
        captured = self._captured_at()
        record = {
            "id": str(uuid.UUID(int=r.getrandbits(128), version=4)),
            "nik": make_nik(birth, sex, self._region(), self._next_serial()),
            "kk_number": make_kk(birth + dt.timedelta(days=r.randint(6000, 12000))
                                 if birth.year < 1990 else dt.date(2015, 6, 1),
                                 self._region(), r.randint(1, 9999)),
            "full_name": name,
            "birth_place": r.choice(["Makassar", "Ujung Pandang", "Gowa", "Maros", "Bone",
                                     "Jeneponto", "Takalar", "Pangkep"]),
            "birth_date": birth.isoformat(),
            "sex": sex,
            # faker's id_ID street names carry their prefix already ("Jl. ...", "Gg. ...")
            "address": f"{self.fake.street_name()} Lr. {r.randint(1, 12)} No. {r.randint(1, 90)}",
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
            "disability": self._disability(),
        }
        record.update(overrides)
        return {k: v for k, v in record.items() if v is not None}

    def _disability(self) -> dict[str, Any] | None:
        """About 30% not asked, 8% with a disability (Washington Group kinds)."""
        roll = self.disability_random.random()
        if roll < 0.3:
            return None
        if roll < 0.38:
            kinds = ["seeing", "hearing", "walking", "cognition", "self_care", "communication"]
            chosen = set(self.disability_random.sample(kinds, self.disability_random.choice([1, 1, 2])))
            return {"has_disability": True, "kinds": [k for k in kinds if k in chosen]}
        return {"has_disability": False, "kinds": []}

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
            record["nik"] = make_nik(birth, record["sex"], "730201", self._next_serial())
        return record

    def _captured_at(self) -> dt.datetime:
        """Now, or the next moment after ``start`` (30 s to 15 min after the last)."""
        if self.clock is None:
            return dt.datetime.now(WITA).replace(microsecond=0)
        self.clock += dt.timedelta(seconds=self.clock_random.randint(30, 900))
        return self.clock

    def approved(self, **overrides: Any) -> dict[str, Any]:
        """One record as the kelurahan holds it once a supervisor approved it, the
        shape the agent sends to central: the enrollment plus ``version``,
        ``enumerator``, ``reviewed_by`` and ``reviewed_at``; the optional fields
        filled as often as enumerators fill them (phone, heir's phone, location,
        work category, notes)."""
        r = self.review_random
        record = self.enrollment()
        if r.random() < 0.15:
            record.pop("phone")
        if r.random() < 0.5:
            digits = r.choice([9, 10])
            record["heir_phone"] = "08" + "".join(str(r.randint(0, 9)) for _ in range(digits))
        if r.random() < 0.2:
            record.pop("location")
        if r.random() < 0.12:
            record.pop("work_category")
        if r.random() < 0.2:
            record["notes"] = r.choice(NOTES)
        # reviewed some hours after capture; captured "now" (no start), reviewed now too
        later = dt.timedelta(hours=6, seconds=r.randint(0, 3600)) if self.clock else dt.timedelta()
        reviewed = dt.datetime.fromisoformat(record["captured_at"]) + later
        record.update(version=1 if r.random() < 0.9 else 2,
                      enumerator=f"petugas{r.randint(1, 4):02d}",
                      reviewed_by=f"lurah{r.randint(1, 153):03d}", reviewed_at=reviewed.isoformat())
        record.update(overrides)
        return record


def approved_records(count: int, kelurahan_code: str, seed: int = 0,
                     start: dt.datetime | None = None) -> list[dict[str, Any]]:
    """``count`` approved records of one kelurahan (see :meth:`EnrollmentFaker.approved`),
    captured from ``start`` on (default 2025-10-06 09:00 WITA, so the same seed gives
    the same records). The kelurahan is mixed into the seed: two kelurahan with
    the same seed share no NIK and no id."""
    start = start or dt.datetime(2025, 10, 6, 9, 0, tzinfo=WITA)
    mixed = seed * 1_000_003 + zlib.crc32(kelurahan_code.encode())
    faker = EnrollmentFaker(kelurahan_code, seed=mixed, start=start)
    return [faker.approved() for _ in range(count)]


