"""Synthetic program data for central: a DTSEN extract, the BPJS participant list
and the 2024 cohort, written as an office would get them from Excel."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

from berjasa import reference
from berjasa.number_text import thousands
from berjasa.synthetic.numbers import make_kk, make_nik
from berjasa.synthetic.people import seeded_faker

# Excel's short month names in an Indonesian locale (a date cell formatted mmm-yy).
MONTHS_ID = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")
# DTSEN desil of Makassar households, poorest first (the extract leans poor).
DESIL_WEIGHTS = [15, 14, 13, 12, 11, 10, 8, 7, 5, 5]


class ProgramDataFaker:
    """Writes the files central imports, as an office would get them from Excel:
    a DTSEN extract (Windows-1252, ``;``, an apostrophe before each NIK/KK, a few
    NIKs turned into scientific notation or cut to 15 digits, impossible dates,
    unknown kelurahan), the BPJS participant list (UTF-8 with BOM) and the 2024
    cohort (Windows-1252, ``;``, some coverage months turned into dates by Excel). ``known`` records (e.g. what ``berjasa demo``
    seeds) appear in the files so that the demo's records match some rows."""

    def __init__(self, seed: int = 0) -> None:
        self.random = random.Random(seed)
        self.fake = seeded_faker(seed)
        self.kelurahan = [r.code for r in reference.kelurahan_list()]
        self.serial = self.random.randint(5000, 9000)

    def _person(self) -> dict[str, Any]:
        r = self.random
        sex = r.choice("LP")
        birth = dt.date(1961, 1, 1) + dt.timedelta(days=r.randint(0, 365 * 44))
        kelurahan = r.choice(self.kelurahan)
        region = kelurahan.replace(".", "")[:6]
        self.serial = self.serial % 9999 + 1
        first = self.fake.first_name_male() if sex == "L" else self.fake.first_name_female()
        return {"nik": make_nik(birth, sex, region, self.serial),
                "kk_number": make_kk(dt.date(2012, 1, 1) + dt.timedelta(days=r.randint(0, 4000)),
                                     region, r.randint(1, 9999)),
                "full_name": f"{first} {self.fake.last_name()}", "birth_date": birth.isoformat(),
                "kelurahan_code": kelurahan}

    def _kpj(self) -> str:
        return f"{self.random.randint(10**10, 10**11 - 1)}"

    def write(self, folder: Path, known: list[dict[str, Any]] | None = None, dtsen_rows: int = 2000,
              cohort_rows: int = 300, participants: int = 200, damage: bool = True,
              name_mismatches: int = 0) -> dict[str, Path]:
        """Write ``dtsen.csv``, ``bpjs_peserta.csv`` and ``kohort_2024.csv``; their paths.
        ``name_mismatches``: that many known records listed (within the cut-off) under
        another given name, as registers sometimes disagree: central raises an identity
        finding for each (the demo sends one back to its kelurahan)."""
        folder.mkdir(parents=True, exist_ok=True)
        r = self.random
        known = list(known or [])
        # known records: most listed within the usual cut-off (5), every tenth above it
        listed_known = []
        for index, record in enumerate(known):
            if index % 10 == 9:
                listed_known.append({**record, "desil": r.randint(7, 10)})
            elif r.random() < 0.6:
                listed_known.append({**record, "desil": r.randint(1, 5)})
        within = [row for row in listed_known if row["desil"] <= 5]
        for row in within[:name_mismatches]:
            words = row["full_name"].split()
            given = self.fake.first_name_male() if row.get("sex") == "L" else self.fake.first_name_female()
            row["full_name"] = " ".join([given, *words[1:]]) if len(words) > 1 else f"{given} {words[0]}"
        others = [self._person() for _ in range(dtsen_rows)]
        for row in others:
            row["desil"] = r.choices(range(1, 11), DESIL_WEIGHTS)[0]
        dtsen = [*listed_known, *others]
        cohort = [self._person() for _ in range(cohort_rows)]
        for row in cohort:
            row["kpj_number"] = self._kpj()
            row["coverage_start"] = f"2024-{r.choices(range(1, 13), [30, 15, 10, 8, 6, 5, 5, 5, 4, 4, 4, 4])[0]:02d}"
            row["monthly_income"] = r.randrange(600_000, 3_500_000, 50_000) if r.random() < 0.7 else None
            row["jht"] = 1 if r.random() < 0.1 else 0
        paths = {"dtsen": folder / "dtsen.csv", "bpjs-participants": folder / "bpjs_peserta.csv",
                 "cohort": folder / "kohort_2024.csv"}
        self._write_dtsen(paths["dtsen"], dtsen, damage)
        already = [k for index, k in enumerate(known) if index % 20 == 10]  # already participants
        others = [self._person() for _ in range(participants)]
        self._write_bpjs(paths["bpjs-participants"], cohort, already, others)
        self._write_cohort(paths["cohort"], cohort, damage)
        return paths

    def _write_dtsen(self, path: Path, rows: list[dict], damage: bool) -> None:
        r = self.random
        lines = ["NIK;No_KK;Nama;Tanggal_Lahir;Kode_Kelurahan;Desil_Nasional"]
        for row in rows:
            born = dt.date.fromisoformat(row["birth_date"])
            kk = f"'{row['kk_number']}" if row.get("kk_number") else ""
            lines.append(f"'{row['nik']};{kk};{row['full_name']};{born:%d-%m-%Y};"
                         f"{row['kelurahan_code']};{row['desil']}")
        if damage:
            extra = [self._person() for _ in range(9)]
            for index, person in enumerate(extra):
                nik = person["nik"]
                born, kel, desil = f"{dt.date.fromisoformat(person['birth_date']):%d-%m-%Y}", person["kelurahan_code"], 3
                if index < 3:
                    nik = f"{int(nik):.5E}"  # 7.37101E+15, as Excel shows it
                elif index < 5:
                    nik = nik[:15]
                elif index < 7:
                    born = "31-02-1985"
                else:
                    kel = "73.71.99.9999"
                lines.append(f"{nik};;{person['full_name']} Daéng;{born};{kel};{desil}")
            body = lines[1:]
            r.shuffle(body)
            lines = [lines[0], *body]
        path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252", errors="replace"))

    def _write_bpjs(self, path: Path, cohort: list[dict], already: list[dict], others: list[dict]) -> None:
        r = self.random
        lines = ["NIK,No_KPJ,Program,Status,Mulai_Kepesertaan"]
        for row in cohort:
            lines.append(f"{row['nik']},{row['kpj_number']},JKK+JKM,Aktif,{row['coverage_start']}")
        for row in already:
            lines.append(f"{row['nik']},{self._kpj()},JKK+JKM+JHT,Aktif,2023-0{r.randint(1, 9)}")
        for row in others:
            status = r.choices(["Aktif", "Nonaktif", "Keluar"], [60, 30, 10])[0]
            lines.append(f"{row['nik']},{self._kpj()},JKK+JKM,{status},20{r.randint(18, 24)}-0{r.randint(1, 9)}")
        path.write_text("\ufeff" + "\r\n".join(lines) + "\r\n", encoding="utf-8")

    def _write_cohort(self, path: Path, rows: list[dict], damage: bool) -> None:
        lines = ["NIK;No_KPJ;Nama;Tgl_Lahir;Kode_Kelurahan;Mulai_Kepesertaan;Penghasilan;JHT"]
        for index, row in enumerate(rows):
            income = "" if row["monthly_income"] is None else thousands(row["monthly_income"])
            start = row["coverage_start"]
            if damage and index % 5 == 4:  # Excel made the typed month a date: "Mar-24", "01/03/2024"
                year, month = (int(part) for part in start.split("-"))
                start = (f"{MONTHS_ID[month - 1]}-{year % 100:02d}" if index % 10 == 4
                         else f"01/{month:02d}/{year}")
            lines.append(f"'{row['nik']};'{row['kpj_number']};{row['full_name']};{row['birth_date']};"
                         f"{row['kelurahan_code']};{start};{income};{'ya' if row['jht'] else ''}")
        if damage:
            person = self._person()
            lines.append(f"{person['nik'][:15]};{self._kpj()};{person['full_name']};{person['birth_date']};"
                         f"{person['kelurahan_code']};2024-01;;")
            lines.append(f"{self._person()['nik']};{self._kpj()};Tanpa Kelurahan;1980-01-01;;2024-01;;")
        path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252", errors="replace"))


def write_program_data(folder: Path, known: list[dict[str, Any]] | None = None, seed: int = 0,
                       **sizes: int) -> dict[str, Path]:
    """The three program files for the demo and tests (see ProgramDataFaker)."""
    return ProgramDataFaker(seed).write(folder, known, **sizes)
