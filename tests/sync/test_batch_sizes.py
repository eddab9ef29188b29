"""Batch sizes over a run: full batches while there is plenty, then an equal share
of what is left per sender, so every sender has work until the end and the last
batches are small (a lone TCP flow crawls on a lossy link; bench/README.md)."""

from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from berjasa.database import connect
from sync.agent import run_once
from sync.packing import TAIL_MIN_RECORDS, batch_sizes
from tests.helpers import examples

_spec = importlib.util.spec_from_file_location(
    "sync_harness", Path(__file__).resolve().parents[1] / "reliability" / "harness.py")
h = sys.modules.setdefault("sync_harness", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(h)


def test_the_tail_is_cut_into_equal_shares_down_to_the_floor():
    sizes = batch_sizes(5000, 500, 8)
    assert sizes[:3] == [500, 500, 500]  # plenty left: full batches
    assert sizes[3] == 438  # 3,500 left over 8 senders
    # shrinking (the last takes the rest)
    assert all(a >= b for a, b in itertools.pairwise(sizes[:-1]))
    assert sizes[-7:-1] == [TAIL_MIN_RECORDS] * 6 and sizes[-1] < 2 * TAIL_MIN_RECORDS
    assert len(sizes) == 22


def test_one_sender_keeps_full_batches():
    assert batch_sizes(1200, 500, 1) == [500, 500, 200]


@settings(max_examples=examples(100))  # hypothesis' default; a fifth in the quick loop
@given(st.integers(0, 20000), st.integers(1, 1000), st.integers(1, 16))
def test_every_record_once_and_no_batch_above_the_setting(queued, size, parallel):
    sizes = batch_sizes(queued, size, parallel)
    assert sum(sizes) == queued
    assert all(0 < n <= size for n in sizes)


@pytest.mark.slow
def test_a_run_sends_the_planned_sizes(central, kelurahan):
    h.seed_approved(kelurahan, 450, seed=7)
    settings = h.agent_settings(kelurahan, sync_batch_size=200, sync_parallel_requests=2)
    report = run_once(kelurahan, settings, "test")
    assert report.ok and report.records_sent == 450, report
    conn = connect(kelurahan / "kelurahan.db")
    counts = sorted(r[0] for r in conn.execute("SELECT record_count FROM sync_batches"))
    conn.close()
    assert counts == sorted(batch_sizes(450, 200, 2)) == [125, 125, 200]
