"""lifecycle: the status moves as data, and transition() on a real database."""

from __future__ import annotations

import pytest

from berjasa.database import connect
from berjasa.problems import Forbidden, InvalidTransition, NotFound, ValidationFailed
from berjasa.settings import load_settings
from server import intake, lifecycle
from server.storage import enrollments as store
from server.storage.audit import Actor, iter_entries, verify_chain

ENUMERATOR = Actor("enumerator", "enumerator")
SUPERVISOR = Actor("supervisor2", "supervisor")
SYNC = Actor("sync", "sync")


@pytest.fixture
def conn(data_dir):
    connection = connect(data_dir / "kelurahan.db")
    yield connection
    connection.close()


@pytest.fixture
def record_id(conn, data_dir, records):
    payload = records.enrollment()
    intake.create_enrollment(conn, payload, ENUMERATOR, load_settings(data_dir))
    return payload["id"]


def test_every_transition_names_known_statuses():
    for (frm, to), roles in lifecycle.TRANSITIONS.items():
        assert frm in lifecycle.STATUSES and to in lifecycle.STATUSES and roles


def test_final_statuses_have_no_way_out():
    assert lifecycle.allowed_targets("rejected", "supervisor") == []
    assert lifecycle.allowed_targets("registered", "sync") == []


def test_approve_bumps_version_and_writes_history_and_audit(conn, record_id):
    record = lifecycle.transition(conn, record_id, "approved", SUPERVISOR,
                                  extra={"reviewed_by": "supervisor2"},
                                  audit_extra={"overridden_warnings": ["age"]})
    assert record["status"] == "approved" and record["version"] == 2
    assert record["reviewed_by"] == "supervisor2"
    [entry] = store.history(conn, record_id)
    assert entry["action"] == "approve" and entry["old_values"]["status"] == "submitted"
    assert entry["new_values"]["overridden_warnings"] == ["age"]
    audit = [e for e in iter_entries(conn, record_id=record_id) if e["action"] == "enrollment.status"]
    assert audit[0]["actor"] == "supervisor2" and audit[0]["role"] == "supervisor"
    assert '"status": ["submitted", "approved"]' in audit[0]["changes"]
    assert verify_chain(conn)[1] is None


def test_sync_path_to_registered(conn, record_id):
    lifecycle.transition(conn, record_id, "approved", SUPERVISOR)
    lifecycle.transition(conn, record_id, "synced", SYNC, expected_status="approved")
    record = lifecycle.transition(conn, record_id, "registered", SYNC,
                                  extra={"kpj_number": "25012345678"})
    assert record["status"] == "registered" and record["kpj_number"] == "25012345678"


@pytest.mark.parametrize("to_status", ["synced", "registered", "submitted"])
def test_illegal_moves_from_submitted_are_409_with_current_status(conn, record_id, to_status):
    with pytest.raises(InvalidTransition) as caught:
        lifecycle.transition(conn, record_id, to_status, SYNC)
    assert caught.value.extra["current_status"] == "submitted"


def test_a_verifiers_final_decision_reaches_a_record_waiting_for_its_fix(conn, record_id):
    """A record sent back by central and fixed again (submitted) still hears a
    verifier's rejection: only the sync agent may make that move."""
    with pytest.raises(Forbidden):
        lifecycle.transition(conn, record_id, "central_rejected", ENUMERATOR)
    record = lifecycle.transition(conn, record_id, "central_rejected", SYNC,
                                  reason="rejected: verifikasi: KTP palsu")
    assert record["status"] == "central_rejected"


def test_role_that_may_not_move_is_forbidden(conn, record_id):
    with pytest.raises(Forbidden):
        lifecycle.transition(conn, record_id, "approved", ENUMERATOR)
    with pytest.raises(Forbidden):
        lifecycle.transition(conn, record_id, "approved", Actor("admin", "admin"))


def test_expected_status_mismatch_is_409(conn, record_id):
    with pytest.raises(InvalidTransition) as caught:
        lifecycle.transition(conn, record_id, "synced", SYNC, expected_status="approved")
    assert caught.value.extra["current_status"] == "submitted"


@pytest.mark.parametrize("to_status", ["rejected", "needs_fix"])
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_reject_and_needs_fix_need_a_reason(conn, record_id, to_status, reason):
    with pytest.raises(ValidationFailed):
        lifecycle.transition(conn, record_id, to_status, SUPERVISOR, reason=reason)
    assert store.get_enrollment(conn, record_id)["status"] == "submitted"


def test_unknown_record_is_404(conn):
    with pytest.raises(NotFound):
        lifecycle.transition(conn, "nope", "approved", SUPERVISOR)


def test_extra_columns_are_limited(conn, record_id):
    with pytest.raises(ValueError):
        lifecycle.transition(conn, record_id, "approved", SUPERVISOR, extra={"nik": "1"})


def test_docs_roles_table_lists_every_move():
    """docs/roles.md, "Status lifecycle and who moves it": every move of
    TRANSITIONS is a row (``from → to``, several targets joined by ``/``), and the
    table names no move the code does not allow."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "roles.md").read_text(encoding="utf-8")
    section = text.split("## Status lifecycle and who moves it", 1)[1].split("\n## ", 1)[0]
    documented = set()
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or "→" not in cells[0] or cells[0].startswith("From"):
            continue
        sources, targets = (part.strip() for part in cells[0].split("→"))
        documented |= {(a.strip(), b.strip()) for a in sources.split("/") for b in targets.split("/")}
    assert documented == set(lifecycle.TRANSITIONS)


def test_transition_many_appends_the_audit_entries_in_one_go(conn, data_dir, records):
    """A batch answer moves hundreds of records: their audit entries are chained in
    one append (the chain head read once), and the chain verifies as if one by one."""
    ids = []
    for _ in range(5):
        payload = records.enrollment()
        intake.create_enrollment(conn, payload, ENUMERATOR, load_settings(data_dir))
        lifecycle.transition(conn, payload["id"], "approved", SUPERVISOR)
        ids.append(payload["id"])
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    with conn:
        moved = lifecycle.transition_many(
            conn, [(rid, "synced", {"central_status": "accepted", "central_reason": None})
                   for rid in ids[:4]] + [(ids[4], "central_rejected",
                                           {"central_status": "duplicate", "central_reason": "x"})],
            SYNC)
    conn.set_trace_callback(None)
    assert moved == 5
    heads = [s for s in statements if "FROM audit_log ORDER BY seq DESC" in s]
    assert len(heads) == 1
    entries = [e for e in iter_entries(conn) if e["action"] == "enrollment.status"
               and e["actor"] == "sync"]
    assert [e["record_id"] for e in entries] == ids
    assert verify_chain(conn)[1] is None
