"""Sync by USB stick at the kelurahan (``berjasa sync export`` / ``sync import-answers``).

``export`` packs every approved record not yet answered into batches exactly as
the online agent does (stored first, so a later online run resends the same batch
ids and central answers them once), and writes them as one file sealed to
central's pinned exchange key. ``import-answers`` opens central's sealed answers
file and applies, in one transaction each, the answers to batches still pending
and the update entries after the stored cursor: a second import, or answers that
already came online, change nothing.

Both hold the agent's run lock, so a scheduled online run never works beside them.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from berjasa.audit import Actor, cli_actor
from berjasa.database import transaction
from berjasa.folder_lock import lock_dir, try_lock
from berjasa.paths import SYNC_RUN_LOCK, write_private
from server.storage import outbox
from server.storage.audit import record_audit_entry
from sync import hints_pull, outcomes, protocol, protocol_erasures, storage, storage_central
from sync import protocol_sealed as sealed
from sync.encoding import encode_rows
from sync.keys import CENTRAL_EXCHANGE_FILE as CENTRAL_KEY_FILE
from sync.keys import DeviceError, load_device
from sync.protocol_auth import private_key_pem
from sync.protocol_errors import ProtocolError

RUN_LOCK = SYNC_RUN_LOCK  # the agent's (sync/agent.py)


class UsbSyncError(Exception):
    """Why the stick file cannot be written or applied: one clear line."""


def _central_key(data_dir: Path):
    path = Path(data_dir) / CENTRAL_KEY_FILE
    try:
        return sealed.load_public(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError) as exc:
        raise UsbSyncError("kunci pertukaran pusat belum tersimpan di laptop ini; daftarkan "
                           "ulang perangkat (berjasa sync register) agar sinkronisasi USB "
                           "dapat dipakai") from exc


def _run_lock(data_dir: Path):
    held = try_lock(lock_dir(data_dir) / RUN_LOCK)
    if held is None:
        raise UsbSyncError("sinkronisasi lain sedang berjalan; coba lagi setelah selesai")
    return held


def export_batches(conn: sqlite3.Connection, data_dir: Path, batch_size: int,
                   write: Callable[[bytes], None] | None = None,
                   target: Path | None = None, actor: Actor | None = None) -> tuple[bytes, dict]:
    """(sealed batches file, summary): every unanswered stored batch, then new ones
    packed from the outbox, after the erasures not yet confirmed. ``write(data)``:
    puts the file on the stick (at ``target``, remembered with the batches it holds
    so that ``privacy erase`` can name the file); once it has, the export is kept
    as the last one sent by stick (``sync status``) and is an entry of the trail,
    ``sync.usb_export``: ``actor``, the file, its batches, records, erasures and
    SHA-256 (h2 report item 5: every approved record leaves on the stick)."""
    central = _central_key(data_dir)
    with _run_lock(data_dir):
        device, key = load_device(conn, data_dir)
        pem = private_key_pem(key)
        for _ in range(_EXPORT_TRIES):
            _pack_outbox(conn, device, pem, batch_size)
            batches = storage.unanswered_batches(conn)
            erasures = _erasure_messages(conn, device, key)
            payload = {"device_id": device["device_id"],
                       "kelurahan_code": device["kelurahan_code"], "erasures": erasures,
                       "batches": [{"batch_id": b["batch_id"], "headers": b["headers"],
                                    "body": sealed.encode_bytes(bytes(b["body"]))}
                                   for b in batches]}
            data = sealed.seal("batches", payload, sealed.exchange_key_from_device_key(key),
                               central, {"device_id": device["device_id"],
                                         "kelurahan_code": device["kelurahan_code"]})
            ids = [b["batch_id"] for b in batches]
            erased = sum(m["count"] for m in erasures)
            if write is None or _note_file(conn, ids, erased, target, data):
                break
            # an erasure came while the file was made: made again, without the person
        else:
            raise UsbSyncError("data terus berubah selama berkas dibuat (penghapusan berjalan); "
                               "ulangi ekspor")
        summary = {"device_id": device["device_id"], "batches": len(batches),
                   "erasures": erased,
                   "records": sum(len(b["record_ids"]) for b in batches), "bytes": len(data)}
        if write is not None:
            try:
                write(data)
            except BaseException:
                _forget_file(conn, ids, target, data)
                raise
            _note_stick_file(conn, "export", actor, target, data, summary,
                             ("batches", "records", "erasures"))
    return data, summary


def _note_stick_file(conn: sqlite3.Connection, kind: str, actor: Actor | None,
                     file: Path | None, data: bytes, summary: dict[str, Any],
                     kept: tuple[str, ...]) -> None:
    """A stick file written (``export``) or applied (``import``): kept as the last one
    for ``sync status`` (the ``kept`` counts) and an entry of the trail, ``sync.usb_KIND``:
    who, the file, its SHA-256 and every count (h2 report item 5)."""
    with transaction(conn):
        storage.note_usb(conn, kind, {name: summary[name] for name in kept})
        record_audit_entry(conn, actor or cli_actor("admin"), f"sync.usb_{kind}", None, {
            "file": [None, str(file) if file is not None else None],
            "sha256": [None, hashlib.sha256(data).hexdigest()],
            **{name: [None, value] for name, value in summary.items()
               if name != "device_id"}})


_EXPORT_TRIES = 5


def _pack_outbox(conn: sqlite3.Connection, device: dict[str, Any], pem: bytes,
                 batch_size: int) -> None:
    """Pack what waits in the outbox into stored batches, as the agent does."""
    with transaction(conn):
        outbox.drop_stale_outbox(conn)
    while True:
        rows = [dict(r) for r in outbox.pending_records(conn, batch_size)]
        if not rows:
            return
        encoded = encode_rows(device["device_id"], device["kelurahan_code"], rows, pem)
        try:
            with transaction(conn):
                storage.add_batch(conn, encoded["batch_id"], encoded["content_hash"],
                                  encoded["record_ids"], encoded["body"], encoded["headers"])
        except storage.StaleBatch:
            continue  # a record was erased while packed: pack the rest again


def _note_file(conn: sqlite3.Connection, batch_ids: list[str], erasures: int,
               target: Path | None, data: bytes) -> bool:
    """Before the file is written: remember which batches it holds, unless an
    erasure came while it was made (a batch it holds was dropped, or an erasure is
    waiting that it does not carry): then False, and it is made again."""
    with transaction(conn):
        if storage.unanswered_batch_ids(conn) != batch_ids or len(
                storage_central.unsent_erasures(conn, 10_000_000)) != erasures:
            return False
        if target is not None:
            storage.note_usb_file(conn, batch_ids, Path(target).resolve(),
                                  hashlib.sha256(data).hexdigest())
    return True


def _forget_file(conn: sqlite3.Connection, batch_ids: list[str], target: Path | None,
                 data: bytes) -> None:
    """The file was not written after all: it holds nobody."""
    if target is not None:
        storage.forget_usb_file(conn, batch_ids, Path(target).resolve(),
                                hashlib.sha256(data).hexdigest())


def replace_stale_files(conn: sqlite3.Connection, data_dir: Path, files: list[dict[str, Any]],
                        batch_size: int, actor: Actor | None = None) -> list[dict[str, Any]]:
    """After ``privacy erase``: the stick files (``sync export``) that held the erased
    person in a batch central has not answered. Each one still at its path and
    unchanged (the stick still in, or the file still on the laptop) is written
    again: a fresh export, the erasure ahead of the batches, the person in none.
    Per file ``replaced`` True, or False with ``why`` (gone or changed: carried
    away, copied, or another file now; or the export could not run): those are
    the operator's to destroy, or to replace by exporting again."""
    out = []
    for item in files:
        path = Path(item["file"])
        try:
            present = path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == item["sha256"]
        except OSError:
            present = False
        if not present:
            out.append({**item, "replaced": False, "why": "not_found"})
            continue
        try:
            export_batches(conn, data_dir, batch_size, lambda data, to=path: write_private(to, data),
                           target=path, actor=actor)
        except (UsbSyncError, DeviceError, OSError) as exc:
            out.append({**item, "replaced": False, "why": str(exc)})
            continue
        out.append({**item, "replaced": True})
    return out


def _erasure_messages(conn: sqlite3.Connection, device: dict[str, Any], key) -> list[dict]:
    """The unconfirmed erasures, signed as the agent sends them (sync/erasures.py)."""
    items = storage_central.unsent_erasures(conn, 10_000_000)
    messages = []
    while items:
        part = protocol_erasures.first_request(items)
        body, headers = protocol_erasures.encode_erasures(
            device["device_id"], device["kelurahan_code"], part, key)
        messages.append({"body": sealed.encode_bytes(body), "headers": headers,
                         "count": len(part)})
        items = items[len(part):]
    return messages


def import_answers(conn: sqlite3.Connection, data_dir: Path, data: bytes,
                   actor: Actor | None = None, file: Path | None = None) -> dict[str, Any]:
    """Apply a sealed answers file from central; what it changed. An entry of the
    trail, ``sync.usb_import``: ``actor``, the ``file``, its SHA-256 and the counts."""
    central = _central_key(data_dir)
    with _run_lock(data_dir):
        device, key = load_device(conn, data_dir)
        header, payload = sealed.open_sealed(data, sealed.exchange_key_from_device_key(key),
                                             "answers", central)
        if header.get("device_id") != device["device_id"]:
            raise UsbSyncError(f"berkas jawaban ini untuk perangkat {header.get('device_id')}, "
                               f"bukan {device['device_id']}")
        # checked first: a damaged part refuses the file before anything is applied
        hints = _decoded_hints(payload.get("hints"))
        answered = records = 0
        for item in payload.get("answers") or []:
            answered_now, count = _apply_answer(conn, item)
            answered += answered_now
            records += count
        applied, erased = _apply_updates(conn, payload.get("updates") or [])
        confirmed = _confirm_erasures(conn, payload.get("erasures") or [])
        hinted = _apply_hints(conn, hints, str(header.get("created_at") or ""))
        if erased:  # as an online pull does: no readable copy left in the file or its WAL
            outcomes.after_erasures(conn)
        summary = {"batches_answered": answered, "records_answered": records,
                   "updates_applied": applied, "erasures_confirmed": confirmed,
                   "hint_records": hinted,
                   # records central holds that this laptop does not (a restore): recover them
                   "central_only": storage_central.central_only(conn)["records"]}
        _note_stick_file(conn, "import", actor, file, data, summary,
                         ("batches_answered", "records_answered", "updates_applied"))
    return summary


def _decoded_hints(hints: Any) -> hints_pull.HintPage | None:
    """The file's duplicate hints, checked; None in a file from a central before
    duplicate hints travelled by stick."""
    if hints is None:
        return None
    try:
        return hints_pull.decode_page(hints)
    except hints_pull.MALFORMED as exc:
        raise UsbSyncError(f"petunjuk duplikat di berkas jawaban rusak: {exc}") from exc


def _apply_hints(conn: sqlite3.Connection, page: hints_pull.HintPage | None, made_at: str) -> int:
    """Central's duplicate-hint key and hashes from the file, in place of those held
    (the file holds the whole set), unless the laptop holds hints central made at or
    after the file's time (pulled online since, or this file imported before; both
    times by central's clock): how many records' hashes were stored."""
    if page is None:
        return 0
    pulled_at = storage.get_state(conn, "hints_pulled_at", "") or ""
    if pulled_at and made_at and pulled_at >= made_at:
        return 0
    hints_pull.store_page(conn, "", page, made_at or hints_pull.now())
    return page.records


def _confirm_erasures(conn: sqlite3.Connection, record_ids: list[Any]) -> int:
    """Central holds these erasures: they need not travel again."""
    held = {rid for rid in record_ids if isinstance(rid, str)}
    waiting = {e["record_id"] for e in storage_central.unsent_erasures(conn, 10_000_000)}
    confirmed = {rid: "erased" for rid in waiting & held}
    if confirmed:
        storage_central.mark_erasures_sent(conn, confirmed)
    return len(confirmed)


def _apply_answer(conn: sqlite3.Connection, item: Any) -> tuple[int, int]:
    if not isinstance(item, dict) or not isinstance(item.get("batch_id"), str):
        return 0, 0
    stored = storage.get_batch(conn, item["batch_id"])
    if stored is None or stored["state"] != "pending":
        return 0, 0  # answered online already, dropped by an erasure, or not ours
    answer = sealed.decode_bytes(item.get("answer"))
    shell = protocol.Batch(stored["batch_id"], "", "", "",
                           [{"id": rid} for rid in stored["record_ids"]])
    try:
        results = protocol.decode_results(answer, shell)
    except ProtocolError as exc:
        raise UsbSyncError(f"jawaban batch {stored['batch_id']} rusak: {exc}") from exc
    accepted = sum(1 for r in results if r.get("result") == "accepted")
    with transaction(conn):
        if not storage.mark_answered(conn, stored["batch_id"], answer, accepted,
                                     len(results) - accepted):
            return 0, 0
        outcomes.apply_batch_results(conn, results)
    return 1, len(results)


def _apply_updates(conn: sqlite3.Connection, entries: list[Any]) -> tuple[int, int]:
    """Central's decisions past the cursor, in one transaction: (applied, of them erasures)."""
    cursor = int(storage.get_state(conn, "updates_cursor", "0") or 0)
    fresh = sorted((e for e in entries if isinstance(e, dict) and isinstance(e.get("seq"), int)
                    and e["seq"] > cursor), key=lambda e: e["seq"])
    if not fresh:
        return 0, 0
    with transaction(conn):
        applied, erased = outcomes.apply_updates(conn, fresh)
        storage.set_state(conn, "updates_cursor", str(fresh[-1]["seq"]))
    return applied, erased
