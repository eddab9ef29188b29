"""A 2024 cohort worker whom the BPJS participant list in force shows as not
participating (Meninggal Dunia, Non Aktif, Keluar, Ditolak: any status
`berjasa.eligibility.is_active_status` does not read as active) is left off the payment
list and counted by status, said as the other holds are: `--json` filters, stderr, the
file's Perhatian line, the dashboard; a newer list showing them active pays them again
(both backends, through `berjasa central` and the pages; h3 report, defect 2).
docs/central.md "payment-list"."""

from __future__ import annotations

from .conftest import KELURAHAN_A
from .office import signed_in
from .test_cli import berjasa
from .test_payment_holds import THIS_MONTH, _paid, _payment

COHORT = {  # NIK -> the status the list shows
    "7371010101800001": "Meninggal Dunia",
    "7371010101800002": "Non Aktif",
    "7371010101800003": " non aktif ",  # another spelling of the same status: one word (central.bpjs_status)
    "7371010101800004": "Keluar",
    "7371010101800005": "Ditolak",
    "7371010101800006": "Aktif",
    "7371010101800007": "",  # an empty status counts as active
}
NOT_LISTED = "7371010101800008"  # a cohort worker the list does not hold: paid


def _import(central, tmp_path, what: str, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    berjasa("central", "import", what, str(path), data_dir=central.data_dir)


def test_cohort_workers_the_bpjs_list_shows_not_active_are_left_out_and_counted(central, tmp_path):
    berjasa("central", "init", "--database", central.database_url, data_dir=central.data_dir)
    _import(central, tmp_path, "cohort", "kohort.csv",
            "nik;no_kpj;nama;kode_kelurahan;mulai_kepesertaan\n" + "".join(
                f"{nik};4177000000{i};Pekerja {i};{KELURAHAN_A};2024-01\n"
                for i, nik in enumerate([*COHORT, NOT_LISTED])))
    answer, said, lines = _payment(central, tmp_path, THIS_MONTH)
    assert set(_paid(lines)) == {*COHORT, NOT_LISTED} and "Perhatian" not in said

    _import(central, tmp_path, "bpjs-participants", "bpjs.csv",
            "nik;no_kpj;status;mulai_kepesertaan\n" + "".join(
                f"{nik};4177000000{i};{status};2024-01\n" for i, (nik, status) in enumerate(COHORT.items())))
    answer, said, lines = _payment(central, tmp_path, THIS_MONTH)
    assert set(_paid(lines)) == {"7371010101800006", "7371010101800007", NOT_LISTED}
    filters = answer["filters"]
    assert filters["cohort_not_active_bpjs"] == 5
    assert filters["cohort_not_active_bpjs_by_status"] == {
        "ditolak": 1, "keluar": 1, "meninggal": 1, "nonaktif": 2}
    part = ("5 pekerja kohort 2024 yang di daftar peserta BPJS berstatus tidak aktif (1 ditolak, "
            "1 keluar, 1 meninggal, 2 nonaktif) [cohort_not_active_bpjs]")
    assert f"Perhatian: tidak ada di daftar iuran {THIS_MONTH} ini: {part}" in said, said
    start = next(i for i, r in enumerate(lines) if r and r[0] == "NO")
    assert any(part in r[0] for r in lines[:start] if r), lines[:start]
    operator = signed_in(central, "operator")
    assert part in operator.get(f"{central.url}/", timeout=30).text
    # a month before the cohort's coverage starts counts nobody
    assert _payment(central, tmp_path, "2023-12")[0]["filters"]["cohort_not_active_bpjs"] == 0

    # a newer list showing them active pays them again; the count follows
    _import(central, tmp_path, "bpjs-participants", "bpjs2.csv",
            "nik;no_kpj;status;mulai_kepesertaan\n" + "".join(
                f"{nik};4177000000{i};{'Keluar' if status == 'Keluar' else 'AKTIF'};2024-01\n"
                for i, (nik, status) in enumerate(COHORT.items())))
    answer, said, lines = _payment(central, tmp_path, THIS_MONTH)
    assert set(_paid(lines)) == {*COHORT, NOT_LISTED} - {"7371010101800004"}
    assert answer["filters"]["cohort_not_active_bpjs_by_status"] == {"keluar": 1}
    assert "1 pekerja kohort 2024 yang di daftar peserta BPJS berstatus tidak aktif (1 keluar)" in said
