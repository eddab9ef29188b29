"""The auditor page's names for central's trail actions (central/trail_labels.py)."""

from __future__ import annotations

import re
from pathlib import Path

from central.downloads import LABELS
from central.imports import KINDS
from central.trail_labels import action_label
from central.verification import FINDING_DECISIONS, PAIR_DECISIONS

CENTRAL = Path(__file__).resolve().parents[2] / "central"


def test_every_fixed_action_written_in_central_has_a_name():
    """Each action code written as a literal in central's code reads as Indonesian
    text, not as the code (a new action without a name fails here)."""
    written = set()
    for path in CENTRAL.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        written |= set(re.findall(r'"((?:login|logout|user|device|privacy|record|decision|download)'
                                  r'(?:\.[a-z_-]+)+|login|logout)"', text))
    assert {"login", "logout", "user.create", "privacy.erase", "device.register"} <= written
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
