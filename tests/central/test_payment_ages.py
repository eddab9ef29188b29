"""The BPU age limits at entry (both backends, through `berjasa central`): the payment
list pays a worker, registered or of the 2024 cohort, only when their age as their
coverage began was within the limits of the eligibility parameters in force
(berjasa/data/eligibility.json, 15-65 today), as registration reads the rule; a worker
who passes 65 while covered stays paid until the BPJS list says the participation
ended. Whoever it leaves out for their age is counted and said (`excluded_age` in --json
and the trail, the `Perhatian:` line of the file, stderr and the dashboard). Before, a
cohort row's birth date was never read: a row whose coverage began at 13 or at 84 was
paid. docs/central.md "payment-list"."""

from __future__ import annotations

import datetime as dt

from berjasa import local_time
from berjasa.synthetic import born_on, make_nik

from .conftest import KELURAHAN_A, records
from .office import signed_in
from .test_participation_end import MONTH, Office


def _month_after(month: str, months: int) -> str:
    year, number = (int(p) for p in month.split("-"))
    number += months
    return f"{year + (number - 1) // 12:04d}-{(number - 1) % 12 + 1:02d}"


def _born(years: int) -> str:
    """The 15th of next month, ``years`` years ago: the birthday falls after the first
    of next month, so on the first of the month after it that age is reached."""
    year, number = (int(p) for p in _month_after(MONTH, 1).split("-"))
    return dt.date(year - years, number, 15).isoformat()


def test_a_worker_is_paid_only_for_the_months_their_age_is_within_the_limits(central, tmp_path):
    assert local_time.today().strftime("%Y-%m") == MONTH
    next_month, after = _month_after(MONTH, 1), _month_after(MONTH, 2)
    device = central.register()
    turning_66 = born_on(records(1, seed=91)[0], _born(66))  # 65 today: on the file
    device.send([turning_66])
    office = Office(central, tmp_path)
    office.registration_file([turning_66])
    office.bpjs_list([(turning_66["nik"], "25019100001", "Aktif")])
    old, young = _born(86), _born(15)
    cohort = tmp_path / "kohort.csv"
    cohort.write_text(
        "nik;no_kpj;nama;tgl_lahir;kode_kelurahan;mulai_kepesertaan\n"
        f"{make_nik(dt.date.fromisoformat(old), 'L', serial=9)};41770000001;Daeng Tua;{old};"
        f"{KELURAHAN_A};2024-01\n"
        f"{make_nik(dt.date.fromisoformat(young), 'P', serial=8)};41770000002;Nur Muda;{young};"
        f"{KELURAHAN_A};2024-01\n"
        f"7371010101800007;41770000003;Tanpa Tanggal;;{KELURAHAN_A};2024-01\n", encoding="utf-8")
    office.run("import", "cohort", str(cohort))
    old_nik, young_nik = (line.split(";")[0] for line in cohort.read_text().splitlines()[1:3])

    paid, filters, stderr, header = office.payment_list(next_month)
    # 65 on the first: paid; 86 and 14: not; a cohort row without a birth date: paid
    assert paid == {turning_66["nik"], "7371010101800007"}, paid
    assert filters["excluded_age"] == 2 and filters["age_limits"] == [15, 65]
    said = "2 pekerja yang umurnya saat mulai kepesertaan di luar batas 15-65 tahun [age]"
    assert said in stderr and any(said in line for line in header), (stderr, header)

    paid, filters, stderr, _ = office.payment_list(after)
    # 66 now, 65 when covered: still paid (BPJS's list says when a participation ends);
    # the cohort row covered from 13 is not paid on turning 15 either
    assert paid == {turning_66["nik"], "7371010101800007"}, paid
    assert filters["excluded_age"] == 2 and {old_nik, young_nik}.isdisjoint(paid)

    page = signed_in(central, "operator").get(f"{central.url}/", timeout=10).text
    assert "di luar batas 15-65 tahun [age]" in page  # the cohort rows covered from 84 and from 13
