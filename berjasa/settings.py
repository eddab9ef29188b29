"""Every setting berjasa reads, declared once with its default and help text.

Values come from the defaults below, then ``settings.toml`` in the data folder, then
``BERJASA_<NAME>`` environment variables, then explicit overrides (tests, CLI
options). ``docs/settings.md`` lists them all; a test fails when one is missing
there. Dated values (minimum wage, contribution rates) carry their legal basis in
the help text because they change by regulation, not by code.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from berjasa.paths import write_private

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class SettingsError(Exception):
    """A settings file or variable holds an unknown name or a value of the wrong type."""


@dataclass(frozen=True)
class Setting:
    """One setting: its name, default value (which also fixes its type) and help;
    ``choices``, the only values allowed; ``between``, an open range for a number."""

    name: str
    default: Any
    help: str
    choices: tuple[str, ...] | None = None
    between: tuple[float, float] | None = None


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in [
        Setting("kelurahan_code", "", "Kode kelurahan this laptop serves (set by `berjasa init`)."),
        Setting("host", "127.0.0.1", "Address `berjasa serve` listens on."),
        Setting("port", 8080, "Port `berjasa serve` listens on."),
        Setting("threads", 8, "Waitress worker threads for `berjasa serve`."),
        Setting("tls_ca_dir", "",
                "Folder for the `serve --https` CA key, kept apart from the data folder "
                "(empty = the user's config folder, berjasa/tls-ca/<data folder hash>)."),
        Setting("token_ttl_minutes", 720, "Lifetime of an API bearer token (one field shift)."),
        Setting("session_ttl_minutes", 480, "Lifetime of a supervisor page session."),
        Setting("login_max_failures", 10, "Failed logins per user or per address before 429."),
        Setting("login_window_minutes", 15, "Window in which failed logins are counted."),
        Setting("login_lockout_minutes", 15, "How long further logins get 429 after the limit."),
        Setting("max_record_bytes", 1_048_576, "Largest request body for one record (413 above)."),
        Setting("max_batch_bytes", 5_242_880, "Largest request body for a batch (413 above)."),
        Setting("max_batch_items", 1000, "Most enrollments in one `:batch` request."),
        Setting("income_min", 0, "Lowest declared monthly income accepted (rupiah)."),
        Setting("income_max", 50_000_000, "Highest declared monthly income accepted (rupiah)."),
        Setting("oldest_age_years", 110, "Birth dates implying an older person are implausible."),
        Setting("eligibility_age_min", 15, "BPU lower age limit (unconfirmed; Permenaker 5/2021)."),
        Setting("eligibility_age_max", 65, "BPU upper age limit (unconfirmed; Permenaker 5/2021)."),
        Setting(
            "city_minimum_wage",
            3_880_000,
            "UMK Kota Makassar in rupiah, approximately the 2025 decree (check the "
            "Gubernur Sulsel decree and update each January). Incomes above it fail "
            "the income rule.",
        ),
        Setting(
            "excluded_occupations",
            [
                "Pegawai Negeri Sipil (PNS)",
                "Tentara Nasional Indonesia (TNI)",
                "Kepolisian RI (POLRI)",
            ],
            "KTP occupations that the program does not cover (formal state employees).",
        ),
        Setting(
            "work_categories",
            [
                "Pedagang kecil / pedagang pasar",
                "Pengemudi ojek",
                "Buruh harian lepas",
                "Asisten rumah tangga",
                "Seniman / pekerja seni",
                "Petani kota",
                "Pekerja terminal",
                "Nelayan",
                "Pemulung",
                "Tukang / buruh bangunan",
                "Lainnya",
            ],
            "Actual informal work categories offered next to the KTP occupation.",
        ),
        Setting("dtsen_max_desil", 5, "Highest DTSEN desil the program accepts."),
        Setting(
            "eligibility_parameters_file",
            "",
            "JSON of dated eligibility parameter sets (valid_from, UMK, desil cut-off, age "
            "limits, occupations); empty = berjasa/data/eligibility.json. A setting above "
            "moved away from its default overrides the set in force (docs/eligibility.md).",
        ),
        Setting("log_level", "INFO", "Application log level (NIK is always masked in logs)."),
        Setting("log_format", "json",
                "Log lines on stderr: \"json\" (one JSON object per line, with the request id) "
                "or \"text\" (readable lines)."),
        Setting("field_hint_false_positive_rate", 0.01,
                "False-positive rate of the phone's duplicate-hint filter (issue 14), "
                "above 0 and below 0.5.", between=(0.0, 0.5)),
        Setting("field_hint_scope", "city",
                "Records the phone's duplicate hints cover: 'city' (every active record central "
                "holds) or 'neighbours' (only this kecamatan and the kecamatan bordering it, "
                "berjasa/data/kecamatan_neighbours.csv: fewer NIKs a stolen phone can test, for a "
                "kelurahan whose workers are enrolled near home).", choices=("city", "neighbours")),
        Setting("field_hint_fetches_per_hour", 60,
                "Duplicate index / key downloads one enumerator may make per hour (429 above)."),
        Setting("field_stale_days", 7,
                "The phone warns when its lists or duplicate index are older than this."),
        Setting("field_outbox_stale_days", 3,
                "The phone warns when its outbox holds a record unsent for longer than this."),
        Setting("receipt_lookups_per_hour", 20,
                "Receipt status lookups one address may make per hour (429 above)."),
        Setting("retention_policy_date", "2026-11-25",
                "Date the retention periods below were decided (the kelurahan's decision "
                "letter); printed and audited with every `berjasa privacy purge`."),
        Setting("retention_rejected_days", 365,
                "Records rejected at the kelurahan are erased this many days after their "
                "last change (central too, when an earlier version reached it)."),
        Setting("retention_erased_traces_days", 730,
                "An erased person's remaining trace (record id, keyed NIK pseudonym, reason) "
                "is deleted this many days after central confirmed the erasure."),
        Setting("retention_batch_bodies_days", 30,
                "Answered sync batch bodies are emptied this many days after central's "
                "answer (ids, content hash and the answer stay)."),
        Setting("retention_logs_days", 90,
                "Sync run records, failed-login records and expired sessions/tokens are "
                "deleted after this many days. The audit trail is never purged."),
        Setting("retention_clock_gap_days", 14,
                "The retention purge is held back when the clock is more than this many "
                "days past the last purge (a clock set ahead would erase data early), "
                "unless a sync central accepted just vouched for the clock."),
    ]
}


def register(*settings: Setting) -> None:
    """Add settings declared by another part (sync agent, central). The entry
    point does it (:func:`berjasa.cli.declare_settings`) before any settings are
    read, so one settings.toml may hold the settings of every part on the machine;
    the core never imports the parts."""
    for setting in settings:
        SETTINGS[setting.name] = setting


def _coerce(setting: Setting, raw: Any, source: str) -> Any:
    """Turn a raw value from TOML or the environment into the setting's type."""
    kind = type(setting.default)
    if isinstance(raw, str) and kind is not str:
        try:
            raw = json.loads(raw) if kind in (list, dict, bool) else kind(raw)
        except (ValueError, TypeError) as exc:
            raise SettingsError(f"{source}: {setting.name} must be {kind.__name__}: {raw!r}") from exc
    if (kind is int and isinstance(raw, bool) or not isinstance(raw, kind)) \
            and not (kind is float and isinstance(raw, int)):
        raise SettingsError(f"{source}: {setting.name} must be {kind.__name__}, got {raw!r}")
    if setting.choices is not None and raw not in setting.choices:
        raise SettingsError(f"{source}: {setting.name} must be one of {', '.join(setting.choices)}, got {raw!r}")
    if setting.between is not None and not setting.between[0] < raw < setting.between[1]:
        low, high = setting.between
        raise SettingsError(f"{source}: {setting.name} must be above {low} and below {high}, got {raw!r}")
    return raw


def _settings_text(path: Path) -> str:
    """settings.toml as text: UTF-8, with or without the BOM Notepad writes. Anything
    else (PowerShell 5's ``>`` writes UTF-16) is one clear error, not a traceback."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SettingsError(f"{path}: bukan teks UTF-8 (simpan ulang sebagai UTF-8; "
                            f"PowerShell: Set-Content -Encoding utf8)") from exc


def load_settings(data_dir: Path | None, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Read the effective settings for a data folder."""
    values = {name: s.default for name, s in SETTINGS.items()}
    if data_dir is not None:
        path = data_dir / "settings.toml"
        if path.exists():
            try:
                from_file = tomllib.loads(_settings_text(path))
            except tomllib.TOMLDecodeError as exc:
                raise SettingsError(f"{path}: {exc}") from exc
            for name, raw in from_file.items():
                if name not in SETTINGS:
                    raise SettingsError(f"{path}: unknown setting {name!r}")
                values[name] = _coerce(SETTINGS[name], raw, str(path))
    for name, setting in SETTINGS.items():
        env = os.environ.get(f"BERJASA_{name.upper()}")
        if env is not None:
            values[name] = _coerce(setting, env, f"BERJASA_{name.upper()}")
    for name, raw in (overrides or {}).items():
        if name not in SETTINGS:
            raise SettingsError(f"unknown setting {name!r}")
        values[name] = raw
    return values


class FrozenSettings(dict):
    """The effective settings of a running app: read once at start, never changed
    while it runs (a change to settings.toml takes effect at the next start). A
    dict, so it is passed, copied (``dict(settings)``) and dumped as one; every
    mutation raises ``TypeError``."""

    def _refuse(self, *_args: Any, **_kwargs: Any) -> None:
        raise TypeError("settings are read once at start; restart to change them")

    __setitem__ = __delitem__ = __ior__ = _refuse  # type: ignore[assignment]
    update = pop = popitem = clear = setdefault = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> tuple:
        return (FrozenSettings, (dict(self),))


@dataclass(frozen=True)
class AppConfig:
    """What either app (the kelurahan server, central) is built from:
    ``create_app(AppConfig)``. The entry point reads it once (:func:`read_app_config`)
    and passes it in; nothing re-reads settings.toml while the app runs."""

    data_dir: Path
    settings: Mapping[str, Any]
    # Central's database (sqlite:///... or postgresql://...); the kelurahan
    # server's database is always the file in data_dir.
    database_url: str = ""
    secure_cookies: bool = False  # served over HTTPS only: cookies marked Secure
    testing: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        if not isinstance(self.settings, FrozenSettings):
            object.__setattr__(self, "settings", FrozenSettings(self.settings))


def read_app_config(data_dir: Path, overrides: dict[str, Any] | None = None,
                    **fields: Any) -> AppConfig:
    """An app's config for a data folder: its settings read once, now."""
    return AppConfig(Path(data_dir), load_settings(Path(data_dir), overrides), **fields)


def write_setting(data_dir: Path, name: str, value: Any) -> None:
    """Set one value in ``settings.toml``, keeping the others."""
    path = data_dir / "settings.toml"
    current = tomllib.loads(_settings_text(path)) if path.exists() else {}
    current[name] = value
    lines = [f"{key} = {json.dumps(val, ensure_ascii=False)}" for key, val in sorted(current.items())]
    write_private(path, ("\n".join(lines) + "\n").encode("utf-8"))
