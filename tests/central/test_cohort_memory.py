"""Central keeps the 2024 cohort in memory for each batch's likely-duplicate check
(central/cohort_memory.py): a cohort imported by another process, or imported under
an id used before (a database restored from a backup), is the one compared on the
next batch, by the rules (``already_in_cohort``) and by the likely-duplicate check,
never the cohort the server read earlier (both backends; the server runs in this
process, every import is a ``berjasa central import`` process)."""

from __future__ import annotations

from .conftest import KELURAHAN_A, records
from .test_cli import berjasa
from .test_cohort_duplicates import _cohort, _serial_typo
from .test_registration_holds import _init


def _flagged(central) -> set[str]:
    """Record ids with a cohort_duplicate finding."""
    return {r["record_id"] for r in central.query(
        "SELECT r.record_id FROM findings f JOIN records r ON r.central_id = f.central_id"
        " WHERE f.kind = 'cohort_duplicate'")}


def _import(central, tmp_path, people) -> int:
    """Import a cohort of ``people`` (and one other worker) in another process; its id."""
    berjasa("central", "import", "cohort", str(_cohort(tmp_path, people)),
            data_dir=central.data_dir)
    return central.query("SELECT MAX(id) AS id FROM imports WHERE kind = 'cohort'")[0]["id"]


def test_a_cohort_imported_by_another_process_is_compared_on_the_next_batch(central, tmp_path):
    device = central.register(KELURAHAN_A)
    first, second, third, *bases = records(6, KELURAHAN_A, seed=51)
    _init(central)
    _import(central, tmp_path, [first, third])
    seen = _serial_typo(first, bases[0])
    device.send([seen])
    assert _flagged(central) == {seen["id"]}  # the server read the first cohort

    _import(central, tmp_path, [second])  # third is no longer in the cohort
    _compared_with_the_new_cohort(central, device, seen, second, third, bases)


def _compared_with_the_new_cohort(central, device, seen, second, third, bases) -> None:
    """The cohort in force holds ``second``, not ``third``: the rule and the likely-
    duplicate check both read the new one."""
    gone, new = _serial_typo(third, bases[1]), _serial_typo(second, bases[2])
    answers = device.send([gone, new, third, second])
    assert [a["result"] for a in answers] == ["accepted", "accepted", "accepted", "rejected"]
    assert answers[3]["reasons"] == ["already_in_cohort"]
    assert _flagged(central) == {seen["id"], new["id"]}


def test_a_cohort_under_an_import_id_used_before_is_read_again(central, backend, tmp_path):
    device = central.register(KELURAHAN_A)
    first, second, third, *bases = records(6, KELURAHAN_A, seed=53)
    _init(central)
    used = _import(central, tmp_path, [first, third])
    seen = _serial_typo(first, bases[0])
    device.send([seen])
    assert _flagged(central) == {seen["id"]}

    # restored from a backup taken before that import: the next import takes its id again
    central.change("DELETE FROM cohort")
    central.change("DELETE FROM imports WHERE id = ?", (used,))
    if backend == "postgresql":
        central.change("SELECT setval(pg_get_serial_sequence('imports', 'id'), ?, false)", (used,))
    assert _import(central, tmp_path, [second]) == used
    _compared_with_the_new_cohort(central, device, seen, second, third, bases)
