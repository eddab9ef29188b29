"""HTTP to central for the agent: timeouts cut to the run's deadline, certificate
verification with an optional city CA bundle, one ``requests.Session`` per thread
(sessions keep connections alive, which matters at 300 ms RTT, but are not
thread-safe), and central's answers sorted into retry / give up.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import requests

from sync import faults
from sync.protocol_auth import answer_version, sign_request, verify_answer
from sync.protocol_errors import ProtocolError

# Central's error codes that no resend can fix and that stop the whole run.
FATAL_CODES = frozenset({"unknown_device", "device_revoked", "bad_signature", "wrong_device",
                         "wrong_kelurahan", "unsupported_version", "bad_central_signature"})


class TransientError(Exception):
    """Central could not be reached or failed for now (timeout, cut link, 5xx):
    the same request may simply be sent again."""


class CentralRefused(Exception):
    """Central answered with an error a resend will not change."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code} (HTTP {status}): {message}")
        self.status, self.code, self.message = status, code, message

    @property
    def fatal(self) -> bool:
        """True when no further request of this run can succeed (device problems)."""
        return self.code in FATAL_CODES


class CentralClient:
    """Requests to one central registry within one run's deadline."""

    def __init__(self, base_url: str, settings: dict[str, Any], deadline: float,
                 pinned: dict[str, Any] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        # key id -> central's public key; every 2xx answer must be signed by one
        # (empty: a device registered before keys were pinned, nothing checked)
        self.pinned = dict(pinned or {})
        self.signed_by: set[str] = set()  # key ids seen signing answers this run
        self.announced_next: str | None = None
        self.connect_timeout = float(settings["sync_connect_timeout_seconds"])
        self.read_timeout = float(settings["sync_read_timeout_seconds"])
        self.verify: bool | str = settings["sync_ca_bundle"] or True
        self.deadline = deadline
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    def remaining(self) -> float:
        """Seconds left before the run's deadline."""
        return self.deadline - time.monotonic()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.verify = self.verify
            # requests would otherwise add Accept-Encoding and decode answers itself;
            # our bodies are compressed by the protocol and recognised by magic bytes.
            session.headers["Accept-Encoding"] = "identity"
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def _timeouts(self) -> tuple[float, float]:
        """Connect/read timeouts, never past the deadline (plus a little slack)."""
        left = max(1.0, self.remaining() + 2.0)
        return min(self.connect_timeout, left), min(self.read_timeout, left)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One request; TransientError for timeouts, cut links and 5xx/429,
        CentralRefused for other errors, the response for 2xx."""
        try:
            # verify per request: a session's own value loses to REQUESTS_CA_BUNDLE.
            response = self._session().request(method, self.base_url + path, verify=self.verify,
                                               timeout=self._timeouts(), **kwargs)
        except requests.exceptions.SSLError as exc:
            # A certificate problem does not heal by retrying.
            raise CentralRefused(0, "tls_error", f"sertifikat pusat tidak dapat diverifikasi: {exc}") from exc
        except requests.RequestException as exc:
            raise TransientError(f"pusat tidak dapat dihubungi: {type(exc).__name__}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise TransientError(f"pusat menjawab HTTP {response.status_code}")
        if response.status_code >= 400:
            code, message = _error_of(response)
            raise CentralRefused(response.status_code, code, message)
        self._verify(method, path, response, kwargs.get("headers") or {})
        return response

    def _verify(self, method: str, path: str, response: requests.Response,
                sent: dict[str, str]) -> None:
        """Central's signature on a 2xx answer, against the pinned keys."""
        if not self.pinned:
            return
        try:
            used, following = verify_answer(response.headers, method, path, response.status_code,
                                            sent.get("Berjasa-Signature", ""), response.content,
                                            self.pinned, answer_version(sent))
        except ProtocolError as exc:
            raise CentralRefused(0, exc.code, f"{exc.message} ({exc.detail})") from exc
        with self._lock:
            self.signed_by.add(used)
            if following:
                self.announced_next = following

    def post_batch(self, body: bytes, headers: dict[str, str]) -> requests.Response:
        """POST one stored batch exactly as stored."""
        return self.request("POST", "/api/v1/batches", data=faults.upload_body(body), headers=headers)

    def post_erasures(self, body: bytes, headers: dict[str, str]) -> requests.Response:
        """POST a signed erasure list (sync/protocol_erasures.py)."""
        return self.request("POST", "/api/v1/erasures", data=body, headers=headers)

    def get_signed(self, key: Any, device_id: str, path_qs: str) -> requests.Response:
        """A signed GET; fresh timestamp and nonce for every attempt."""
        headers = sign_request(key, device_id, "GET", path_qs)
        return self.request("GET", path_qs, headers=headers)

    def close(self) -> None:
        """Close every thread's session."""
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()


def _error_of(response: requests.Response) -> tuple[str, str]:
    """The project's error shape {"code","message"} from an answer, if it has one."""
    try:
        body = response.json()
        return str(body.get("code") or f"http_{response.status_code}"), str(body.get("message") or "")
    except ValueError:
        return f"http_{response.status_code}", response.text[:200]


def wire_size(headers: dict[str, str], body_len: int) -> int:
    """Approximate bytes of a request or answer: headers as sent plus the body."""
    return body_len + sum(len(k) + len(v) + 4 for k, v in headers.items()) + 40
