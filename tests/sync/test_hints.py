"""City-wide duplicate hints: central's keyed hashes travel with the sync pull, the
kelurahan merges them into the filter its phones download (design.md "Duplicate
hints for the phone"). Real central (SQLite and PostgreSQL), real kelurahan files,
the kelurahan server on waitress."""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
from pathlib import Path

from berjasa import hints
from central import hints as central_hints
from central.storage.db import Database
from sync.agent import run_once

_spec = importlib.util.spec_from_file_location(
    "sync_harness", Path(__file__).resolve().parents[1] / "reliability" / "harness.py")
h = sys.modules.setdefault("sync_harness", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(h)

A = "73.71.01.1001"            # the conftest kelurahan (Mariso)
NEIGHBOUR = "73.71.02.1001"    # Mamajang borders Mariso
FAR = "73.71.11.1001"          # Biringkanaya does not
CENTRAL_SETTINGS = {"central_hint_key_days": 30, "central_hint_key_change": 0.25,
                    "central_hints_page_size": 20000}


def _synced(central, folder: Path, code: str, count: int, seed: int) -> list[dict]:
    h.make_kelurahan(folder, code)
    central.register(folder)
    ids = h.seed_approved(folder, count, seed=seed)
    assert run_once(folder, h.agent_settings(folder), "test").ok
    return h.kelurahan_rows(folder, "SELECT id, nik, full_name, birth_date FROM enrollments"
                            f" WHERE id IN ({','.join('?' * len(ids))})", tuple(ids))


def _index(api) -> tuple[dict, hints.HintKey, bytes]:
    enumerator = api("enumerator")
    body = enumerator.get("/api/v1/field/dedupe-index").json()
    key = enumerator.get("/api/v1/field/dedupe-key").json()
    secret = hints.HintKey.from_secret(base64.b64decode(key["key"]))
    assert secret.key_id == body["key_id"] == key["key_id"]
    return body, secret, base64.b64decode(body["filter"])


def test_a_record_synced_anywhere_in_the_city_reaches_this_kelurahans_phones(central, data_dir, api, tmp_path):
    """Issue 14 from outside: after kelurahan B synced and kelurahan A pulled, A's
    dedupe-index covers B's records, B in a bordering kecamatan or across the city."""
    near = _synced(central, tmp_path / "near", NEIGHBOUR, 3, seed=21)
    far = _synced(central, tmp_path / "far", FAR, 2, seed=22)
    central.register(data_dir)
    before, _, _ = _index(api)
    assert before["count"] == 0
    report = run_once(data_dir, h.agent_settings(data_dir), "test")
    assert report.ok, report
    body, key, data = _index(api)
    assert body["count"] == 5
    for row in near + far:
        assert hints.might_contain(data, key, f"nik:{row['nik']}")
        assert hints.might_contain(data, key, "name:" + hints.name_key(row["full_name"], row["birth_date"]))
    # what central sent is stored as hashes only
    stored = h.kelurahan_rows(data_dir, "SELECT hashes FROM hint_hashes")
    raw = b"".join(bytes(r["hashes"]) for r in stored)
    assert len(raw) == 16 * 5
    for row in near + far:
        assert row["nik"].encode() not in raw


def test_neighbours_scope_leaves_a_far_kecamatan_out(central, data_dir, tmp_path):
    """field_hint_scope = "neighbours": only this kecamatan and those bordering it."""
    from berjasa.database import connect
    from berjasa.settings import load_settings
    from server import field_dedupe

    near = _synced(central, tmp_path / "near", NEIGHBOUR, 3, seed=23)
    far = _synced(central, tmp_path / "far", FAR, 3, seed=24)
    central.register(data_dir)
    assert run_once(data_dir, h.agent_settings(data_dir), "test").ok
    conn = connect(data_dir / "kelurahan.db")
    try:
        settings = {**load_settings(data_dir), "field_hint_scope": "neighbours"}
        body = field_dedupe.dedupe_index(conn, data_dir, settings)
        key = field_dedupe.current_key(conn, data_dir)
    finally:
        conn.close()
    data = base64.b64decode(body["filter"])
    assert body["count"] == 3
    assert all(hints.might_contain(data, key, f"nik:{r['nik']}") for r in near)
    # A Bloom filter answers "maybe" for about 1 % of what it does not hold, so one
    # far record may test positive by chance (it did in CI); a far kecamatan let in
    # makes all six probes hit, left out leaves at most one or two.
    far_probes = [f"nik:{r['nik']}" for r in far] + [
        "name:" + hints.name_key(r["full_name"], r["birth_date"]) for r in far]
    hits = sum(hints.might_contain(data, key, probe) for probe in far_probes)
    assert hits <= 2, f"{hits} of {len(far_probes)} far probes are in the filter"


def test_hint_page_carries_no_clear_nik_name_or_date_and_a_new_key_resets(central, tmp_path):
    rows = _synced(central, tmp_path / "near", NEIGHBOUR, 4, seed=24)
    db = Database(central.database_url, data_dir=central.data_dir)
    try:
        page = central_hints.page(db, CENTRAL_SETTINGS, "", 0)
        text = json.dumps(page) + "".join(
            base64.b64decode(e["hashes"]).decode("latin-1") for e in page["entries"])
        for row in rows:
            for value in (row["nik"], row["full_name"], row["birth_date"], row["full_name"].lower()):
                assert value not in text
        assert page["reset"] and len(base64.b64decode(page["entries"][0]["hashes"])) == 4 * 16
        same = central_hints.page(db, CENTRAL_SETTINGS, page["key_id"], int(page["cursor"]))
        assert not same["reset"] and same["entries"] == [] and same["key_id"] == page["key_id"]
        # the set grew past the share: a new key, and a device holding the old one starts again
        _synced(central, tmp_path / "near2", "73.71.02.1002", 4, seed=25)
        rotated = central_hints.page(db, CENTRAL_SETTINGS, page["key_id"], int(page["cursor"]))
        assert rotated["key_id"] != page["key_id"] and rotated["reset"]
        assert sum(len(base64.b64decode(e["hashes"])) for e in rotated["entries"]) == 8 * 16
    finally:
        db.close()


def test_rotation_rules():
    key = {"created_at": "2026-01-01T00:00:00+00:00", "active_count": 100}
    assert central_hints.rotation_due(None, "2026-01-01T00:00:00+00:00", 0, 0, 30, 0.25)
    assert not central_hints.rotation_due(key, "2026-01-20T00:00:00+00:00", 110, 10, 30, 0.25)
    assert central_hints.rotation_due(key, "2026-01-31T00:00:00+00:00", 100, 0, 30, 0.25)
    assert central_hints.rotation_due(key, "2026-01-02T00:00:00+00:00", 126, 26, 30, 0.25)
    assert central_hints.rotation_due(key, "2026-01-02T00:00:00+00:00", 70, 0, 30, 0.25)


def test_the_hint_flag_travels_to_central_and_leads_its_duplicate_queue(central, tmp_path):
    folder = tmp_path / "flagged"
    h.make_kelurahan(folder, NEIGHBOUR)
    central.register(folder)
    flagged = h.seed_approved(folder, 2, seed=31, possible_duplicate=["name_birth", "nik"])
    plain = h.seed_approved(folder, 1, seed=32)
    assert run_once(folder, h.agent_settings(folder), "test").ok
    held = {r["record_id"]: r["possible_duplicate"] for r in central.query(
        "SELECT record_id, possible_duplicate FROM records")}
    assert held == {**{i: "nik,name_birth" for i in flagged}, plain[0]: None}


def test_central_likely_duplicate_queue_shows_phone_flagged_pairs_first(central, tmp_path):
    import datetime as dt

    from berjasa.synthetic import make_kk, make_nik
    from central.storage.pairs import duplicate_pairs

    x, y = tmp_path / "x", tmp_path / "y"
    for folder, code in ((x, NEIGHBOUR), (y, FAR)):
        h.make_kelurahan(folder, code)
        central.register(folder)

    def one(folder, serial, born, kk, **extra):
        return h.seed_approved(folder, 1, seed=serial, nik=make_nik(born, "L", serial=serial),
                               birth_date=born.isoformat(), sex="L", kk_number=kk, **extra)[0]

    first, second = dt.date(1981, 4, 5), dt.date(1983, 6, 7)
    plain = [one(x, 101, first, make_kk(dt.date(2015, 1, 2), serial=101)),
             one(y, 102, first, make_kk(dt.date(2015, 1, 2), serial=101))]
    for folder in (x, y):
        assert run_once(folder, h.agent_settings(folder), "test").ok
    hinted = [one(x, 103, second, make_kk(dt.date(2016, 1, 2), serial=103)),
              one(y, 104, second, make_kk(dt.date(2016, 1, 2), serial=103), possible_duplicate="nik")]
    for folder in (x, y):
        assert run_once(folder, h.agent_settings(folder), "test").ok
    db = Database(central.database_url, data_dir=central.data_dir)
    try:
        pairs = duplicate_pairs(db)
    finally:
        db.close()
    assert len(pairs) == 2
    assert {pairs[0]["a"]["record_id"], pairs[0]["b"]["record_id"]} == set(hinted)
    assert {pairs[1]["a"]["record_id"], pairs[1]["b"]["record_id"]} == set(plain)


def test_a_laptop_is_not_sent_the_hashes_of_its_own_records(central, tmp_path):
    _synced(central, tmp_path / "own", NEIGHBOUR, 4, seed=26)
    _synced(central, tmp_path / "other", FAR, 3, seed=27)
    own_device = h.kelurahan_rows(tmp_path / "own", "SELECT device_id FROM sync_device")[0]["device_id"]
    db = Database(central.database_url, data_dir=central.data_dir)
    try:
        everything = central_hints.page(db, CENTRAL_SETTINGS, "", 0)
        without_own = central_hints.page(db, CENTRAL_SETTINGS, "", 0, skip_device=own_device)
    finally:
        db.close()
    sizes = {e["kelurahan_code"]: len(base64.b64decode(e["hashes"])) for e in everything["entries"]}
    assert sizes == {NEIGHBOUR: 4 * 16, FAR: 3 * 16}
    assert [(e["kelurahan_code"], len(base64.b64decode(e["hashes"]))) for e in without_own["entries"]] \
        == [(FAR, 3 * 16)]
    # the laptop's next pull (?skip=own) brings the other laptop's hashes, not its own
    assert run_once(tmp_path / "own", h.agent_settings(tmp_path / "own"), "test").ok
    stored = h.kelurahan_rows(tmp_path / "own", "SELECT kelurahan_code, hashes FROM hint_hashes")
    assert [(r["kelurahan_code"], len(r["hashes"])) for r in stored] == [(FAR, 3 * 16)]


def test_a_new_central_key_rebuilds_this_kelurahans_filter(central, data_dir, api, tmp_path):
    """Central's set grows past central_hint_key_change: its next answer carries a new
    key, the agent drops the old key and hashes, and the phones' filter is rebuilt
    under the new key with every record, old and new."""
    first = _synced(central, tmp_path / "b", FAR, 4, seed=41)
    central.register(data_dir)
    assert run_once(data_dir, h.agent_settings(data_dir), "test").ok
    before, _, _ = _index(api)
    second = _synced(central, tmp_path / "c", NEIGHBOUR, 4, seed=42)   # +100 % > 25 %
    assert run_once(data_dir, h.agent_settings(data_dir), "test").ok
    after, key, data = _index(api)
    assert after["key_id"] != before["key_id"] and after["count"] == 8
    assert all(hints.might_contain(data, key, f"nik:{r['nik']}") for r in first + second)
    assert h.kelurahan_rows(data_dir, "SELECT count(*) AS n FROM hint_keys")[0]["n"] == 1
