"""Dukcapil's NIK web service: the client behind a small interface, the mapping
of its call shapes (all of it here, so the real agreement's document can correct
it in one place; ../shared/docs/dukcapil.md), and the verification run.

The run asks ``CALL_VERIFY_BY_ELEMEN`` (the privacy-friendlier call: central
sends what it holds and learns only whether it matches) for each active record
not yet answered at its current version, and:

- ``01`` found: each element's result ("Sesuai" / "Tidak Sesuai (59)") is kept;
  any "Tidak Sesuai" raises a ``dukcapil_mismatch`` finding with the elements;
- ``11`` deceased, ``12`` NIK held by several people, ``13`` not found, ``14``
  inactive: a finding for a verifier, never an automatic rejection;
- ``03 04 05 06 16 17`` (login, IP, quota, hours, access): cannot verify now:
  the record is left ``deferred`` and the run stops; the next run resumes there;
- ``07 08`` (a defect of ours): the record is ``deferred`` with the error, the run
  goes on; after DEFECT_ATTEMPTS such answers it is not asked again (a person looks
  at ``dukcapil_checks.last_error``), so it cannot use up every day's quota;
- a timeout, a 5xx or an answer that is not the expected JSON: retried with
  backoff; still failing, the record is ``deferred`` and the run stops.

Each record's outcome is stored in its own transaction (``dukcapil_checks``), so
a run stopped at any point loses nothing and decides nothing wrongly. The daily
quota and the access hours are respected before calling. With no Dukcapil URL
configured nothing is asked and no finding is raised.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol

import requests

from berjasa.local_time import WITA
from berjasa.logs import get_logger
from berjasa.settings import SettingsError
from central import findings
from central.storage import dukcapil_checks as checks_store
from central.storage.db import Database, utc_now

log = get_logger("berjasa.central.dukcapil")

FOUND = "01"
CANNOT_VERIFY_NOW = frozenset({"03", "04", "05", "06", "16", "17"})
OUR_DEFECT = frozenset({"07", "08"})
# after this many 07/08 answers for one record version it is not asked again (see the log)
DEFECT_ATTEMPTS = 3
FINDING_CODES = {"11": "dukcapil_deceased", "12": "dukcapil_multiple_nik",
                 "13": "dukcapil_not_found", "14": "dukcapil_inactive"}
CODE_MEANINGS = {
    "01": "ditemukan", "03": "login gagal", "04": "IP klien tidak diizinkan",
    "05": "kuota harian habis", "06": "di luar jam akses", "07": "permintaan tidak lengkap",
    "08": "tidak dapat diproses", "11": "meninggal dunia", "12": "NIK dipakai lebih dari satu orang",
    "13": "tidak ditemukan", "14": "NIK tidak aktif", "16": "akses instansi tidak aktif",
    "17": "pengguna tidak aktif",
}
# Error texts Dukcapil puts in content[0].RESPON, when no RESPONSE_CODE comes with them
RESPON_CODES = {"login gagal": "03", "ip address tidak sesuai": "04", "data tidak ditemukan": "13",
                "kuota": "05", "jam akses": "06"}
# Elements sent: Dukcapil's name -> the record's field
ELEMENTS = {"NAMA_LGKP": "full_name", "TGL_LHR": "birth_date", "NO_KK": "kk_number",
            "TMPT_LHR": "birth_place", "ALAMAT": "address"}
# ... and as the verifiers' page names them (Bahasa Indonesia)
ELEMENT_LABELS = {"NIK": "NIK", "NAMA_LGKP": "Nama lengkap", "TGL_LHR": "Tanggal lahir",
                  "NO_KK": "No. KK", "TMPT_LHR": "Tempat lahir", "ALAMAT": "Alamat"}


@dataclass(frozen=True)
class DukcapilConfig:
    """Where and how to ask. Credentials come from settings.toml in the data
    folder or ``BERJASA_CENTRAL_DUKCAPIL_*`` variables, never from the repository."""

    url: str
    agency: str
    user_id: str
    password: str
    ip_user: str
    threshold: int = 90
    daily_quota: int = 1000
    hours: str = "07:00-17:00"
    timeout_seconds: float = 10.0
    retries: int = 3
    backoff_seconds: float = 1.0

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> DukcapilConfig | None:
        """The configuration, or None when no Dukcapil URL is set (checks off).
        SettingsError naming the setting when a URL is set but the credentials are
        missing, or the access hours or the threshold cannot be read: a run must
        never call outside the hours because a typo made them unreadable."""
        url = str(settings.get("central_dukcapil_url") or "").strip()
        if not url:
            return None
        missing = [name for name in ("central_dukcapil_user_id", "central_dukcapil_password")
                   if not str(settings.get(name) or "").strip()]
        if missing:
            raise SettingsError(f"{' dan '.join(missing)} wajib diisi bila central_dukcapil_url "
                                "diatur (settings.toml di folder data atau variabel lingkungan "
                                "BERJASA_" + missing[0].upper() + ", jangan di repositori)")
        if parse_hours(settings["central_dukcapil_hours"]) is None:
            raise SettingsError("central_dukcapil_hours harus berbentuk JJ:MM-JJ:MM waktu Makassar "
                                f"(WITA), misalnya 07:00-17:00: {settings['central_dukcapil_hours']!r}")
        if not 1 <= int(settings["central_dukcapil_threshold"]) <= 95:
            raise SettingsError("central_dukcapil_threshold harus 1 sampai 95: "
                                f"{settings['central_dukcapil_threshold']!r}")
        return cls(url=url.rstrip("/"), agency=settings["central_dukcapil_agency"],
                   user_id=settings["central_dukcapil_user_id"],
                   password=settings["central_dukcapil_password"],
                   ip_user=settings["central_dukcapil_ip_user"],
                   threshold=int(settings["central_dukcapil_threshold"]),
                   daily_quota=int(settings["central_dukcapil_daily_quota"]),
                   hours=settings["central_dukcapil_hours"],
                   timeout_seconds=float(settings["central_dukcapil_timeout_seconds"]),
                   retries=int(settings["central_dukcapil_retries"]),
                   backoff_seconds=float(settings["central_dukcapil_backoff_seconds"]))

    def within_hours(self, now: datetime) -> bool:
        """Whether ``now`` (any timezone) is inside the access hours, Makassar time;
        never when the hours cannot be read."""
        hours = parse_hours(self.hours)
        if hours is None:
            return False
        start, end = hours
        local = now.astimezone(WITA)
        minutes = local.hour * 60 + local.minute
        return start <= minutes < end if start <= end else minutes >= start or minutes < end


def parse_hours(text: Any) -> tuple[int, int] | None:
    """``"07:00-17:00"`` as minutes after midnight ``(420, 1020)``; None when it is
    not HH:MM-HH:MM with hours 0-24 and minutes 0-59 (24:00 only as the end)."""
    match = re.fullmatch(r"\s*([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})\s*", str(text or ""))
    if not match:
        return None
    start_h, start_m, end_h, end_m = map(int, match.groups())
    if start_h > 23 or end_h > 24 or start_m > 59 or end_m > 59 or (end_h == 24 and end_m):
        return None
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    return None if start == end else (start, end)


@dataclass
class Answer:
    """One verification answer: the response code and each element's result."""

    code: str
    elements: dict[str, dict[str, Any]]
    message: str = ""


class Unavailable(Exception):
    """The service could not be asked (timeout, 5xx, not the expected JSON)."""


class DukcapilClient(Protocol):
    """The small interface the run needs (the HTTP client, or a test double).
    ``attempts``: the calls the last ``verify`` made (retries included), each
    counted against the daily quota."""

    attempts: int

    def verify(self, record: dict[str, Any]) -> Answer: ...


# --- the mapping of Dukcapil's shapes ------------------------------------------------


def request_body(config: DukcapilConfig, record: dict[str, Any]) -> dict[str, Any]:
    """The CALL_VERIFY_BY_ELEMEN body for a record (dates as DD-MM-YYYY)."""
    body: dict[str, Any] = {"USER_ID": config.user_id, "PASSWORD": config.password,
                            "IP_USER": config.ip_user, "TRESHOLD": config.threshold,
                            "NIK": record["nik"]}
    for element, field in ELEMENTS.items():
        value = record.get(field)
        if not value:
            continue
        if element == "TGL_LHR":
            year, month, day = str(value)[:10].split("-")
            value = f"{day}-{month}-{year}"
        body[element] = value
    return body


_RESULT = re.compile(r"^\s*(Sesuai|Tidak Sesuai)\s*(?:\(\s*(\d{1,3})\s*\))?\s*$", re.IGNORECASE)


def parse_answer(payload: Any) -> Answer:
    """An Answer from the decoded JSON; Unavailable when it is not the expected shape."""
    if not isinstance(payload, dict) or not isinstance(payload.get("content"), list) \
            or not payload["content"] or not isinstance(payload["content"][0], dict):
        raise Unavailable("jawaban bukan bentuk yang dikenal")
    item = payload["content"][0]
    code = str(item.get("RESPONSE_CODE") or payload.get("RESPONSE_CODE") or "").strip()
    message = str(item.get("RESPON") or "")
    if not code and message:
        lowered = message.casefold()
        code = next((c for text, c in RESPON_CODES.items() if text in lowered), "")
    elements: dict[str, dict[str, Any]] = {}
    for element in ("NIK", *ELEMENTS):
        raw = item.get(element)
        if not isinstance(raw, str):
            continue
        match = _RESULT.match(raw)
        if match:
            matched = match.group(1).casefold() == "sesuai"
            elements[element] = {"result": "Sesuai" if matched else "Tidak Sesuai",
                                 "score": int(match.group(2)) if match.group(2) else None}
    if not code:
        code = FOUND if elements else ""
    if not re.fullmatch(r"\d{2}", code):
        raise Unavailable("jawaban tanpa kode respons")
    return Answer(code=code, elements=elements, message=message)


class HttpDukcapil:
    """The HTTP client: POST JSON, retries with backoff on timeouts, 5xx and garbage."""

    def __init__(self, config: DukcapilConfig, session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self.session = session or requests.Session()
        self.sleep = sleep
        self.attempts = 0

    def endpoint(self) -> str:
        return f"{self.config.url}/dukcapil/get_json/{self.config.agency}/CALL_VERIFY_BY_ELEMEN"

    def verify(self, record: dict[str, Any]) -> Answer:
        body = request_body(self.config, record)
        last = "?"
        self.attempts = 0
        for attempt in range(max(1, self.config.retries)):
            if attempt:
                self.sleep(self.config.backoff_seconds * (2 ** (attempt - 1)))
            self.attempts += 1
            try:
                answer = self.session.post(self.endpoint(), json=body,
                                           timeout=self.config.timeout_seconds)
            except requests.RequestException as exc:
                last = f"{type(exc).__name__}"
                continue
            if answer.status_code >= 500 or answer.status_code == 429:
                last = f"HTTP {answer.status_code}"
                continue
            try:
                return parse_answer(answer.json())
            except (ValueError, Unavailable) as exc:
                last = f"HTTP {answer.status_code}: {exc if isinstance(exc, Unavailable) else 'bukan JSON'}"
                continue
        raise Unavailable(last)


# --- the run -----------------------------------------------------------------------------


def today_wita(now: datetime | None = None) -> str:
    return (now or datetime.now(timezone.utc)).astimezone(WITA).date().isoformat()


def run(db: Database, config: DukcapilConfig | None, client: DukcapilClient | None = None,
        limit: int = 500, now: Callable[[], datetime] | None = None) -> dict[str, Any]:
    """Verify up to ``limit`` records; a summary ``{"enabled", "asked", "done",
    "deferred", "findings", "stopped"}`` (``stopped``: why the run ended early)."""
    summary: dict[str, Any] = {"enabled": config is not None, "asked": 0, "done": 0,
                               "deferred": 0, "findings": 0, "stopped": None}
    if config is None:
        summary["stopped"] = "not_configured"
        return summary
    client = client or HttpDukcapil(config)
    clock = now or (lambda: datetime.now(timezone.utc))
    for record in checks_store.records_to_verify(db, limit, tuple(sorted(OUR_DEFECT)), DEFECT_ATTEMPTS):
        moment = clock()
        if not config.within_hours(moment):
            summary["stopped"] = "outside_hours"
            break
        day = today_wita(moment)
        if checks_store.calls_on(db, day) >= config.daily_quota:
            summary["stopped"] = "quota_used_up"
            break
        with db.transaction():  # counted before asking: a crash mid-call still counts
            checks_store.count_call(db, day)
        summary["asked"] += 1
        try:
            answer = client.verify(record)
        except Unavailable as exc:
            _count_retries(db, client, day)
            _save(db, record, "deferred", None, None, f"tidak tersedia: {exc}")
            summary["deferred"] += 1
            summary["stopped"] = "unavailable"
            log.info("dukcapil unavailable: %s", exc)
            break
        _count_retries(db, client, day)
        if answer.code in CANNOT_VERIFY_NOW:
            _save(db, record, "deferred", answer.code, None, CODE_MEANINGS.get(answer.code))
            summary["deferred"] += 1
            summary["stopped"] = f"code_{answer.code}"
            break
        if answer.code in OUR_DEFECT or (answer.code != FOUND and answer.code not in FINDING_CODES):
            _save(db, record, "deferred", answer.code, answer.elements,
                  CODE_MEANINGS.get(answer.code, f"kode {answer.code} tidak dikenal"))
            summary["deferred"] += 1
            continue
        summary["findings"] += _record_answer(db, record, answer)
        summary["done"] += 1
    return summary


def _count_retries(db: Database, client: DukcapilClient, day: str) -> None:
    """The calls beyond the first that the last verify made (retries after a
    timeout, a 5xx or garbage): Dukcapil counts each against the daily quota."""
    extra = int(getattr(client, "attempts", 1) or 1) - 1
    if extra > 0:
        with db.transaction():
            checks_store.count_call(db, day, extra)


def _save(db: Database, record: dict[str, Any], state: str, code: str | None,
          elements: dict | None, error: str | None) -> None:
    with db.transaction():
        checks_store.save_check(db, {"central_id": record["central_id"],
                                     "record_version": record.get("version") or 0, "state": state,
                                     "response_code": code, "elements": elements, "last_error": error,
                                     "checked_at": utc_now()})


def _record_answer(db: Database, record: dict[str, Any], answer: Answer) -> int:
    """Store a definite answer and its finding (one transaction); findings raised."""
    evidence = {"source": "dukcapil", "response_code": answer.code,
                "meaning": CODE_MEANINGS.get(answer.code, ""), "elements": answer.elements,
                "record": {field: record.get(field) for field in ("nik", *ELEMENTS.values())}}
    kind = FINDING_CODES.get(answer.code)
    if kind is None and any(e["result"] != "Sesuai" for e in answer.elements.values()):
        kind = "dukcapil_mismatch"
    now = utc_now()
    with db.transaction():
        checks_store.save_check(db, {"central_id": record["central_id"],
                                     "record_version": record.get("version") or 0, "state": "done",
                                     "response_code": answer.code, "elements": answer.elements,
                                     "last_error": None, "checked_at": now})
        raised = kind is not None and findings.raise_finding(
            db, record, kind, "dukcapil", evidence, at=now) is not None
    return int(raised)


def status(db: Database, settings: dict[str, Any]) -> dict[str, Any]:
    """For the dashboard: whether checks are on, calls today, checks per state, and
    ``problem``: why they are off although a URL is set (a setting to correct)."""
    try:
        config, problem = DukcapilConfig.from_settings(settings), None
    except SettingsError as exc:
        config, problem = None, str(exc)
    return {"enabled": config is not None, "problem": problem,
            "calls_today": checks_store.calls_on(db, today_wita()) if config else 0,
            "daily_quota": config.daily_quota if config else 0,
            "checks": checks_store.check_counts(db)}


STOP_TEXTS = {"outside_hours": "di luar jam akses (central_dukcapil_hours)",
              "quota_used_up": "kuota harian sudah terpakai (central_dukcapil_daily_quota)",
              "unavailable": "layanan Dukcapil tidak menjawab dengan benar",
              "not_configured": "belum diatur"}


def stop_text(stopped: str | None) -> str:
    """Why a run stopped early, in Indonesian (the summary's ``stopped`` code)."""
    if not stopped:
        return ""
    if stopped.startswith("code_"):
        code = stopped[5:]
        return f"Dukcapil menjawab kode {code} ({CODE_MEANINGS.get(code, 'tidak dikenal')})"
    return STOP_TEXTS.get(stopped, stopped)


def describe(value: Any) -> str:
    """Compact JSON for logs and CLI output."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
