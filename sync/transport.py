"""HTTP to central for the agent: timeouts cut to the run's deadline, certificate
verification with an optional city CA bundle, one ``requests.Session`` per thread
(sessions keep connections alive, which matters at 300 ms RTT, but are not
thread-safe), and central's answers sorted into retry / give up.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from typing import Any

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from berjasa.tcp import rto_cap_options
from sync import faults
from sync.protocol import decompress
from sync.protocol_auth import answer_version, sign_request, verify_answer
from sync.protocol_errors import ProtocolError

log = logging.getLogger("berjasa.sync")

# Central's error codes that no resend can fix and that stop the whole run.
FATAL_CODES = frozenset({"unknown_device", "device_revoked", "bad_signature", "wrong_device",
                         "wrong_kelurahan", "unsupported_version", "bad_central_signature"})


# Unsent bytes the kernel may hold for a connection (where the OS has the option:
# Linux, macOS). Without it a whole batch sits in the socket buffer at once, the
# read timeout then also counts the time the link needs for our own queued bytes,
# and every batch in flight when a link is cut for a few seconds times out and is
# sent again. With it, a send waits for the link, so both timeouts mean "no
# progress for that long" (bench/README.md, sync over the link).
NOTSENT_LOWAT_BYTES = 16 * 1024

SOCKET_OPTIONS = list(HTTPConnection.default_socket_options) + (
    [(socket.IPPROTO_TCP, socket.TCP_NOTSENT_LOWAT, NOTSENT_LOWAT_BYTES)]
    if hasattr(socket, "TCP_NOTSENT_LOWAT") else []) + rto_cap_options()  # berjasa/tcp.py


# The wait allowed for a send to make progress, per thread (each sender thread has
# its own session). urllib3 sends the request under the *connect* timeout, so a link
# cut longer than that aborted every upload in flight. A send may wait
# SEND_STALL_FACTOR times the read timeout (90 s by default): after a cut, TCP's
# retransmission back-off (the timer doubles per loss, 800 ms RTT and 10 % loss on
# an island link) leaves an upload silent for 30 s and more although its connection
# is fine and goes on by itself; abandoning it sends the whole batch again, while
# waiting costs nothing as the other batches in flight use the link meanwhile
# (bench/README.md, sync over the link). The run's deadline still caps it.
SEND_STALL_FACTOR = 3
_SENDING = threading.local()


class _SendTimeout:
    """Connection mixin: once connected, sends wait as long as reads may."""

    sock: Any
    timeout: Any

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self.sock.settimeout(getattr(_SENDING, "timeout", self.timeout))

    def request(self, *args: Any, **kwargs: Any) -> None:
        if self.sock is not None:  # a kept-alive connection: urllib3 sets self.timeout on it
            self.timeout = getattr(_SENDING, "timeout", self.timeout)
        super().request(*args, **kwargs)  # type: ignore[misc]


class _HTTPConnection(_SendTimeout, HTTPConnection):
    pass


class _HTTPSConnection(_SendTimeout, HTTPSConnection):
    pass


class _Warm:
    """Pool mixin: open one connection ahead of the first request."""

    def warm(self, timeout: float) -> None:
        """Connect (TCP, and TLS for https) one idle connection of this pool now,
        without a request; the next request on the pool reuses it. A failure is
        left for that request to meet (it connects again and reports it)."""
        conn = self._get_conn()  # type: ignore[attr-defined]
        try:
            if not conn.is_connected:
                conn.timeout = timeout
                conn.connect()
        except (OSError, urllib3.exceptions.HTTPError):
            conn.close()
        finally:
            self._put_conn(conn)  # type: ignore[attr-defined]


class _HTTPPool(_Warm, HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(_Warm, HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _Adapter(HTTPAdapter):
    """requests' adapter with the agent's socket options and send timeout."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["socket_options"] = SOCKET_OPTIONS
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


class TransientError(Exception):
    """Central could not be reached or failed for now (timeout, cut link, 5xx):
    the same request may simply be sent again."""


class CentralRefused(Exception):
    """Central answered with an error a resend will not change."""

    def __init__(self, status: int, code: str, message: str) -> None:
        # status 0: not central's refusal but the agent's (an answer or a certificate
        # it cannot trust): the message stands alone, it names its code itself
        super().__init__(f"{code} (HTTP {status}): {message}" if status else message)
        self.status, self.code, self.message = status, code, message

    @property
    def fatal(self) -> bool:
        """True when no further request of this run can succeed (device problems)."""
        return self.code in FATAL_CODES


def refusal_text(exc: CentralRefused, what: str) -> str:
    """The run's error line for a refusal of ``what`` ("batch", ...): central's
    refusal as such; an answer the agent could not trust (status 0) says so alone,
    never "pusat menolak" (central may well have stored what it answered)."""
    return f"pusat menolak {what}: {exc}" if exc.status else str(exc)


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
            for scheme in ("http://", "https://"):
                session.mount(scheme, _Adapter())
            session.verify = self.verify
            # requests would otherwise add Accept-Encoding and decode answers itself;
            # our bodies are compressed by the protocol and recognised by magic bytes.
            session.headers["Accept-Encoding"] = "identity"
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def warm(self, background: bool = False) -> None:
        """Open this thread's connection to central before its first request, so
        that request does not also wait for the TCP (and TLS) handshake: at 300 ms
        RTT that is 0.3 s (0.9 s with TLS) per connection. ``background``: connect
        from a helper thread (for a request that comes much later)."""
        session = self._session()

        def connect() -> None:
            try:
                url = self.base_url + "/"
                # the pool a request would use: the same merged settings as Session.request
                merged = session.merge_environment_settings(url, {}, None, self.verify, None)
                pool = session.get_adapter(url).get_connection_with_tls_context(
                    requests.Request("GET", url).prepare(), merged["verify"], merged["proxies"],
                    merged["cert"])
                if isinstance(pool, _Warm):
                    pool.warm(min(self.connect_timeout, max(1.0, self.remaining())))
            except (requests.RequestException, OSError, ValueError):
                pass  # the request itself connects and says what is wrong

        if background:
            threading.Thread(target=connect, daemon=True, name="sync-warm").start()
        else:
            connect()

    def _timeouts(self) -> tuple[float, float]:
        """Connect/read timeouts, never past the deadline (plus a little slack)."""
        left = max(1.0, self.remaining() + 2.0)
        return min(self.connect_timeout, left), min(self.read_timeout, left)

    def thread_session(self) -> requests.Session:
        """The calling thread's session (connections), for another thread to use
        while this one makes no request (``request(session=...)``)."""
        return self._session()

    def request(self, method: str, path: str, session: requests.Session | None = None,
                **kwargs: Any) -> requests.Response:
        """One request (on ``session``, else this thread's); TransientError for
        timeouts, cut links and 5xx/429, CentralRefused for other errors, the
        response for 2xx."""
        timeouts = self._timeouts()
        _SENDING.timeout = min(SEND_STALL_FACTOR * self.read_timeout, max(1.0, self.remaining() + 2.0))
        try:
            # verify per request: a session's own value loses to REQUESTS_CA_BUNDLE.
            response = (session or self._session()).request(method, self.base_url + path,
                                                            verify=self.verify, timeout=timeouts,
                                                            **kwargs)
        except requests.exceptions.SSLError as exc:
            # A certificate problem does not heal by retrying.
            raise CentralRefused(0, "tls_error", "sertifikat pusat tidak dapat diverifikasi "
                                 f"(kode: tls_error): {exc}") from exc
        except requests.RequestException as exc:
            raise TransientError(f"pusat tidak dapat dihubungi: {why_unreachable(exc)}") from exc
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
            log.warning("answer to %s %s not trusted: %s", method, path.split("?")[0], exc)
            raise CentralRefused(0, exc.code, f"{exc.message} (kode: {exc.code})") from exc
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

    def get_signed(self, key: Any, device_id: str, path_qs: str,
                   session: requests.Session | None = None) -> requests.Response:
        """A signed GET; fresh timestamp and nonce for every attempt."""
        headers = sign_request(key, device_id, "GET", path_qs)
        return self.request("GET", path_qs, session=session, headers=headers)

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


# Largest JSON answer the agent inflates (a page of updates is far smaller).
MAX_JSON_ANSWER_BYTES = 64 * 1024 * 1024


def json_body(body: bytes):
    """An answer's JSON, plain or zstd/gzip-compressed (told apart by magic bytes);
    ValueError for a body that is neither, ProtocolError for one that does not inflate."""
    if body[:1] in (b"{", b"["):
        return json.loads(body)
    return json.loads(decompress(body, MAX_JSON_ANSWER_BYTES))


def why_unreachable(exc: requests.RequestException) -> str:
    """Why a request got no answer, in words an operator can act on (requests names
    only an exception class, and its message is long English)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "waktu tunggu sambungan habis (jaringan lambat atau putus, atau pusat mati)"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "pusat tidak menjawab dalam batas waktu"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "sambungan terputus di tengah jawaban"
    text = str(exc)
    if "NameResolution" in text or "Name or service not known" in text or "getaddrinfo" in text:
        return "nama alamat pusat tidak dikenal (periksa URL pusat atau DNS)"
    if "Connection refused" in text or "ConnectionRefused" in text:
        return "koneksi ditolak (tidak ada server pusat berjalan di alamat itu)"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "sambungan gagal atau terputus (periksa jaringan)"
    return f"galat jaringan ({type(exc).__name__})"
