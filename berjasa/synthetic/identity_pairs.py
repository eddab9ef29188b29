"""A labelled synthetic set of (record, register row) pairs for the identity
matcher (central/identity_match.py): Faker ``id_ID`` names mixed with Makassar
names, realistic variants of one person's name between two registers, and hard
negatives (different people with the same common name born the same year,
twins, a mistyped NIK landing on a stranger). Seeded: the same seed gives the
same set. Used by bench/identity_match_bench.py, the tests and the demo."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from berjasa.synthetic.people import seeded_faker

# Common Makassar given names and family/daeng names (KTP spellings)
MAKASSAR_MALE = ["Baso", "Muhammad", "Andi", "Abdul", "Syamsuddin", "Haeruddin", "Jumardi",
                 "Ridwan", "Arifin", "Syahrir", "Ilham", "Rahman", "Amiruddin", "Nasrullah",
                 "Hasanuddin", "Kamaruddin", "Ramli", "Saharuddin", "Mansyur", "Irwan",
                 "Jamaluddin", "Sultan", "Asri", "Basri", "Ma'ruf", "Sudirman", "Yusran"]
MAKASSAR_FEMALE = ["Sitti", "Nurhayati", "Hasnah", "Rosmini", "Becce", "Marlina", "Jumriani",
                   "Nurjannah", "Hasmawati", "Sumarni", "Rahmawati", "Nur'aini", "Fatmawati",
                   "Kasmawati", "Suriani", "Hadijah", "Asmawati", "Rosdiana", "Haslinda", "Mardiana"]
FAMILY = ["Tompo", "Rasyid", "Hamid", "Latif", "Mallarangeng", "Pabbicara", "Karaeng",
          "Salam", "Saleh", "Patahuddin", "Mappiare", "Bohari", "Taufik", "Sennang", "Nompo",
          "Hafid", "Kadir", "Rauf", "Baharuddin", "Makmur"]
DAENG = ["Ngalle", "Tojeng", "Sikki", "Bali", "Nai", "Ngintang", "Rannu", "Kebo", "Tayang",
         "Sija", "Bollo", "Caya", "Sutte", "Kanang", "Lino"]
# The few very common full names that make hard negatives (same name, same year)
COMMON_MALE = ["Muhammad Ali", "Abdul Rahman", "Muhammad Ilham", "Andi Baso", "Syamsuddin",
               "Muhammad Rizal", "Abdul Kadir", "Ridwan", "Muhammad Arif", "Hasanuddin"]
COMMON_FEMALE = ["Sitti Aminah", "Nurhayati", "Sitti Hasnah", "Hasnah", "Sitti Rahmah",
                 "Rahmawati", "Nurjannah", "Sitti Nurbaya", "Fatmawati", "Marlina"]
KELURAHAN = ["73.71.01.1001", "73.71.01.1002", "73.71.02.1001", "73.71.05.1003",
             "73.71.11.1004", "73.71.14.1002"]


class IdentityPairs:
    """Makes labelled pairs; ``pairs(n)`` gives about half same-person pairs."""

    def __init__(self, seed: int = 10) -> None:
        self.random = random.Random(seed)
        self.fake = seeded_faker(seed)

    # --- people ---------------------------------------------------------------

    def person(self, common: bool = False) -> dict[str, Any]:
        """A person as a register holds them: name, sex, birth date, kelurahan."""
        rnd = self.random
        sex = rnd.choice("LP")
        if common:
            name = rnd.choice(COMMON_MALE if sex == "L" else COMMON_FEMALE)
        else:
            name = self._name(sex)
        born = dt.date(rnd.randint(1960, 2004), 1, 1) + dt.timedelta(days=rnd.randint(0, 364))
        return {"full_name": name, "sex": sex, "birth_date": born.isoformat(),
                "kelurahan_code": rnd.choice(KELURAHAN)}

    def _name(self, sex: str) -> str:
        rnd = self.random
        style = rnd.random()
        if style < 0.35:  # Faker's Indonesian names
            return self.fake.name_male() if sex == "L" else self.fake.name_female()
        pool = MAKASSAR_MALE if sex == "L" else MAKASSAR_FEMALE
        words = [rnd.choice(pool)]
        if words[0] in ("Muhammad", "Abdul", "Andi", "Sitti") or rnd.random() < 0.5:
            words.append(rnd.choice([n for n in pool if n not in words]))
        if rnd.random() < 0.45:
            words.append(rnd.choice(FAMILY))
        if sex == "L" and rnd.random() < 0.2:
            words += ["Daeng", rnd.choice(DAENG)]
        return " ".join(words)

    # --- one person's name as another register writes it --------------------

    def variant(self, name: str, sex: str) -> str:
        """The same person's name with 1-3 realistic changes."""
        rnd = self.random
        out = name
        changes = rnd.sample(self._changes(), rnd.randint(1, 3))
        # a degree goes after the name, whatever else changed
        changes.sort(key=lambda change: change == self._degree)
        for change in changes:
            out = change(out, sex)
        return out

    def _changes(self):
        return [self._case, self._spacing, self._title, self._abbreviate, self._daeng,
                self._andi, self._apostrophe, self._accent, self._typo, self._join_split,
                self._order, self._degree]

    def _case(self, name: str, sex: str) -> str:
        return self.random.choice([name.upper(), name.lower(), name.title()])

    def _spacing(self, name: str, sex: str) -> str:
        return "  ".join(name.split()) + self.random.choice(["", " "])

    def _title(self, name: str, sex: str) -> str:
        for title in ("H. ", "Hj. ", "Hajjah ", "Haji "):
            if name.startswith(title):
                return name[len(title):]
        return ("H. " if sex == "L" else "Hj. ") + name

    def _abbreviate(self, name: str, sex: str) -> str:
        pairs = [("Muhammad", "Muh."), ("Muhammad", "Moh."), ("Abdul", "Abd."),
                 ("Sitti", "St."), ("Sitti", "Siti"), ("Daeng", "Dg."), ("Muhammad", "Muhamad")]
        self.random.shuffle(pairs)
        for full, short in pairs:
            if full in name.split():
                return name.replace(full, short, 1)
            if short in name.split():
                return name.replace(short, full, 1)
        return name

    def _daeng(self, name: str, sex: str) -> str:
        words = name.split()
        for marker in ("Daeng", "Dg."):
            if marker in words:
                i = words.index(marker)
                return " ".join(words[:i] + words[i + 2:]) or name
        return name + " Dg. " + self.random.choice(DAENG) if sex == "L" else name

    def _andi(self, name: str, sex: str) -> str:
        if name.startswith("Andi "):
            return name[5:]
        return "Andi " + name if self.random.random() < 0.3 else name

    def _apostrophe(self, name: str, sex: str) -> str:
        if "'" in name:
            return name.replace("'", self.random.choice(["", "’", "`"]))
        return name

    def _accent(self, name: str, sex: str) -> str:
        for plain, accented in (("e", "é"), ("a", "á"), ("u", "ü")):
            if plain in name:
                return name.replace(plain, accented, 1)
        return name

    def _typo(self, name: str, sex: str) -> str:
        rnd = self.random
        words = name.split()
        long_words = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
        if not long_words:
            return name
        i = rnd.choice(long_words)
        word = words[i]
        pos = rnd.randint(1, len(word) - 2)
        kind = rnd.choice(["drop", "double", "swap", "sub"])
        if kind == "drop":
            word = word[:pos] + word[pos + 1:]
        elif kind == "double":
            word = word[:pos] + word[pos] + word[pos:]
        elif kind == "swap":
            word = word[:pos] + word[pos + 1] + word[pos] + word[pos + 2:]
        else:
            word = word[:pos] + rnd.choice("aiueo") + word[pos + 1:]
        words[i] = word
        return " ".join(words)

    def _join_split(self, name: str, sex: str) -> str:
        for joined, split in (("Nurhayati", "Nur Hayati"), ("Nurjannah", "Nur Jannah"),
                              ("Nur'aini", "Nur Aini"), ("Fatmawati", "Fatma Wati")):
            if joined in name:
                return name.replace(joined, split)
            if split in name:
                return name.replace(split, joined)
        return name

    def _order(self, name: str, sex: str) -> str:
        words = name.split()
        if len(words) == 2 and "," not in name:
            return f"{words[1]} {words[0]}"
        return name

    def _degree(self, name: str, sex: str) -> str:
        return name + self.random.choice([", S.Pd.", ", S.E.", ", A.Md.", ", S.Sos"])

    # --- pairs ----------------------------------------------------------------

    def pairs(self, count: int = 2400) -> list[dict[str, Any]]:
        """``count`` labelled pairs ``{"record", "reference", "same_person", "kind"}``:
        half same person (name variants; a few with a wrongly typed birth date in
        one register), half different people (60 % the same common name and birth
        year, 20 % twins, 20 % a stranger)."""
        rnd = self.random
        out = []
        for index in range(count):
            if index % 2 == 0:
                person = self.person(common=rnd.random() < 0.3)
                other = dict(person, full_name=self.variant(person["full_name"], person["sex"]))
                if rnd.random() < 0.1:  # moved to another kelurahan since DTSEN
                    other["kelurahan_code"] = rnd.choice(KELURAHAN)
                kind = "variant"
                if rnd.random() < 0.03:  # one register has the birth date wrong
                    other["birth_date"] = self._shifted(person["birth_date"])
                    kind = "variant_wrong_date"
                out.append({"record": person, "reference": other, "same_person": True,
                            "kind": kind})
                continue
            draw = rnd.random()
            person = self.person(common=draw < 0.6)
            if draw < 0.6:
                other = self.person(common=True)
                other.update(full_name=person["full_name"], sex=person["sex"])
                if rnd.random() < 0.5:
                    other["full_name"] = self.variant(person["full_name"], person["sex"])
                other["birth_date"] = self._same_year(person["birth_date"])
                kind = "same_name_same_year"
            elif draw < 0.8:
                other = self.person()
                other.update(birth_date=person["birth_date"], kelurahan_code=person["kelurahan_code"])
                words = person["full_name"].split()
                given = 1 if words[0].endswith(".") and len(words) > 1 else 0  # after "Dr."
                words[given] = rnd.choice([n for n in (MAKASSAR_MALE if person["sex"] == "L"
                                                   else MAKASSAR_FEMALE) if n != words[given]])
                other["full_name"] = " ".join(words)
                kind = "twin"
            else:
                other = self.person()
                kind = "stranger"
            out.append({"record": person, "reference": other, "same_person": False, "kind": kind})
        return out

    def _same_year(self, iso: str) -> str:
        born = dt.date.fromisoformat(iso)
        while True:
            other = dt.date(born.year, 1, 1) + dt.timedelta(days=self.random.randint(0, 364))
            if other != born:
                return other.isoformat()

    def _shifted(self, iso: str) -> str:
        born = dt.date.fromisoformat(iso)
        if born.day <= 12 and born.month != born.day:  # day and month swapped
            return dt.date(born.year, born.day, born.month).isoformat()
        return (born + dt.timedelta(days=self.random.choice([-1, 1, 10]))).isoformat()


def evaluate(pairs: list[dict[str, Any]], decide) -> dict[str, Any]:
    """Precision and recall of ``decide(record, reference) -> bool`` (same person)
    on labelled pairs; positives are same-person pairs."""
    tp = fp = fn = tn = 0
    errors: list[dict[str, Any]] = []
    for pair in pairs:
        said = bool(decide(pair["record"], pair["reference"]))
        if said and pair["same_person"]:
            tp += 1
        elif said:
            fp += 1
            errors.append({**pair, "error": "false_positive"})
        elif pair["same_person"]:
            fn += 1
            errors.append({**pair, "error": "false_negative"})
        else:
            tn += 1
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {"pairs": len(pairs), "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "precision": round(precision, 4), "recall": round(recall, 4), "errors": errors}
