"""Central's audit trail as a service: append an entry, verify the chain, read it
with filters, export it as a formula-safe CSV (no HTTP, no SQL here).

Actions written: ``login``, ``login.failed``, ``logout``, ``user.*``, ``device.*``,
``import.*``, ``export.*`` (CLI) and ``download.*`` (pages), and the verifiers'
decisions and erasures (issues 10, 12) through :func:`record`.
"""

from __future__ import annotations

import getpass
import string
from datetime import timedelta
from typing import Any

from berjasa import audit_seal, spreadsheet
from berjasa.audit import Actor, verify_entries
from berjasa.local_time import day_start_utc
from berjasa.problems import BadFilter
from central.storage import audit as store
from central.storage.db import Database

PAGE_SIZE = 200
CSV_COLUMNS = [spreadsheet.Column(name, name, spreadsheet.NUMBER if name == "seq" else
                                  spreadsheet.TEXT)
               for name in ("seq", "at", "actor", "role", "action", "record_id", "changes",
                            "reason", "address", "prev_hash", "entry_hash")]
_SAFE = set(string.ascii_letters + string.digits + "._-@")


def cli_actor() -> Actor:
    """Who runs a CLI command: the operating system's user, in a safe alphabet."""
    try:
        name = getpass.getuser()
    except (OSError, KeyError):
        name = "unknown"
    return Actor("cli:" + ("".join(c for c in name if c in _SAFE)[:32] or "unknown"), "cli")


def record(db: Database, actor: Actor, action: str, target: str | None = None,
           details: dict[str, Any] | None = None, reason: str | None = None) -> int:
    """Append one entry (inside the caller's transaction when there is one)."""
    return store.append(db, actor, action, target, details, reason)


def verify(db: Database, seals: bool = True) -> tuple[int, dict[str, Any] | None]:
    """(entries checked, None) when intact, else the first broken entry ``{"seq",
    "problem"}``: the chain recomputed and, unless ``seals`` is False, every entry's
    keyed seal checked (docs/audit-chain.md)."""
    if not seals:
        return verify_entries(store.iter_entries(db))
    key = store.seal_key(db)
    return verify_entries(store.iter_sealed(db), lambda entry: audit_seal.seal_problem(
        key, int(entry["seq"]), entry["entry_hash"], entry["mac"]))


def seal_unsealed(db: Database) -> int:
    """Seal the entries written before central sealed its trail (migration 0013), once
    per data folder and only when the chain verifies, so a forgery is never sealed;
    the marker file ``audit.sealed`` then makes a seal deleted later show as missing
    instead of being sealed again. The number sealed."""
    if db.data_dir is None:
        return 0
    return audit_seal.backfill_once(db.data_dir, lambda: verify(db, seals=False)[1] is None,
                                    lambda: store.seal_unsealed(db))


def parse_filters(args: Any) -> dict[str, str]:
    """The trail filters from a query string (checked with
    :class:`central.schemas.TrailQuery`): actor, action, from/to dates (YYYY-MM-DD,
    ``to`` inclusive). A bad value is a 400 naming the field. The schema module
    (marshmallow, Flask) is imported here: the CLI commands that record to the
    trail run without it. The dates are Makassar days (WITA), as the page
    shows the entries' times."""
    from central.schemas import TrailQuery

    raw = {k: v for k, v in args.items()}
    errors = TrailQuery().validate(raw)
    for name, message in (("actor", "actor: teks sampai 100 karakter."),
                          ("action", "action: teks sampai 100 karakter."),
                          ("from", "from: tanggal harus YYYY-MM-DD, mis. 2025-10-01."),
                          ("to", "to: tanggal harus YYYY-MM-DD, mis. 2025-10-31."),
                          ("page", "page: bilangan bulat >= 1.")):
        if name in errors:
            raise BadFilter({name: [message]}, {name: ["invalid"]},
                            message="Filter jejak audit tidak sah: " + message)
    if errors:
        name = min(errors)[:40]
        raise BadFilter({name: ["tidak dikenal"]}, {name: ["unknown"]},
                        message=f"Filter jejak audit tidak sah: {name!r} tidak dikenal.")
    values = TrailQuery().load(raw)
    filters: dict[str, str] = {}
    for name in ("actor", "action"):
        text = values.get(name, "").strip()
        if text:
            if not text.isprintable():
                raise BadFilter({name: ["karakter kontrol"]}, {name: ["invalid"]},
                                message=f"Filter jejak audit tidak sah: {name} tanpa karakter kontrol.")
            filters[name] = text
    # days as the page shows its times: Makassar days (WITA), not UTC ones
    if values.get("from_"):
        filters["since"] = day_start_utc(values["from_"])
    if values.get("to"):
        filters["until"] = day_start_utc(values["to"] + timedelta(days=1))
    return filters


def page(db: Database, filters: dict[str, str], number: int = 1) -> dict[str, Any]:
    """One page of entries (newest first) and the actions known, for the auditor page."""
    rows = store.list_entries(db, filters, PAGE_SIZE + 1, (number - 1) * PAGE_SIZE)
    return {"entries": rows[:PAGE_SIZE], "more": len(rows) > PAGE_SIZE,
            "actions": store.actions(db)}


def export_csv(db: Database, filters: dict[str, str]) -> spreadsheet.Written:
    """The filtered trail in chain order as CSV (UTF-8 with BOM, formula-safe)."""
    return spreadsheet.write_export("csv", CSV_COLUMNS, store.iter_entries(db, filters))
