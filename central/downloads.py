"""Exports as downloads and as CLI files, each one written to central's trail
(who, what, filters, row count, SHA-256 of the file). No HTTP, no SQL here.

The download filters are validated against what the export offers: an unknown
export is a 404, a forged filter (a format not offered, a month not YYYY-MM, an
unknown parameter) a 400 naming it. The file itself comes from
:func:`central.exports.export`.
"""

from __future__ import annotations

from typing import Any

from berjasa.audit import Actor
from berjasa.local_time import file_stamp
from berjasa.problems import BadFilter, ExportRefused, NotFound
from central import exports, trail
from central.accounts import AUDITOR
from central.export_bpkad import PaymentListRefused
from central.export_fields import ExportError
from central.schemas import DownloadQuery
from central.storage.db import Database, utc_now

FORMATS = {"csv": "text/csv", "xlsx":
           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
LABELS = {
    "bpjs-registration": "Berkas pendaftaran BPJS",
    "payment-list": "Daftar pembayaran iuran (BPKAD)",
    "rejections": "Penolakan pusat",
    "progress": "Capaian per kelurahan",
    "all": "Semua data di pusat",
}
MONTH_EXPORTS = exports.MONTH_EXPORTS


# The exports whose download changes state besides the trail: the registration file
# marks its records as put on a file (``registration_exported_at``), which decides what
# the next BPJS list means for them. The dashboard offers these as a POST form (CSRF).
MARKING_EXPORTS = frozenset({"bpjs-registration"})


def marks_records(what: str, actor: Actor) -> bool:
    """Whether ``actor``'s download of ``what`` marks records (an auditor's copy
    never does: an auditor reads)."""
    return what in MARKING_EXPORTS and actor.role != AUDITOR


def offered() -> list[dict[str, Any]]:
    """The exports offered as downloads, in order, with their labels; ``post``: the
    dashboard offers it as a form posted with the CSRF token (it marks records)."""
    return [{"what": what, "label": LABELS.get(what, what), "month": what in MONTH_EXPORTS,
             "post": what in MARKING_EXPORTS}
            for what in exports.WHATS]


def _refuse(field: str, message: str) -> BadFilter:
    return BadFilter({field: [message]}, {field: ["invalid"]}, message=message)


MESSAGES = {"format": "format (format berkas) harus csv atau xlsx.",
            "month": "month (bulan) harus YYYY-MM antara 2000-01 dan 2100-12, mis. 2025-10.",
            "draft": "draft (draf) hanya 0 atau 1, untuk daftar pembayaran."}


def parse_filters(what: str, args: Any) -> dict[str, Any]:
    """The download's filters from the query string (checked with
    :class:`central.schemas.DownloadQuery`, the schema /openapi.json shows), or
    BadFilter (400) naming the field."""
    if what not in exports.WHATS:
        raise NotFound(f"Unduhan {what[:40]!r} tidak ada.")
    repeated = sorted(k for k in args if len(args.getlist(k)) > 1)
    if repeated:
        raise _refuse(repeated[0][:40], f"Parameter {repeated[0][:40]!r} diberikan lebih dari sekali.")
    errors = DownloadQuery().validate(args.to_dict())
    for name in sorted(errors):
        if name in MESSAGES:
            raise _refuse(name, MESSAGES[name])
        raise _refuse(name[:40], f"Parameter {name[:40]!r} tidak dikenal untuk unduhan.")
    values = DownloadQuery().load(args.to_dict())
    draft = values["draft"] == "1" if "draft" in values else None
    try:  # the rules the CLI's --month/--draft follow too, in one place
        checked = exports.check_filters(what, month=values.get("month"), draft=draft)
    except exports.FilterError as exc:
        raise _refuse(exc.field, f"{exc}.") from exc
    return {"format": values["format"], **checked}


def _export_options(filters: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of :func:`central.exports.export` for these filters."""
    options: dict[str, Any] = {
        "contributions_file": settings.get("central_contributions_file") or None,
        "targets_file": settings.get("central_targets_file") or None,
        "columns_file": settings.get("central_export_columns_file") or None,
        "work_categories": list(settings.get("work_categories") or []),
        "settings": settings,
    }
    if "month" in filters:
        options["month"] = filters["month"]
    if "draft" in filters:
        options["draft"] = filters["draft"]
    return options


def file_name(what: str, filters: dict[str, Any], at: str) -> str:
    """The download's file name: which export, and which of its downloads, so that two
    files a person keeps never share a name (a browser would save the second as
    "payment-list (1).xlsx"). The payment list names its month and whether it is the
    draft or the final list (``payment-list-2025-10-draft.xlsx``,
    ``payment-list-2025-10-final.xlsx``); every other export names when it was made
    (``at``, in WITA: ``bpjs-registration-2025-10-14-0930.csv``). Never a NIK or a
    name: the filters hold neither."""
    if "month" in filters:
        kind = "draft" if filters.get("draft") else "final"
        return f"{what}-{filters['month']}-{kind}.{filters['format']}"
    return stamped_name(what, filters["format"], at)


def stamped_name(prefix: str, extension: str, at: str | None = None) -> str:
    """``PREFIX-YYYY-MM-DD-HHMM.EXT``, the time ``at`` (default now) in WITA."""
    return f"{prefix}-{file_stamp(at or utc_now())}.{extension}"


def produce(db: Database, what: str, filters: dict[str, Any], actor: Actor,
            settings: dict[str, Any]) -> dict[str, Any]:
    """Build the export, write the trail entry; ``{"content", "rows", "sha256", ...}``.
    An export the user must change something for (a final payment list with an
    unconfirmed band) is :class:`ExportRefused` (409) with the export's own message."""
    try:
        # an auditor reads: their copy of the registration file marks nothing
        # the trail entry in the transaction that marks the records (exports.export)
        result = exports.export(
            db, what, filters["format"], None, actor.username, marks=actor.role != AUDITOR,
            record=lambda made: record(db, actor, what, {**filters, **made.filters}, made.rows,
                                       made.sha256, "download", targets=made.targets),
            **_export_options(filters, settings))
    except PaymentListRefused as exc:
        raise ExportRefused(f"{exc.detail}. Centang “draf” lalu unduh lagi untuk"
                            " melihatnya dengan tanda DRAF.") from exc
    except ExportError as exc:
        raise ExportRefused(str(exc)) from exc
    return {"content": result.content, "rows": result.rows, "sha256": result.sha256,
            "file_name": file_name(what, {**filters, **result.filters}, utc_now()),
            "mimetype": FORMATS[filters["format"]]}


def record(db: Database, actor: Actor, what: str, filters: dict[str, Any], rows: int,
           sha256: str, action: str = "download", output: str | None = None,
           targets: list[tuple[str, str]] | None = None) -> None:
    """The trail entry of one export or download; ``targets``: the records a
    registration file put on a file (the entry names each, :func:`central.trail.record`)."""
    details = {"what": what, "filters": filters, "rows": rows, "sha256": sha256}
    if output:
        details["output"] = output
    trail.record(db, actor, f"{action}.{what}", what, details, targets=targets)


def record_cli_export(db: Database, result: Any, actor: Actor | None = None) -> None:
    """The trail entry of ``berjasa central export`` (an ``ExportResult``), by ``actor``
    (the command's ``--by``; default ``cli:<OS user>``); the command passes it to
    :func:`central.exports.export` as ``record``, inside the export's transaction."""
    record(db, actor or trail.cli_actor(), result.what, {"format": result.format, **result.filters},
           result.rows, result.sha256, "export", result.output, result.targets)
