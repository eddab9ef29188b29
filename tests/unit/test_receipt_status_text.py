"""The worker's receipt and status lookup say a record's state in words: every
kelurahan status, alone or with every decision central can send back, and never a
bare code (a tester saw "Status synced" once central had said "accepted")."""

from __future__ import annotations

import pytest

from server.lifecycle import STATUSES
from server.pages.labels import CENTRAL_STATUS_LABELS
from server.receipts import status_text

CODES = set(STATUSES) | set(CENTRAL_STATUS_LABELS)


@pytest.mark.parametrize("central_status", [None, *CENTRAL_STATUS_LABELS])
@pytest.mark.parametrize("status", STATUSES)
def test_every_state_is_words_not_a_code(status, central_status):
    text = status_text(status, central_status)
    assert text not in CODES and " " in text and not any(code in text for code in CODES if "_" in code)


def test_central_decision_wins_over_the_kelurahan_status():
    assert status_text("synced", None) == "Sudah dikirim ke kota"
    assert status_text("synced", "accepted").startswith("Diterima di kota")
    assert status_text("synced", "duplicate") != status_text("synced", "accepted")
    assert status_text("needs_fix", "sent_back") == status_text("needs_fix", None)


def test_an_unknown_status_is_still_a_sentence():
    assert status_text("something_new", None).startswith("Sedang diproses")
