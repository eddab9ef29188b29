"""The review page's words for central's reasons and a record's history: a
verifier's own words are shown as written, codes in Indonesian, and nothing raw
(field names, JSON, "– → –")."""

from __future__ import annotations

from server.pages.labels import central_reason_text, history_changes, history_reason


def test_a_verifiers_reason_keeps_its_commas():
    written = "Alamat di RT 3, bukan RT 5, cek KK"
    assert central_reason_text(f"rejected: {written}") == written


def test_reason_codes_are_shown_in_words_one_after_another():
    shown = central_reason_text("rejected: dtsen_desil_above_cutoff, already_in_cohort")
    assert shown == "DTSEN: desil di atas batas program; Sudah ditanggung program (kohort 2024)"


def test_an_approvals_history_names_no_raw_field_and_skips_what_did_not_change():
    entry = {"old_values": {"status": "submitted", "overridden_warnings": None,
                            "possible_duplicates": None},
             "new_values": {"status": "approved", "overridden_warnings": [],
                            "possible_duplicates": ["0b6e4a0e-1111-4c1e-9a43-2f3e6f7a8b9c",
                                                    "1c7f5b1f-2222-4d2f-8b54-3a4f7a8b9cad"]}}
    changes = history_changes(entry)
    assert ("Status", "Menunggu pemeriksaan", "Disetujui") in changes
    assert ("Kemungkinan data ganda", "–", "2 data") in changes
    assert len(changes) == 2  # no "Peringatan dikesampingkan: – → –"
    assert not any("possible_duplicates" in name or "[" in after for name, _, after in changes)


def test_a_reason_the_sync_agent_wrote_is_centrals_in_words():
    entry = {"changed_by": "sync", "reason": "duplicate_nik: kelurahan 73.71.01.1001, data x"}
    assert history_reason(entry).startswith("NIK sudah aktif di kelurahan 73.71.01.1001")
    typed = {"changed_by": "pengawas", "reason": "duplicate_nik: as typed"}
    assert history_reason(typed) == "duplicate_nik: as typed"
