"""OS-level locks on a data folder (design.md "Operations and security (round 2)").

Two kinds of lock live in ``<data folder>/locks/``:

* **running locks**: ``berjasa serve``, ``berjasa sync run`` and ``berjasa central
  serve`` each hold one (``running-<command>-<pid>-<nonce>.lock``, locked
  exclusively) for their whole lifetime. The operating system drops the lock when
  the process ends, however it ends (Ctrl+C, crash, ``kill -9``), so a file left
  behind by a dead process is simply stale: whoever finds it unlocked removes it.
* **the offline lock** (``offline.lock``): an offline command (``restore``, a
  migration) holds it while it works and refuses when any running lock is held.

Both sides announce themselves first and look for the other second, so a server
starting at the same instant as a restore cannot slip past it: at least one of the
two sees the other and stops.

The same primitive (:func:`try_lock`) gives the sync agent its run lock: a killed
agent's lock is gone with its process, so the next run takes over at once.

Locks are ``flock`` on POSIX and ``msvcrt.locking`` on Windows; both are tied to
the open file, not to a PID written in it, so a recycled PID never fakes a holder.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING

from berjasa.paths import open_private

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self from Python 3.11

LOCK_DIR = "locks"
OFFLINE = "offline.lock"
_RUNNING = re.compile(r"^running-(?P<command>[a-z-]+)-(?P<pid>\d+)-[0-9a-f]+\.lock$")


class FolderInUse(Exception):
    """The data folder is held by a process that excludes this command."""


def _lock(handle: IO) -> bool:
    if os.name == "nt":  # pragma: no cover - Windows only
        import msvcrt

        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _unlock(handle: IO) -> None:
    if os.name == "nt":  # pragma: no cover - Windows only
        import msvcrt

        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        except OSError:
            pass
        return
    import fcntl

    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class HeldLock:
    """An exclusive lock on one file, held until :meth:`release` or process end."""

    def __init__(self, path: Path, handle: IO, remove: bool) -> None:
        self.path, self._handle, self._remove = path, handle, remove
        self.also: HeldLock | None = None  # released with this one

    def release(self) -> None:
        if self.also is not None:
            self.also.release()
            self.also = None
        if self._handle is None:
            return
        removed = not self._remove
        if self._remove:  # remove while still locked: nobody can take a dying file
            removed = _unlink(self.path)
        _unlock(self._handle)
        self._handle.close()
        self._handle = None
        if not removed:  # Windows refuses to remove an open file: now it is closed
            _unlink(self.path)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
        return True
    except FileNotFoundError:
        return True
    except OSError:
        return False


def lock_dir(data_dir: Path) -> Path:
    """``<data folder>/locks`` (created, owner-only on POSIX). A data folder that does
    not exist yet is made owner-only too: ``mkdir(parents=True)`` would have made it
    with the default mode (0755), and a command that then failed left it so."""
    data_dir = Path(data_dir)
    if not data_dir.exists():
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder = data_dir / LOCK_DIR
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def try_lock(path: Path, remove: bool = False) -> HeldLock | None:
    """Lock ``path`` exclusively without waiting; None when another holds it."""
    fd = open_private(path, os.O_RDWR | os.O_CREAT)
    handle = os.fdopen(fd, "r+b")
    if _lock(handle):
        return HeldLock(path, handle, remove)
    handle.close()
    return None


def running_holders(data_dir: Path) -> list[str]:
    """Live holders of the folder (``"serve (pid 123)"``); stale files are removed."""
    folder = Path(data_dir) / LOCK_DIR
    if not folder.is_dir():
        return []
    holders = []
    for path in sorted(folder.iterdir()):
        match = _RUNNING.match(path.name)
        if not match:
            continue
        probe = try_lock(path, remove=True)
        if probe is not None:  # its process is gone
            probe.release()
            continue
        holders.append(f"{match['command'].replace('-', ' ')} (pid {match['pid']})")
    return holders


def hold_running(data_dir: Path, command: str, single: bool = False) -> HeldLock:
    """Mark the folder as used by a running ``command`` for this process's life.
    Raises :class:`FolderInUse` while an offline command works on the folder, and
    with ``single`` while another process runs the same command on it (a second
    server on one register: a service and a forgotten window, say)."""
    folder = lock_dir(data_dir)
    alone = None
    if single:
        alone = try_lock(folder / f"single-{command.replace(' ', '-')}.lock")
        if alone is None:
            running = [h for h in running_holders(data_dir) if h.startswith(command + " (")]
            raise FolderInUse(f"`berjasa {command}` sudah berjalan untuk folder data {data_dir}"
                              f"{' (' + ', '.join(running) + ')' if running else ''}; hentikan "
                              f"yang itu dulu, atau pakai folder data lain.")
    name = f"running-{command.replace(' ', '-')}-{os.getpid()}-{uuid.uuid4().hex[:8]}.lock"
    held = try_lock(folder / name, remove=True)
    if held is None:  # pragma: no cover - a fresh unique name is never locked
        if alone is not None:
            alone.release()
        raise FolderInUse(f"Tidak bisa mengunci {folder / name}.")
    held.also = alone
    running_holders(data_dir)  # sweeps the files dead processes left (ours is locked)
    offline = try_lock(folder / OFFLINE)
    if offline is None:
        held.release()
        raise FolderInUse(f"Folder data {data_dir} sedang dipakai perintah luring (restore/"
                          "migrate); tunggu sampai selesai.")
    offline.release()
    return held


@contextmanager
def offline(data_dir: Path, command: str) -> Iterator[None]:
    """Hold the folder for an offline ``command``; one clear error while a server
    or agent runs on it (or another offline command works)."""
    folder = lock_dir(data_dir)
    held = try_lock(folder / OFFLINE)
    if held is None:
        raise FolderInUse(f"`berjasa {command}` menolak: perintah luring lain sedang memakai "
                          f"folder data {data_dir}.")
    try:
        holders = running_holders(data_dir)
        if holders:
            raise FolderInUse(f"`berjasa {command}` menolak: folder data {data_dir} sedang "
                              f"dipakai oleh {', '.join(holders)}; hentikan dulu.")
        yield
    finally:
        held.release()
