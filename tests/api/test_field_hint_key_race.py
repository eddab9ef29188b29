"""The data folder's own hint key, made on first use (before central's arrives):
two requests of the phone (dedupe-index and dedupe-key go together) racing on
that first use must get the same whole key. Before, the loser of the race read
the file before the winner had written it: a key from zero bytes, so the phone
refused the pair as "key_mismatch" and had no duplicate hints (seen in the
browser test about one run in ten)."""

from __future__ import annotations

import threading

from berjasa.database import connect
from server import field_dedupe


def test_threads_racing_on_first_use_get_the_same_whole_key(data_dir):
    key_file = data_dir / field_dedupe.KEY_FILE
    for _ in range(40):
        key_file.unlink(missing_ok=True)
        start = threading.Barrier(6)
        keys = []

        def ask(start: threading.Barrier = start, keys: list = keys) -> None:
            conn = connect(data_dir / "kelurahan.db")
            try:
                start.wait()
                keys.append(field_dedupe.current_key(conn, data_dir))
            finally:
                conn.close()

        threads = [threading.Thread(target=ask) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(keys) == 6
        assert {len(k.secret) for k in keys} == {32}
        assert len({k.key_id for k in keys}) == 1
        assert keys[0].secret == key_file.read_bytes()


def test_a_key_another_process_is_still_writing_is_waited_for(data_dir):
    key_file = data_dir / field_dedupe.KEY_FILE
    key_file.write_bytes(b"")  # created, not written yet
    secret = bytes(range(32))
    writer = threading.Timer(0.1, key_file.write_bytes, args=(secret,))
    writer.start()
    conn = connect(data_dir / "kelurahan.db")
    try:
        assert field_dedupe.current_key(conn, data_dir).secret == secret
    finally:
        conn.close()
        writer.join()


def test_a_damaged_key_file_is_an_error_not_a_key(data_dir, monkeypatch):
    monkeypatch.setattr(field_dedupe, "KEY_WRITE_WAIT_SECONDS", 0.06)
    (data_dir / field_dedupe.KEY_FILE).write_bytes(b"short")
    conn = connect(data_dir / "kelurahan.db")
    try:
        try:
            field_dedupe.current_key(conn, data_dir)
        except ValueError as exc:
            assert "rusak" in str(exc)
        else:
            raise AssertionError("a 5-byte key file was taken as a key")
    finally:
        conn.close()
