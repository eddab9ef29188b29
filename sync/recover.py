"""``berjasa sync recover``: take back from central the kelurahan's own records this
laptop does not hold (docs/sync-agent.md, "A laptop restored from an older backup").

A laptop restored from an older backup (or installed afresh and registered again for
its kelurahan) has lost every record made since; central holds each one it received,
with its decisions. The agent notices entries about records it does not hold
(``sync_central_only``, sync/outcomes.py) and says so; this command pages through
``GET /api/v1/records`` (signed like every request of the device, docs/sync-protocol.md
"Recovery") and, for each record of the kelurahan central holds:

- held here already, or erased here (its erasure may still be on its way): nothing;
- erased at central but held here (a backup made before the erasure): the copy here
  is erased too (audited as erased at central, not sent back);
- erased at central and not held here (made after the backup): the erasure is
  remembered here by record id (``privacy_erasures``, origin central), so intake
  refuses the copy a phone's outbox may still hold (409 ``erased``) and the phone's
  status look drops its card (server/privacy.py ``note_central_erasure``);
- otherwise it is written back ``synced``, audited (server/recovery.py), then given
  central's state (``needs_fix`` for a send-back, ``central_rejected``, ``registered``
  with its KPJ, its notices: sync/outcomes.py ``apply_recovered``). A copy the
  enumerator recorded meanwhile, which central refused as its duplicate, is rejected
  to make room for it; any other record holding its NIK is a conflict, left for the
  supervisor and named in the answer.

Each page is one transaction. It holds the agent's run lock (no run beside it), and
``--check`` only counts. Once every page is read, the kept notes of records central
holds are cleared (those recovered, and those central no longer holds), and so is the
mark a restore left (sync/storage.py ``RESTORED_STATE``).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from berjasa.database import transaction
from berjasa.folder_lock import lock_dir, try_lock
from berjasa.paths import SYNC_RUN_LOCK
from server import privacy, recovery
from server.storage import enrollments as enrollment_store
from server.storage import privacy as privacy_store
from sync import outcomes, storage_central
from sync.keys import DeviceError, load_device, pinned_central_keys
from sync.protocol_errors import ProtocolError
from sync.run_state import JITTER
from sync.transport import CentralClient, CentralRefused, TransientError, json_body, refusal_text

ERASED_REASON = "laptop dipulihkan dari cadangan lama; pusat sudah menghapusnya"
NOTED_REASON = "data dibuat sesudah cadangan yang dipulihkan; pusat sudah menghapusnya"


class RecoverError(Exception):
    """Why the recovery could not be done (or finished): one clear line."""


def recover(conn: sqlite3.Connection, data_dir: Path, settings: dict[str, Any],
            check_only: bool = False) -> dict[str, Any]:
    """Page through central's copy of the kelurahan's records and put back those
    missing here (``check_only``: count them, change nothing); the summary."""
    held = try_lock(lock_dir(data_dir) / SYNC_RUN_LOCK)
    if held is None:
        raise RecoverError("sinkronisasi lain sedang berjalan; coba lagi setelah selesai")
    client = None
    try:
        device, key = load_device(conn, data_dir)
        deadline = time.monotonic() + max(300.0, float(settings["sync_run_seconds"]))
        client = CentralClient(settings["sync_central_url"] or device["central_url"], settings,
                               deadline, pinned_central_keys(device))
        summary = _recover(conn, client, device, key, int(settings["sync_request_retries"]),
                           check_only)
    except DeviceError as exc:
        raise RecoverError(str(exc)) from exc
    finally:
        if client is not None:
            client.close()
        held.release()
    if summary["erased_here_from_central"] and not check_only:
        outcomes.after_erasures(conn)
    return summary


def _recover(conn: sqlite3.Connection, client: CentralClient, device: dict[str, Any], key,
             retries: int, check_only: bool) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "held_at_central": 0, "already_here": 0, "erased_here": 0, "missing_here": 0,
        "recovered": 0, "statuses": {}, "copies_rejected": [], "erased_here_from_central": [],
        "erasures_noted": [], "not_recovered": [], "check_only": check_only}
    seen: set[str] = set()
    after = "0"
    while True:
        page = _page(client, key, device["device_id"], after, retries)
        with transaction(conn):
            for item in page["records"]:
                _one(conn, device, item, summary, seen, check_only)
        after = str(page["cursor"])
        if not page.get("more") or not page["records"]:
            break
    if not check_only:
        with transaction(conn):
            # what central holds and is here now, or what it holds no more: nothing to take back
            kept = [record_id for record_id in storage_central.central_only_ids(conn)
                    if record_id not in seen or enrollment_store.status_of(conn, record_id)]
            storage_central.forget_central_only(conn, kept)
            conn.execute("DELETE FROM sync_state WHERE key = ?", (storage_central.RESTORED_STATE,))
    summary["central_only_left"] = storage_central.central_only(conn)["records"]
    return summary


def _one(conn: sqlite3.Connection, device: dict[str, Any], item: dict[str, Any],
         summary: dict[str, Any], seen: set[str], check_only: bool) -> None:
    """One record of central's page."""
    record_id = str(item["id"])
    here = enrollment_store.status_of(conn, record_id)
    if item.get("status") == "erased":
        if here is not None:
            summary["erased_here_from_central"].append(record_id)
            if not check_only:
                privacy.erase_from_central(conn, record_id, ERASED_REASON)
        elif not privacy_store.erased_ids(conn, [record_id]):
            # made after the backup, erased at central since: a phone may still hold it
            summary["erasures_noted"].append(record_id)
            if not check_only:
                privacy.note_central_erasure(conn, record_id, NOTED_REASON,
                                             item.get("enumerator"))
        elif not check_only and item.get("enumerator"):
            # noted by the pull, which does not say whose phone holds it
            privacy.note_central_erasure(conn, record_id, NOTED_REASON, item["enumerator"])
        return
    seen.add(record_id)
    summary["held_at_central"] += 1
    if here is not None:
        summary["already_here"] += 1
        return
    if privacy_store.erased_ids(conn, [record_id]):
        summary["erased_here"] += 1
        return
    summary["missing_here"] += 1
    if check_only:
        return
    values = item["record"]
    if values.get("kelurahan_code") != device["kelurahan_code"]:
        summary["not_recovered"].append({"record_id": record_id, "why": "other_kelurahan"})
        return
    try:
        summary["copies_rejected"] += recovery.restore_record(conn, values)
    except recovery.NotRecovered as refused:
        summary["not_recovered"].append({"record_id": record_id, "why": refused.why,
                                         "held_by": refused.holder})
        # still held at central, still missing here: the panel keeps saying so
        storage_central.note_central_only(conn, record_id, "recovery", item.get("status"), 0)
        return
    outcomes.apply_recovered(conn, record_id, item.get("central") or {}, item.get("updates") or [])
    status = enrollment_store.status_of(conn, record_id)
    summary["recovered"] += 1
    summary["statuses"][status] = summary["statuses"].get(status, 0) + 1


def _page(client: CentralClient, key, device_id: str, after: str, retries: int) -> dict[str, Any]:
    """One page of central's records after ``after``, asked again after a failure."""
    path = f"/api/v1/records?after={after}&encoding=zstd"
    for attempt in range(retries + 1):
        try:
            page = json_body(client.get_signed(key, device_id, path).content)
            if not isinstance(page.get("records"), list) or "cursor" not in page:
                raise ValueError("bukan halaman data")
            return page
        except (TransientError, ProtocolError, ValueError) as exc:
            if attempt >= retries or client.remaining() < 2:
                raise RecoverError(f"gagal mengambil data dari pusat: {exc}") from exc
            time.sleep(min(8.0, 0.5 * 2 ** attempt) * JITTER.uniform(0.5, 1.5))
        except CentralRefused as exc:
            if exc.status in (404, 405):
                raise RecoverError("pusat belum mendukung pemulihan (GET /api/v1/records); "
                                   "perbarui berjasa di pusat dulu (berjasa central migrate)") from exc
            raise RecoverError(refusal_text(exc, "permintaan pemulihan")) from exc
    raise RecoverError("gagal mengambil data dari pusat")  # not reached
