"""A registered worker whom the 2024 cohort also lists is one person, paid once, as
cohort from the cohort row's start (h1 #12). What holds their registration off the
payment list (an open finding: a death Dukcapil reports, an identity a verifier must
check) holds that person, so it holds the cohort row too, counted and said as held
(both backends, through `berjasa central` and the Dukcapil stand-in).
docs/central.md "payment-list" and "When participation ends"."""

from __future__ import annotations

import json

from .test_dukcapil import standin  # noqa: F401 (the Dukcapil stand-in fixture)
from .test_participation_end import MONTH, NEXT, _registered_and_in_the_cohort


def _dukcapil(monkeypatch, url: str) -> None:
    for name, value in (("URL", url), ("USER_ID", "berjasa"), ("PASSWORD", "rahasia"),
                        ("HOURS", "00:00-24:00")):
        monkeypatch.setenv(f"BERJASA_CENTRAL_DUKCAPIL_{name}", value)


def test_a_death_dukcapil_reports_holds_the_workers_2024_cohort_row_too(central, tmp_path, request,
                                                                        monkeypatch):
    serve_people = request.getfixturevalue("standin")
    office, person = _registered_and_in_the_cohort(central, tmp_path, 81, "25012345681")
    paid, filters, _, _ = office.payment_list()
    assert person["nik"] in paid and filters["held_open_finding"] == 0  # once, as cohort

    _dukcapil(monkeypatch, serve_people([{**person, "status": "deceased"}]))
    assert json.loads(office.run("verify", "--json").stdout)["dukcapil"]["findings"] == 1
    [found] = json.loads(office.run("findings", "--kind", "dukcapil_deceased", "--json").stdout)
    paid, filters, stderr, header = office.payment_list()
    assert person["nik"] not in paid, "paid as cohort while Dukcapil's death waits for a verifier"
    assert (filters["held_open_finding"], filters["held_finding_dukcapil_deceased"]) == (1, 1)
    assert filters["cohort_not_active_bpjs"] == 0
    said = "1 pekerja terdaftar BPJS ditahan temuan terbuka"
    assert said in stderr and any(said in line for line in header), (stderr, header)
    assert person["nik"] not in office.payment_list(NEXT)[0]

    # Dukcapil was wrong: paid again, once, as cohort
    office.decide(found["id"], "continue", "Dukcapil keliru: orangnya datang sendiri")
    paid, filters, _, _ = office.payment_list()
    assert person["nik"] in paid and filters["held_open_finding"] == 0


def test_an_open_finding_on_the_registration_holds_the_cohort_row_in_every_month(central, tmp_path):
    """Any kind of open finding holding payment (a kind added later too) holds the person:
    the cohort row as well as the record, and the person is counted once."""
    office, person = _registered_and_in_the_cohort(central, tmp_path, 82, "25012345682")
    central.change("INSERT INTO findings (kind, central_id, record_version, source, evidence,"
                   " status, raised_at, raised_by) SELECT 'kind_added_later', central_id, version,"
                   " 'uji', '{}', 'open', '2026-01-01T00:00:00Z', 'uji' FROM records WHERE nik = ?",
                   (person["nik"],))
    for month in ("2024-01", MONTH):
        paid, filters, _, _ = office.payment_list(month)
        assert person["nik"] not in paid, month
        assert (filters["held_open_finding"], filters["held_finding_kind_added_later"]) == (1, 1), month
