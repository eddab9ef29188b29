"""Options and output helpers shared by every ``berjasa`` command.

Commands are thin: parse, call a function, print. A user mistake becomes one
clear line via ``click.ClickException``; a value a command produces is printed alone
on the last line of stdout, or as JSON with ``--json``.
"""

from __future__ import annotations

import errno
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from berjasa.audit import problem_text
from berjasa.os_errors import os_error_text
from berjasa.paths import DATA_DIR_ENV, resolve_data_dir
from berjasa.problems import Problem
from berjasa.settings import SettingsError, load_settings

# A database row id typed by hand: SQLite INTEGER and PostgreSQL BIGINT hold 1..2**63-1,
# and a larger number reached the driver as an OverflowError with a traceback. click's
# message for it ("... di luar rentang ...") is one Indonesian line, exit 2.
ROW_ID = click.IntRange(1, 2**63 - 1)


def _is_utf8(stream: Any) -> bool:
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    return encoding == "utf8"


# Windows: a port in a range the system reserved (Hyper-V, WSL, Docker) is refused with
# WSAEACCES, which Python maps to errno EACCES ("ports below 1024 need admin" misled).
WSAEACCES = 10013


def tolerant_output() -> None:
    """Let stdout and stderr write any character, whatever their encoding: on
    Windows, output sent to a file or a pipe (a scheduled task's log, ``> hasil.txt``)
    is in the ANSI code page (cp1252), which has no ``Ŋ`` or Lontara letters, and a
    name holding one made the command stop with a traceback after its work was done.
    Such a character is written as a ``\\uXXXX`` escape instead (in ``--json`` output
    that is the same JSON), and everything else as before. UTF-8 streams are left
    alone."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and not _is_utf8(stream):
            reconfigure(errors="backslashreplace")


def stdin_line() -> str:
    """stdin's first line, as a secret is piped (``--password-stdin``,
    ``--passphrase-stdin``): UTF-8, a BOM dropped, whatever the console's code page
    (on Windows a pipe is read as cp1252 otherwise, and a passphrase with "é" piped
    would not be the one typed at the prompt); bytes that are no UTF-8 are read in
    the stream's own encoding."""
    raw = getattr(sys.stdin, "buffer", None)
    if raw is None:
        return sys.stdin.readline().rstrip("\r\n")
    line = raw.readline()
    try:
        text = line.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = line.decode(getattr(sys.stdin, "encoding", None) or "utf-8", errors="replace")
    return text.rstrip("\r\n")


def read_password(from_stdin: bool, prompt: str = "Kata sandi") -> str:
    """A password from stdin's first line (``--password-stdin``), else asked twice."""
    if from_stdin:
        return stdin_line()
    return click.prompt(prompt, hide_input=True, confirmation_prompt=True)


def emit_users(users: list[dict[str, Any]], as_json: bool) -> None:
    """``user list`` (kelurahan and central): name, role, active; the count last."""
    rows = [{"username": u["username"], "role": u["role"], "active": bool(u["active"])}
            for u in users]
    if not as_json:
        for row in rows:
            click.echo(f"{row['username']:<24} {row['role']:<12} "
                       f"{'aktif' if row['active'] else 'nonaktif'}")
    emit(rows, as_json, str(len(rows)))


def problem_line(problem: Problem, with_code: bool = False) -> str:
    """A refused step as the one line a command prints: the fields' messages (each
    names its field, in Indonesian), else the problem's message, with the status it
    names and, ``with_code``, its code in brackets for a script to match."""
    errors = getattr(problem, "errors", None) or (problem.extra or {}).get("errors") or {}
    if errors:
        return "; ".join(message for messages in errors.values() for message in messages)
    status = (problem.extra or {}).get("status")
    return (f"{problem.message}{f' (status: {status})' if status else ''}"
            f"{f' [{problem.code}]' if with_code else ''}")


def write_file_for_carrying(target: Path, content: bytes, what: str) -> None:
    """Write a file a person carries away (a USB stick's file), owner-only and
    atomic; an OS error as one line in Indonesian. Its folder must exist: a stick
    that is not mounted leaves its mount point missing (or the drive, ``E:/``, on
    Windows), and making the folder would put the file on the laptop's own disk."""
    from berjasa.paths import write_private

    folder = Path(target).parent
    if not folder.is_dir():
        raise click.ClickException(
            f"{what} gagal: folder {folder} tidak ada (flashdisk belum terpasang?); pasang "
            "flashdisk atau buat foldernya dulu, lalu ulangi. Tidak ada yang ditulis.")
    try:
        write_private(target, content)
    except OSError as exc:
        raise click.ClickException(f"{what} gagal: tidak bisa menulis {target} "
                                   f"({os_error_text(exc)})") from exc


def data_dir_option(func: Callable) -> Callable:
    """``--data-dir DIR`` (else one given before the command, ``berjasa --data-dir DIR
    sync status``; else ``$BERJASA_DATA_DIR``, else the user data folder)."""
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        callback=_data_dir_or_the_groups,
        help=f"Folder data (bawaan: ${DATA_DIR_ENV}, atau folder data pengguna di sistem ini).",
    )(func)


def _data_dir_or_the_groups(ctx: click.Context, param: click.Parameter,
                            value: Path | None) -> Path | None:
    """The command's own --data-dir, else the one given to ``berjasa`` itself."""
    if value is not None:
        return value
    return ctx.find_root().meta.get(DATA_DIR_META)


# Where the top-level ``berjasa --data-dir DIR`` leaves its folder for the commands.
DATA_DIR_META = "berjasa.data_dir"


def json_option(func: Callable) -> Callable:
    """``--json``: print a machine-readable answer instead of text."""
    return click.option("--json", "as_json", is_flag=True, help="Cetak jawaban sebagai JSON.")(func)


def by_option(help_text: str = "Nama Anda untuk jejak audit, dicatat sebagai cli:NAMA "
                                "(bawaan: akun sistem operasi, cli:USER).") -> Callable:
    """``--by NAME``: who runs the command, for the trail (``cli:NAME``, where
    :func:`berjasa.audit.cli_actor` makes the actor), instead of the operating system's
    account that a shared office PC gives everyone. Checked as the command starts
    (:func:`berjasa.audit.named_cli_actor`): a name with a control or format character
    is one usage line, before anything is done. The command gets ``by`` (None when not
    given)."""
    def check(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        from berjasa.audit import named_cli_actor

        if value is None:
            return None
        try:
            named_cli_actor(value)
        except Problem as exc:
            raise click.BadParameter(problem_line(exc), ctx, param) from None
        return value

    return click.option("--by", "by", default=None, metavar="NAMA", callback=check, help=help_text)


def data_dir_and_settings(data_dir: Path | None) -> tuple[Path, dict[str, Any]]:
    """Resolve the data folder and read its settings, as one clear error if broken."""
    folder = resolve_data_dir(data_dir)
    try:
        return folder, load_settings(folder)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def emit(value: Any, as_json: bool, text: str | None = None) -> None:
    """Print a command's answer: ``text`` (then nothing else) or JSON. JSON to a
    stream that is not UTF-8 (Windows: a file or pipe in cp1252) is written in ASCII
    with JSON's own escapes: :func:`tolerant_output`'s escapes are not all JSON
    (``\U0001f600``, ``\x81``), and ``’`` in cp1252 is no UTF-8 for the reader."""
    if as_json:
        click.echo(json.dumps(value, ensure_ascii=not _is_utf8(sys.stdout), indent=None,
                              default=str))
    else:
        click.echo(text if text is not None else str(value))


def report_chain(checked: int, broken: dict[str, Any] | None, as_json: bool,
                 trail: str = "Jejak audit", restores: list[dict[str, Any]] | None = None,
                 notes: list[str] | None = None) -> None:
    """``audit verify``'s answer for either trail (``trail`` names it): intact, exit 0;
    else the first broken entry, exit 1. ``restores``: the restores from a backup the
    trail declares (breaks in its continuity), said before the verdict as ``notes``
    and listed by ``--json``, whose answer keeps its shape (``{"intact", "checked"}``)
    until a restore happened."""
    if not as_json:
        for line in notes or ():
            click.echo(line)
    extra = {"restores": restores} if restores else None
    if broken is None:
        emit({"intact": True, "checked": checked, **(extra or {})}, as_json,
             f"{trail} utuh: {checked} entri diperiksa.")
        return
    if as_json:
        emit({"intact": False, "checked": checked, "broken": broken, **(extra or {})}, True)
    else:
        click.echo(f"{trail} RUSAK pada entri seq={broken['seq']}: "
                   f"{problem_text(broken['problem'])} ({checked} entri sebelumnya utuh).")
    sys.exit(1)


def hold_folder(folder: Path, command: str, single: bool = False):
    """The running lock of ``command`` on ``folder`` (berjasa.folder_lock), held
    until released or the process ends; one clear error while an offline command
    works on the folder (or, ``single``, while the same command already runs there)."""
    from berjasa.folder_lock import FolderInUse, hold_running

    try:
        return hold_running(folder, command, single=single)
    except FolderInUse as exc:
        raise click.ClickException(str(exc)) from exc


@contextmanager
def listening(host: str, port: int) -> Iterator[None]:
    """Run a server; a socket error (the port taken, an address not on this machine)
    becomes one clear line instead of a traceback."""
    try:
        yield
    except ValueError as exc:  # waitress: "Invalid host/port specified."
        raise click.ClickException(f"alamat --host {host} tidak dikenal; pakai alamat IP komputer "
                                   f"ini, 127.0.0.1 atau 0.0.0.0") from exc
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            text = (f"port {port} di {host} sudah dipakai program lain (mungkin berjasa yang "
                    f"sudah berjalan); hentikan program itu atau pakai --port lain")
        elif exc.errno == errno.EADDRNOTAVAIL:
            text = f"alamat {host} bukan alamat komputer ini; pakai --host 127.0.0.1 atau 0.0.0.0"
        elif getattr(exc, "winerror", None) == WSAEACCES:
            text = (f"tidak boleh memakai port {port}: Windows mencadangkannya (mis. untuk "
                    f"Hyper-V/WSL; lihat `netsh int ipv4 show excludedportrange protocol=tcp`); "
                    f"pakai --port lain")
        elif exc.errno in (errno.EACCES, errno.EPERM):
            text = f"tidak boleh memakai port {port} (port di bawah 1024 perlu hak admin)"
        else:
            text = f"server tidak dapat mendengarkan {host}:{port}: {os_error_text(exc)}"
        raise click.ClickException(text) from exc
