"""Starting ``berjasa`` server commands as child processes and waiting until they
answer (the demo, and tests that kill servers with SIGKILL), and keeping those
children from outliving the process that started them.

Children are tied to their parent in two ways, so that no server keeps its port
after the demo is gone however it ends:

* the parent stops them itself on SIGTERM, SIGINT, SIGHUP and (Windows) Ctrl+Break
  (:func:`stop_on_signals` turns these into :class:`Stopped`, so ``finally``
  blocks run);
* if the parent is killed outright (SIGKILL, Task Manager), Linux delivers SIGTERM
  to each child (``PR_SET_PDEATHSIG``), and on Windows every child is in a job
  object created with ``JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE``, which the system
  closes, killing the children, when the parent's last handle goes. The Windows
  part cannot be run on the Linux machines the tests run on.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import IO, Any

import requests

BERJASA = [sys.executable, "-m", "berjasa"]


class ServerDidNotStart(RuntimeError):
    """The command exited, or its /health did not answer in time."""


class Stopped(BaseException):
    """A stop signal arrived (a BaseException, like KeyboardInterrupt, so that
    ordinary ``except Exception`` blocks do not swallow it)."""


def free_port(preferred: int = 0) -> int:
    """``preferred`` when it is free on 127.0.0.1, else any free port. Free as a
    server would find it: on POSIX with SO_REUSEADDR, as waitress binds, so the
    connections a stopped server leaves in TIME_WAIT (a minute on Linux) do not make
    its port look taken (``berjasa demo`` started again at once said it was)."""
    for port in (preferred, 0):
        with socket.socket() as sock:
            if os.name != "nt":  # on Windows the option would let a bind steal a port in use
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise ServerDidNotStart("no free port")


def _child_options() -> dict[str, Any]:
    """Popen options that tie a child's life to this process where the OS allows."""
    if not sys.platform.startswith("linux"):
        return {}
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)  # loaded here: the child only calls it
    pr_set_pdeathsig = 1

    def die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
        libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM))
    return {"preexec_fn": die_with_parent}


class _WindowsJob:  # pragma: no cover - Windows only, untestable on the CI machines
    """A job object that kills its processes when the last handle to it closes."""

    def __init__(self) -> None:
        import ctypes
        from ctypes import wintypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)

        class BasicLimits(ctypes.Structure):
            _fields_ = [("PerProcessUserTimeLimit", ctypes.c_int64),
                        ("PerJobUserTimeLimit", ctypes.c_int64),
                        ("LimitFlags", wintypes.DWORD),
                        ("MinimumWorkingSetSize", ctypes.c_size_t),
                        ("MaximumWorkingSetSize", ctypes.c_size_t),
                        ("ActiveProcessLimit", wintypes.DWORD),
                        ("Affinity", ctypes.c_size_t),
                        ("PriorityClass", wintypes.DWORD),
                        ("SchedulingClass", wintypes.DWORD)]

        class IoCounters(ctypes.Structure):
            _fields_ = [(name, ctypes.c_uint64) for name in (
                "ReadOperationCount", "WriteOperationCount", "OtherOperationCount",
                "ReadTransferCount", "WriteTransferCount", "OtherTransferCount")]

        class ExtendedLimits(ctypes.Structure):
            _fields_ = [("BasicLimitInformation", BasicLimits), ("IoInfo", IoCounters),
                        ("ProcessMemoryLimit", ctypes.c_size_t),
                        ("JobMemoryLimit", ctypes.c_size_t),
                        ("PeakProcessMemoryUsed", ctypes.c_size_t),
                        ("PeakJobMemoryUsed", ctypes.c_size_t)]

        kill_on_job_close = 0x2000
        extended_limit_information = 9
        self._kernel32 = kernel32
        self._handle = kernel32.CreateJobObjectW(None, None)
        limits = ExtendedLimits()
        limits.BasicLimitInformation.LimitFlags = kill_on_job_close
        kernel32.SetInformationJobObject(self._handle, extended_limit_information,
                                         ctypes.byref(limits), ctypes.sizeof(limits))

    def add(self, process: subprocess.Popen) -> None:
        self._kernel32.AssignProcessToJobObject(self._handle, int(process._handle))


_job: _WindowsJob | None = None


def _adopt(process: subprocess.Popen) -> None:
    """Windows: put the child in this process's kill-on-close job."""
    global _job
    if sys.platform != "win32":
        return
    if _job is None:  # pragma: no cover - Windows only
        _job = _WindowsJob()
    _job.add(process)  # pragma: no cover - Windows only


def start_server(args: list[str], url: str, timeout: float = 60,
                 stderr: int | IO | None = None) -> subprocess.Popen:
    """Run ``berjasa ARGS`` and return once ``URL/health`` answers 200. The server's
    log lines go to ``stderr`` (a file the caller keeps, or DEVNULL); by default to a
    temporary file, whose end explains a server that stopped while starting. Never a
    pipe: every request writes a log line (~250 bytes), and a pipe nobody reads fills
    after ~250 requests and then blocks the server mid-request."""
    if _answers(url):  # another program's answer would pass for this server's
        raise ServerDidNotStart(f"{url} sudah dilayani program lain (port dipakai)")
    with contextlib.ExitStack() as held:
        # closed on return: the server keeps its own handle (on POSIX the file has no name)
        log = held.enter_context(tempfile.TemporaryFile()) if stderr is None else None
        process = subprocess.Popen([*BERJASA, *args], stdout=subprocess.DEVNULL,
                                   stderr=log if log is not None else stderr, **_child_options())
        _adopt(process)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ServerDidNotStart(f"`berjasa {args[0]}` stopped: {_tail(log)}")
            try:
                if requests.get(f"{url}/health", timeout=1).status_code == 200:
                    if process.poll() is not None:  # the port was taken after the check above
                        raise ServerDidNotStart(f"`berjasa {args[0]}` stopped: {_tail(log)}")
                    return process
            except requests.RequestException:
                time.sleep(0.05)
        process.kill()
        raise ServerDidNotStart(f"{url} did not answer within {timeout:.0f} s")


def _answers(url: str) -> bool:
    """Whether anything answers HTTP at ``url`` already (a refused connection: no)."""
    try:
        requests.get(f"{url}/health", timeout=1)
    except requests.RequestException:
        return False
    return True


def _tail(log: IO[bytes] | None, size: int = 300) -> str:
    """The last ``size`` characters a starting server wrote to its log file."""
    if log is None:
        return ""
    log.seek(0)
    return log.read().decode(errors="replace")[-size:]


def stop_all(processes: list[subprocess.Popen], grace: float = 10) -> None:
    """Terminate every process, wait up to ``grace`` seconds, then kill what is left."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _signals() -> list[int]:
    names = ["SIGTERM", "SIGINT", "SIGHUP", "SIGBREAK"]
    return [getattr(signal, name) for name in names if hasattr(signal, name)]


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, a stop signal raises :class:`Stopped` in the main thread
    (so the caller's ``finally`` stops its children); handlers restored after."""
    def raise_stopped(signum: int, _frame: Any) -> None:
        raise Stopped(signum)

    previous = {}
    for signum in _signals():
        with contextlib.suppress(ValueError, OSError):  # not the main thread / not allowed
            previous[signum] = signal.signal(signum, raise_stopped)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
