"""api: /api/v1/field/dedupe-index is built at the false-positive rate the setting
asks for (field_hint_false_positive_rate), not at a fixed one."""

from __future__ import annotations

import pytest

from berjasa import hints


@pytest.fixture
def settings_overrides():
    return {"field_hint_false_positive_rate": 0.001}


def test_the_filter_is_built_at_the_configured_rate(api, records):
    enumerator = api("enumerator")
    for _ in range(30):
        assert enumerator.post("/api/v1/enrollments", json=records.enrollment()).status_code == 201
    body = enumerator.get("/api/v1/field/dedupe-index").json()
    assert body["count"] == 30
    bits, _ = hints.filter_shape(60, 0.001)
    assert body["size_bytes"] == hints.HEADER_BYTES + bits // 8
    assert bits > hints.filter_shape(60, 0.01)[0]
    assert 0 < body["false_positive_rate"] <= 0.001
