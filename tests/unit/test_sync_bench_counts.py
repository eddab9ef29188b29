"""How bench/sync_bench.py counts batches sent again after a link cut: per cut
interval, once per batch, tries that never connected left out."""

from __future__ import annotations

from bench.sync_bench import resends_after_cuts

CUTS = [(100.0, 110.0), (160.0, 170.0)]


def test_each_cut_counts_the_batches_posted_again_until_the_next_cut():
    sends = [[90, "a", True], [91, "b", True], [92, "c", True],
             [115, "a", True], [116, "a", True],      # a again, twice: one batch
             [118, "b", False], [119, "b", True],     # b: a try that never connected, then sent
             [165, "c", True]]
    counts = resends_after_cuts(sends, {"a": 117.0, "b": 125.0, "c": 166.0}, CUTS)
    assert counts["per_cut"] == [2, 1]
    assert counts["max_after_a_cut"] == 2
    assert counts["resends_total"] == 4
    assert counts["connect_retries"] == 0 + 1
    assert counts["resent_after_answer"] == 0


def test_a_batch_sent_again_after_its_answer_is_counted():
    sends = [[10, "a", True], [20, "a", True]]
    counts = resends_after_cuts(sends, {"a": 15.0}, [])
    assert counts["resent_after_answer"] == 1 and counts["resent_without_cut"] == 1
    assert counts["per_cut"] == [] and counts["max_after_a_cut"] == 0


def test_a_first_try_that_never_connected_makes_the_next_one_the_first_send():
    counts = resends_after_cuts([[101, "a", False], [112, "a", True]], {"a": 120.0}, CUTS)
    assert counts["per_cut"] == [0, 0] and counts["resends_total"] == 0
