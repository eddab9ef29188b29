"""The auditor page's names for central's trail actions (central/trail_labels.py)."""

from __future__ import annotations

import re
from pathlib import Path

from central.downloads import LABELS
from central.imports import KINDS
from central.trail_labels import action_label, detail_lines, role_label
from central.verification import FINDING_DECISIONS, PAIR_DECISIONS

CENTRAL = Path(__file__).resolve().parents[2] / "central"


def test_every_fixed_action_written_in_central_has_a_name():
    """Each action code written as a literal in central's code reads as Indonesian
    text, not as the code (a new action without a name fails here)."""
    written = set()
    for path in CENTRAL.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        written |= set(re.findall(r'"((?:login|logout|user|device|privacy|record|decision|download'
                                  r'|key|verify|view|schema|import|export)'
                                  r'(?:\.[a-z_-]+)+|login|logout|recheck)"', text))
    assert {"login", "logout", "user.create", "privacy.erase", "device.register", "recheck",
            "import.batches", "export.answers", "view.findings"} <= written
    unnamed = sorted(a for a in written if action_label(a) == a)
    assert unnamed == []


def test_actions_built_from_a_prefix_name_their_object():
    for what, label in LABELS.items():
        assert action_label(f"download.{what}") == f"Unduhan: {label}"
        assert action_label(f"export.{what}").endswith(label)
    for kind in KINDS:
        assert action_label(f"import.{kind}").startswith("Impor: ")
        assert kind not in action_label(f"import.{kind}")
    for decision, label in FINDING_DECISIONS.items():
        assert action_label(f"decision.finding.{decision}") == f"Keputusan temuan: {label}"
    for decision, label in PAIR_DECISIONS.items():
        assert action_label(f"decision.pair.{decision}") == f"Keputusan pasangan: {label}"


def test_an_unknown_action_is_shown_as_its_code():
    assert action_label("something.new") == "something.new"
    assert action_label("download.unheard-of") == "Unduhan: unheard-of"


def test_details_in_words_for_the_auditor_page():
    assert detail_lines('{"role": [null, "auditor"]}') == [("role", "— → auditor")]
    lines = detail_lines('{"expires_at": "2026-11-27T03:53:16+00:00", "rows": 12,'
                         ' "filters": {"month": "2025-10"}, "note": "2026-11-27"}', "Surat 12/XI")
    assert lines == [("expires_at", "27-11-2026 11:53:16 WITA"), ("rows", "12"),
                     ("filters", '{"month": "2025-10"}'), ("note", "2026-11-27"),
                     ("alasan", "Surat 12/XI")]
    assert detail_lines("{}") == [] and detail_lines(None) == []
    assert detail_lines("bukan json") == [("", "bukan json")]  # shown, never an error
    assert role_label("verifier") == "Verifikator" and role_label("device") == "Perangkat kelurahan"
    assert role_label("peran-baru") == "peran-baru" and role_label(None) == ""
