"""Sync by USB stick at central: import a kelurahan's sealed batches file and write
the sealed answers file back (design.md; the file format is sync/protocol_sealed.py).

Importing applies each batch exactly as if it had come over the network
(central/receive.py): same signature check, same idempotency, same answers. So a
file imported twice, or a batch that also arrived online, changes nothing the
second time. The answers file holds every answer central gave to the kelurahan's
batches and every update entry for the kelurahan; the laptop applies what it does
not have yet (answers to batches still pending, updates after its cursor).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from berjasa.paths import write_private
from berjasa.problems import Problem
from central import hints
from central.devices import active_device
from central.privacy import erase_from_device
from central.receive import receive_signed_batch
from central.storage import devices as device_store
from central.storage import privacy as privacy_store
from central.storage import updates as update_store
from central.storage.db import Database
from sync import protocol_sealed as sealed
from sync.protocol_auth import load_public_key
from sync.protocol_erasures import decode_erasures
from sync.protocol_errors import ProtocolError

KEY_FILE = "central_exchange_key.pem"


class UsbError(Exception):
    """A file or a kelurahan that cannot be used: one clear line."""


def central_exchange_key(data_dir: Path):
    """Central's static exchange key, made on first use (owner-only file)."""
    path = Path(data_dir) / KEY_FILE
    if path.exists():
        return sealed.load_private_pem(path.read_bytes())
    key = sealed.new_exchange_key()
    write_private(path, sealed.private_pem(key))
    return key


def central_exchange_public(data_dir: Path) -> str:
    """The public half, handed to each laptop at registration."""
    return sealed.public_text(central_exchange_key(data_dir))


@dataclass
class ImportSummary:
    """What ``central import-batches`` did."""

    kelurahan_code: str
    device_id: str
    batches: int = 0
    new: int = 0
    replayed: int = 0
    refused: list[dict[str, str]] = field(default_factory=list)
    records: int = 0
    erased: int = 0
    # erased here although central had already put them on a BPJS registration file
    # (a stick made before the erasure, imported before the one carrying it)
    on_registration_file: list[dict[str, str]] = field(default_factory=list)
    compacted: bool = True


def import_batches(db: Database, data_dir: Path, data: bytes,
                   settings: Mapping[str, Any]) -> ImportSummary:
    """Apply every batch of a sealed batches file."""
    header = sealed.read_header(data)
    device_id = header.get("device_id")
    device = device_store.get_device(db, device_id) if isinstance(device_id, str) else None
    if device is None:
        raise UsbError(f"perangkat {device_id!r} di berkas ini tidak terdaftar di pusat")
    writer_text = device_store.exchange_key(db, device_id)
    if writer_text is None:
        raise UsbError(f"perangkat {device_id} belum mendaftarkan kunci pertukaran USB; "
                       f"daftarkan ulang laptop itu (berjasa sync register)")
    _, payload = sealed.open_sealed(data, central_exchange_key(data_dir), "batches",
                                    sealed.load_public(writer_text))
    summary = ImportSummary(device["kelurahan_code"], device_id)
    # erasures first: a batch built before an erasure then meets its tombstone
    for item in payload.get("erasures") or []:
        try:
            if not isinstance(item, dict) or not isinstance(item.get("headers"), dict):
                raise sealed.SealedFileError("bagian penghapusan rusak")
            erasures = decode_erasures(sealed.decode_bytes(item.get("body")), item["headers"],
                                       lambda did: _device_key(db, did))
            answer = erase_from_device(db, data_dir, erasures,
                                       device_store.get_device(db, erasures.device_id),
                                       compact=False, settings=settings)
        except (ProtocolError, Problem, sealed.SealedFileError) as exc:
            summary.refused.append({"batch_id": "penghapusan", "reason": _reason(exc)})
            continue
        summary.erased += sum(1 for r in answer["results"] if r["result"] == "erased")
        summary.on_registration_file += answer["on_registration_file"]
    for item in payload.get("batches") or []:
        summary.batches += 1
        batch_id = str(item.get("batch_id", "?")) if isinstance(item, dict) else "?"
        try:
            if not isinstance(item, dict) or not isinstance(item.get("headers"), dict):
                raise sealed.SealedFileError("bagian batch rusak")
            body = sealed.decode_bytes(item.get("body"))
            _, replayed, batch = receive_signed_batch(db, body, item["headers"], settings,
                                                      via="usb")
        except (ProtocolError, Problem, sealed.SealedFileError) as exc:
            summary.refused.append({"batch_id": batch_id, "reason": _reason(exc)})
            continue
        summary.records += len(batch.records)
        summary.replayed += int(replayed)
        summary.new += int(not replayed)
    summary.compacted = privacy_store.finish_compaction(db) is not False
    return summary


def _device_key(db: Database, device_id: str):
    device = active_device(db, device_id)
    return load_public_key(device["public_key"]) if device else None


def _reason(exc: Exception) -> str:
    """Why a part of the file was refused, in the operator's words (a protocol
    error's own text is its code and an English detail for developers), with the
    stable code after it."""
    code = getattr(exc, "code", None)
    message = getattr(exc, "message", None) or str(exc)
    return f"{message} ({code})" if code else message


def export_answers(db: Database, data_dir: Path, kelurahan_code: str,
                   settings: Mapping[str, Any]) -> tuple[bytes, dict[str, Any]]:
    """(sealed answers file, summary) for the kelurahan's current laptop: the answers,
    the updates, the erasures held, and the duplicate hints (the key and the hashes of
    every active record city-wide but the laptop's own, as its online pull brings them:
    the phones of a kelurahan with no link warn of duplicates too)."""
    device = device_store.latest_active_device(db, kelurahan_code)
    if device is None:
        raise UsbError(f"tidak ada perangkat aktif untuk kelurahan {kelurahan_code}")
    reader_text = device_store.exchange_key(db, device["device_id"])
    if reader_text is None:
        raise UsbError(f"perangkat {device['device_id']} belum mendaftarkan kunci pertukaran USB; "
                       f"daftarkan ulang laptop itu (berjasa sync register)")
    answers = [{"batch_id": b["batch_id"], "answer": sealed.encode_bytes(b["answer"])}
               for b in device_store.batches_of_kelurahan(db, kelurahan_code)]
    # the laptop has every "accepted" from the answers themselves (as online: skip=accepted)
    updates = update_store.updates_since(db, kelurahan_code, 0, 10_000_000, ("accepted",))
    duplicate_hints = hints.full_set(db, {name: settings[name] for name in hints.SETTINGS},
                                     device["device_id"])
    payload = {"kelurahan_code": kelurahan_code, "device_id": device["device_id"],
               "answers": answers, "updates": updates,
               "erasures": privacy_store.kelurahan_erasure_ids(db, kelurahan_code),
               "hints": duplicate_hints}
    data = sealed.seal("answers", payload, central_exchange_key(data_dir),
                       sealed.load_public(reader_text),
                       {"device_id": device["device_id"], "kelurahan_code": kelurahan_code})
    return data, {"kelurahan_code": kelurahan_code, "device_id": device["device_id"],
                  "answers": len(answers), "updates": len(updates),
                  "hint_records": hints.hashed_records(duplicate_hints), "bytes": len(data)}
