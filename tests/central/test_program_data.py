"""The synthetic program files (berjasa.synthetic) import as an office would see them."""

from __future__ import annotations

from collections import Counter

from berjasa.synthetic import EnrollmentFaker, write_program_data
from central.imports import import_file
from tests.helpers import rejects_rows

from .conftest import records


def test_synthetic_program_files_import_with_their_damage(central, tmp_path):
    device = central.register()
    sent = records(30)
    faker = EnrollmentFaker("73.71.01.1001", seed=5)
    known = sent + [faker.enrollment() for _ in range(5)]
    paths = write_program_data(tmp_path / "program", known, seed=2, dtsen_rows=300, cohort_rows=50,
                               participants=40)
    assert paths["dtsen"].read_bytes().startswith(b"NIK;")  # cp1252 without BOM, ;
    db = central.db()
    try:
        summaries = {kind: import_file(db, path, kind, central.data_dir, central.settings)
                     for kind, path in paths.items()}
    finally:
        db.close()
    dtsen = summaries["dtsen"]
    assert dtsen["rejected"] == 9 and dtsen["accepted"] >= 300
    rejects = rejects_rows(dtsen["rejects_file"])  # ; as the extract's own
    reasons = Counter(row["alasan"] for row in rejects)
    assert all(row["Nama"].endswith(" Daéng") for row in rejects)  # Windows-1252 read right
    assert reasons == {"nik_damaged_by_spreadsheet": 5, "birth_date_invalid": 2, "kelurahan_unknown": 2}
    assert summaries["cohort"]["accepted"] == 50 and summaries["cohort"]["rejected"] == 2
    # coverage months Excel turned into dates ("Mei-24", "01/05/2024") are read as months
    months = [line.split(";")[5] for line in paths["cohort"].read_text(encoding="cp1252").splitlines()[1:]]
    assert any("/" in month for month in months) and any(month[:1].isalpha() for month in months)
    assert {r["coverage_start"][:5] for r in central.query("SELECT coverage_start FROM cohort")} == {"2024-"}
    assert summaries["bpjs-participants"]["rejected"] == 0
    listed = {r["nik"] for r in central.query("SELECT nik FROM dtsen")}
    assert listed & {r["nik"] for r in sent}  # the records sent match some DTSEN rows
    results = device.send(sent)
    assert {r["result"] for r in results} <= {"accepted", "rejected"}
    assert any(r["result"] == "accepted" for r in results)
