"""Central's audit trail as a service: append an entry, verify the chain, read it
with filters, export it as a formula-safe CSV (no HTTP, no SQL here).

Actions written: ``login``, ``login.failed``, ``logout``, ``user.*``, ``device.*``,
``import.*``, ``export.*`` (CLI) and ``download.*`` (pages), and the verifiers'
decisions and erasures (issues 10, 12) through :func:`record`.
"""

from __future__ import annotations

import getpass
import string
from datetime import date, timedelta
from typing import Any

from berjasa import spreadsheet
from berjasa.audit import Actor, verify_entries
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


def verify(db: Database) -> tuple[int, dict[str, Any] | None]:
    """(entries checked, None) when intact, else the first broken entry ``{"seq", "problem"}``."""
    return verify_entries(store.iter_entries(db))


def parse_filters(args: Any) -> dict[str, str]:
    """The trail filters from a query string: actor, action, from/to dates
    (YYYY-MM-DD, ``to`` inclusive). A bad value is a 400 naming the field."""
    filters: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name in ("actor", "action"):
        value = args.get(name, "")
        if not isinstance(value, str) or len(value) > 100 or not value.isprintable():
            errors[name] = [f"{name}: teks 1-100 karakter tanpa karakter kontrol."]
        elif value.strip():
            filters[name] = value.strip()
    for name, key, shift in (("from", "since", 0), ("to", "until", 1)):
        value = args.get(name, "")
        if not value:
            continue
        try:
            day = date.fromisoformat(value) if len(value) == 10 else None
        except ValueError:
            day = None
        if day is None:
            errors[name] = [f"{name}: tanggal harus YYYY-MM-DD, mis. 2025-10-01."]
        else:
            filters[key] = (day + timedelta(days=shift)).isoformat()
    if errors:
        raise BadFilter(errors, {k: ["invalid"] for k in errors},
                               message="Filter jejak audit tidak sah: " + "; ".join(
                                   m for ms in errors.values() for m in ms))
    return filters


def page(db: Database, filters: dict[str, str], number: int = 1) -> dict[str, Any]:
    """One page of entries (newest first) and the actions known, for the auditor page."""
    rows = store.list_entries(db, filters, PAGE_SIZE + 1, (number - 1) * PAGE_SIZE)
    return {"entries": rows[:PAGE_SIZE], "more": len(rows) > PAGE_SIZE,
            "actions": store.actions(db)}


def export_csv(db: Database, filters: dict[str, str]) -> spreadsheet.Written:
    """The filtered trail in chain order as CSV (UTF-8 with BOM, formula-safe)."""
    return spreadsheet.write_export("csv", CSV_COLUMNS, store.iter_entries(db, filters))
