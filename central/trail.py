"""Central's audit trail as a service: append an entry, verify the chain, read it
with filters, export it as a formula-safe CSV (no HTTP, no SQL here).

Actions written: ``login``, ``login.failed``, ``logout``, ``user.*``, ``device.*``,
``import.*``, ``export.*`` (CLI) and ``download.*`` (pages), the verifiers'
decisions and erasures (issues 10, 12), and the other CLI commands that change state
or print people's data (``recheck``, ``key.*``, ``verify.run``, ``view.*``,
``schema.migrate``; docs/central.md "Audit trail") through :func:`record`.

An entry that acts on many records at once (a batch received, a registration file,
an import or a recheck) names each of them as a **record target** (``KELURAHAN/RECORD_ID``
and what became of it, ``audit_targets``), and its chained details hold how many and
their SHA-256 (:func:`targets_digest`), which :func:`verify` checks: so one record's
history (:func:`history`, the page's ``record`` filter) is proven like the chain.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from berjasa import audit_seal, spreadsheet
from berjasa.audit import Actor, LastSeen, restore_facts, verify_entries
from berjasa.audit import cli_actor as audit_cli_actor
from berjasa.database import utc_now
from berjasa.local_time import day_start_utc, wita, wita_column
from berjasa.logs import SIXTEEN_DIGITS, identity_digits, mask_identity_numbers
from berjasa.problems import BadFilter
from berjasa.pseudonyms import load_key, pseudonym
from central.storage import audit as store
from central.storage import findings as findings_store
from central.storage import pairs as pairs_store
from central.storage.db import Database
from central.trail_targets import TARGETS_DIGEST, targets_digest, targets_problem

PAGE_SIZE = 200
CSV_COLUMNS = [spreadsheet.Column(name, name, spreadsheet.NUMBER if name == "seq" else
                                  spreadsheet.TEXT)
               for name in ("seq", "at",
                            # not chained: `at` (UTC, what the hashes cover) in Makassar time
                            "at_wita",
                            "actor", "role", "action", "record_id", "changes",
                            "reason", "address", "prev_hash", "entry_hash",
                            # not part of the chain: looked up when exported (see below)
                            "decision_reason",
                            # with a record filter: what the entry did to that record
                            # (its row of audit_targets, which the chain's digest covers)
                            "record_outcome")]
# A verifier's decision keeps its reason with the finding or the pair it decides, not
# in the chain (the text may name the person, and the chain outlives an erasure): the
# page and the CSV look it up beside the entry while the person's data is held.
DECISION_REASON_GONE = "(tidak disimpan lagi: data pemiliknya sudah dihapus)"


def cli_actor(by: str | None = None) -> Actor:
    """Who runs a central command, role ``cli``: ``cli:<OS user>``, or ``cli:<name>``
    for ``--by NAME`` (checked: a safe alphabet, at most 64 characters, no control
    characters; ValidationFailed otherwise)."""
    return audit_cli_actor("cli", by)


def record(db: Database, actor: Actor, action: str, target: str | None = None,
           details: dict[str, Any] | None = None, reason: str | None = None,
           targets: Iterable[tuple[str, str]] | None = None) -> int:
    """Append one entry (inside the caller's transaction when there is one).
    ``targets``: the records it acts on, ``(KELURAHAN/RECORD_ID, outcome)`` (ids and
    codes only; a record named twice keeps its first outcome); the details gain
    ``targets`` (how many) and ``targets_sha256`` (:func:`targets_digest`), so the chain
    covers them (with no target, neither). Written in bulk with the entry."""
    rows = sorted(dict(reversed(list(targets or ()))).items())  # first outcome per target
    if rows:  # none: the entry is as it always was
        details = {**(details or {}), "targets": len(rows), TARGETS_DIGEST: targets_digest(rows)}
    return store.append(db, actor, action, target, details, reason, rows)


def verify(db: Database, seals: bool = True) -> tuple[int, dict[str, Any] | None]:
    """(entries checked, None) when intact, else the first broken entry ``{"seq",
    "problem"}``: the chain recomputed and, unless ``seals`` is False, every entry's
    keyed seal checked (docs/audit-chain.md)."""
    if not seals:
        return verify_entries(store.iter_entries(db))
    checked, broken, _ = _verify_from(db, None)
    return checked, broken


def restores(db: Database) -> list[dict[str, Any]]:
    """Every restore of central's database the trail records, oldest first: when, who,
    why, and the seqs of the replaced trail this one lacks (``lost``: [first, last] or
    None), which are never given out again (docs/audit-chain.md "Central restored from
    a backup")."""
    found = []
    for entry in store.iter_entries(db, {"action": store.RESTORE_ACTION}):
        facts = restore_facts(entry)
        found.append({"seq": entry["seq"], "at": entry["at"], "actor": entry["actor"],
                      "reason": entry["reason"], "lost": facts["lost"]})
    return found


def restore_lines(found: list[dict[str, Any]]) -> list[str]:
    """:func:`restores` as ``central audit verify`` says them, one line each."""
    lines = []
    for item in found:
        line = (f"Catatan: seq={item['seq']} ({wita(item['at'], seconds=True)}, {item['actor']}): "
                f"pusat dipulihkan dari cadangan ({item['reason'] or '-'})")
        if item["lost"]:
            first, last = item["lost"]
            line += (f"; entri seq={first}..{last} jejak sebelum pemulihan tidak ada di jejak "
                     "ini, nomornya tidak dipakai lagi")
        lines.append(line + ".")
    return lines


def _verify_from(db: Database, after: tuple[int, str] | None
                 ) -> tuple[int, dict[str, Any] | None, tuple[int, str] | None]:
    """:func:`verify` of the entries after ``after`` (all when None): (entries
    checked, the first broken one or None, the mark of the last intact entry)."""
    key = store.seal_key(db)
    entries = LastSeen(store.iter_sealed(db, after=after[0] if after else 0))
    with_targets: set[int] = set()

    def check(entry: dict[str, Any]) -> str | None:
        return audit_seal.seal_problem(key, int(entry["seq"]), entry["entry_hash"],
                                       entry["mac"]) or targets_problem(db, entry, with_targets)

    checked, broken = verify_entries(entries, check, after)
    last = entries.last
    mark = (int(last["seq"]), last["entry_hash"]) if last is not None else after
    if broken is None:  # seals beyond the last entry outlived deleted entries
        broken = audit_seal.orphan_seal(store.first_orphan_seal(db, mark[0] if mark else 0))
    if broken is None and mark is not None:  # targets of a verified entry that names none
        stray = [seq for seq in store.seqs_with_targets(db, after[0] if after else 0)
                 if seq <= mark[0] and seq not in with_targets]  # (later: not verified yet)
        if stray:
            broken = {"seq": stray[0], "problem": "record targets without their entry's digest"}
    return checked, broken, None if broken else mark


# How long the auditor page trusts a whole-chain check: within it, each view checks
# only the entries written since (and that the last one verified is unchanged).
FULL_CHECK_SECONDS = 300.0
WATCH_EXTENSION = "berjasa_trail_watch"  # the app's TrailWatch, in app.extensions


@dataclass(frozen=True)
class ChainStatus:
    """What the auditor page says of the chain: entries verified, the first broken
    one (None: intact), and when the whole chain was last recomputed (UTC)."""

    checked: int
    broken: dict[str, Any] | None
    full_at: str


class TrailWatch:
    """The auditor page's chain check, kept between views (one per app). Recomputing
    the whole trail on every view took 0.57 s at 50,000 entries and grows with the
    trail; so a view recomputes it only when the last whole check is older than
    ``full_every`` seconds, when asked (``full=True``), or when the last entry it
    verified is gone or its hash changed; otherwise it checks the entries written
    since, chained on from the last one verified (seals too). An entry before that
    one rewritten or deleted (the triggers refuse both; a database administrator can
    drop them) shows at the next whole check. A broken chain is
    never remembered: the next view checks everything again. And a trail that now
    ends before an entry this watch once verified lost its last entries (a
    deletion the chain alone cannot show): reported as missing. ``central audit
    verify`` always checks the whole chain."""

    def __init__(self, full_every: float = FULL_CHECK_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.full_every, self.clock = full_every, clock
        self.lock = threading.Lock()
        self.mark: tuple[int, str] | None = None  # (seq, entry_hash) verified so far
        self.full_at: tuple[float, str] | None = None  # (clock, UTC) of the last whole check
        self.highest = 0  # the highest seq ever verified intact here

    def status(self, db: Database, full: bool = False) -> ChainStatus:
        with self.lock:
            if full or not self._fresh(db):
                self.mark = self.full_at = None
                started = (self.clock(), utc_now())
                checked, broken, mark = _verify_from(db, None)
                if broken is None and checked < self.highest:
                    broken = {"seq": checked + 1, "problem": "missing entry (deleted?)"}
                if broken:
                    return ChainStatus(checked, broken, started[1])
                self.mark, self.full_at = mark, started
                self.highest = checked
                return ChainStatus(checked, None, started[1])
            before = self.mark[0] if self.mark else 0
            checked, broken, mark = _verify_from(db, self.mark)
            if broken:
                self.mark = self.full_at = None
                return ChainStatus(before + checked, broken, utc_now())
            self.mark, self.highest = mark, before + checked
            return ChainStatus(before + checked, None, self.full_at[1])

    def _fresh(self, db: Database) -> bool:
        """Whether the last whole check still vouches for the entries it verified."""
        if self.full_at is None or self.clock() - self.full_at[0] >= self.full_every:
            return False
        if self.mark is None:
            return True  # the trail was empty: every entry is new
        # by primary key: a count of the entries before the mark took 15 ms at 200,000
        return store.entry_hash_at(db, self.mark[0]) == self.mark[1]


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
    :class:`central.schemas.TrailQuery`): actor, action, record (a central id, a record
    id or KELURAHAN/RECORD_ID: :func:`with_record`), from/to dates (YYYY-MM-DD, ``to``
    inclusive). A bad value is a 400 naming the field. The schema module
    (marshmallow, Flask) is imported here: the CLI commands that record to the
    trail run without it. The dates are Makassar days (WITA), as the page
    shows the entries' times."""
    from central.schemas import TrailQuery

    raw = {k: v for k, v in args.items()}
    errors = TrailQuery().validate(raw)
    for name, message in (("actor", "actor: teks sampai 100 karakter."),
                          ("action", "action: teks sampai 100 karakter."),
                          ("record", ("record: id pusat, id data atau KELURAHAN/ID_DATA, "
                                     "sampai 100 karakter.")),
                          ("from", "from: tanggal harus YYYY-MM-DD, mis. 2025-10-01."),
                          ("to", "to: tanggal harus YYYY-MM-DD, mis. 2025-10-31."),
                          ("page", "page: bilangan bulat >= 1."),
                          ("before", "before: nomor seq, bilangan bulat >= 1."),
                          ("full", "full: 1 atau 0.")):
        if name in errors:
            raise BadFilter({name: [message]}, {name: ["invalid"]},
                            message="Filter jejak audit tidak sah: " + message)
    if errors:
        name = min(errors)[:40]
        raise BadFilter({name: ["tidak dikenal"]}, {name: ["unknown"]},
                        message=f"Filter jejak audit tidak sah: {name!r} tidak dikenal.")
    values = TrailQuery().load(raw)
    filters: dict[str, str] = {}
    for name in ("actor", "action", "record"):
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


# The filters a person types (free text): what the trail keeps of them has no NIK
TYPED_FILTERS = ("actor", "action", "record")


def without_identity_numbers(db: Database, text: str) -> str:
    """``text`` as the trail may keep it: every NIK or KK in it (16 digits, spaced or
    dotted as people type them: :data:`berjasa.logs.SIXTEEN_DIGITS`) written as its keyed
    pseudonym under central's key, the one an erasure records for that NIK. An auditor
    who looks a person up by NIK (the ``record`` filter, ``audit history --record``) is
    recorded, but the trail, which outlives the person's erasure, never holds the NIK."""
    if not SIXTEEN_DIGITS.search(text):
        return text
    key = load_key(db.data_dir)
    return mask_identity_numbers(text, lambda span: pseudonym(key, identity_digits(span)))


def filters_for_trail(db: Database, filters: dict[str, Any]) -> dict[str, Any]:
    """The trail filters as an entry records them (:func:`without_identity_numbers`
    on the text a person typed)."""
    return {name: without_identity_numbers(db, value)
            if name in TYPED_FILTERS and isinstance(value, str) else value
            for name, value in filters.items()}


def record_trail_export(db: Database, actor: Actor, filters: dict[str, Any],
                        written: spreadsheet.Written) -> int:
    """The ``download.audit`` entry of the trail's CSV export (its filters without a NIK)."""
    return record(db, actor, "download.audit", None,
                  {"filters": filters_for_trail(db, filters), "rows": written.rows,
                   "sha256": written.sha256, "format": "csv"})


def with_record(db: Database, filters: dict[str, Any]) -> dict[str, Any]:
    """The filters with ``record`` resolved to the ``targets`` it names
    (:func:`central.storage.audit.record_targets`: KELURAHAN/RECORD_ID; none when
    central never held the record, so nothing matches)."""
    if not filters.get("record"):
        return filters
    return {**filters, "targets": store.record_targets(db, filters["record"])}


def page(db: Database, filters: dict[str, str], number: int = 1,
         before: int | None = None) -> dict[str, Any]:
    """One page of entries (newest first) and the actions known, for the auditor page;
    with a ``record`` filter, its entries and the entries naming it among their
    targets, each with ``record_outcome``. ``before``: the page after the one that
    ended at that seq (``next_before`` of the page before it). The trail grows while an
    auditor reads it (batches, sign-ins), so the next page is the entries older than
    the last one shown, never an offset, which would show the newest entries' share of
    the last page again; ``number`` is only an offset for a link without ``before``."""
    filters = with_record(db, filters)
    if before is None:
        rows = store.list_entries(db, filters, PAGE_SIZE + 1, (number - 1) * PAGE_SIZE)
    else:
        rows = store.list_entries(db, filters, PAGE_SIZE + 1, before=before)
    entries = rows[:PAGE_SIZE]
    return {"entries": with_decision_reasons(db, entries),
            "more": len(rows) > PAGE_SIZE, "actions": store.actions(db),
            "next_before": entries[-1]["seq"] if entries else None,
            "targets": filters.get("targets")}


def export_csv(db: Database, filters: dict[str, str]) -> spreadsheet.Written:
    """The filtered trail in chain order as CSV (UTF-8 with BOM, formula-safe), with
    each decision's reason in ``decision_reason`` (and, filtered by a record, what
    each entry did to it in ``record_outcome``)."""
    return spreadsheet.write_export("csv", CSV_COLUMNS, _in_chunks(
        db, store.iter_entries(db, with_record(db, filters))))


def history(db: Database, record: str) -> dict[str, Any]:
    """One record's history at central, oldest first: ``targets`` (the
    KELURAHAN/RECORD_ID the identifier names) and ``entries`` (its own entries and
    those naming it among their targets, each with ``record_outcome`` and
    ``decision_reason``)."""
    filters = with_record(db, {"record": record})
    return {"targets": filters["targets"], "entries": list(_in_chunks(
        db, store.iter_entries(db, filters) if filters["targets"] else iter(())))}


def _in_chunks(db: Database, entries: Iterator[dict[str, Any]],
               size: int = 500) -> Iterator[dict[str, Any]]:
    chunk: list[dict[str, Any]] = []
    for entry in entries:
        chunk.append({**entry, "at_wita": wita_column(entry["at"])})
        if len(chunk) >= size:
            yield from with_decision_reasons(db, chunk)
            chunk = []
    yield from with_decision_reasons(db, chunk)


def with_decision_reasons(db: Database, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries, each verifier decision with ``decision_reason``: the send-back
    reason or the decision's, from the finding or pair it names while that still
    belongs to the entry's record; :data:`DECISION_REASON_GONE` once erased."""
    wanted = {}
    for entry in entries:
        if entry["action"] == "decision.send_back" or entry["action"].startswith("decision.finding."):
            finding = _details(entry).get("finding_id")
            if isinstance(finding, int):
                wanted[entry["seq"]] = finding
    held = findings_store.finding_reasons(db, list(wanted.values()))
    pairs = {entry["seq"]: (entry["record_id"], str(_details(entry).get("other") or ""))
             for entry in entries
             if entry["action"].startswith("decision.pair.") and entry["record_id"]}
    pair_reasons = pairs_store.pair_reasons(db, list(pairs.values()))
    out = []
    for entry in entries:
        entry = dict(entry)
        if entry["seq"] in wanted:
            found = held.get(wanted[entry["seq"]])
            if found is None or found["subject"] != entry["record_id"]:  # erased (its id reused)
                entry["decision_reason"] = DECISION_REASON_GONE
            elif entry["action"] == "decision.send_back":
                entry["decision_reason"] = found["evidence"].get("reason") or ""
            else:
                entry["decision_reason"] = found["reason"] or ""
        elif entry["seq"] in pairs:
            entry["decision_reason"] = pair_reasons.get(pairs[entry["seq"]], DECISION_REASON_GONE)
        out.append(entry)
    return out


def _details(entry: dict[str, Any]) -> dict[str, Any]:
    try:
        details = json.loads(entry.get("changes") or "{}")
    except ValueError:
        return {}
    return details if isinstance(details, dict) else {}
