"""Kelurahan server commands: ``init``, ``user add``, ``serve`` (listed in berjasa.cli.COMMANDS)."""

from __future__ import annotations

from pathlib import Path

import click

from berjasa import passwords
from berjasa.audit import cli_actor
from berjasa.commandline import (
    data_dir_and_settings,
    data_dir_option,
    emit,
    emit_users,
    hold_folder,
    json_option,
    listening,
    problem_line,
    read_password,
)
from berjasa.database import connect
from berjasa.logs import configure_logging, get_logger
from berjasa.paths import kelurahan_db_path
from berjasa.problems import Problem
from berjasa.settings import AppConfig
from server import accounts
from server.install import KelurahanMismatch, UnknownKelurahan, init_kelurahan
from server.storage.users import UserExists

log = get_logger("berjasa.server")


@click.command("init")
@click.option("--kelurahan", "kelurahan_code", required=True, metavar="CODE",
              help="Kode kelurahan Kemendagri, misalnya 73.71.01.1001 (Bontorannu).")
@data_dir_option
@json_option
def init_command(kelurahan_code: str, data_dir: Path | None, as_json: bool) -> None:
    """Siapkan folder data dan basis data untuk satu kelurahan (aman diulang; setelah
    pembaruan program jalankan `berjasa migrate`).

    Contoh: berjasa init --kelurahan 73.71.01.1001 --data-dir ./data
    """
    folder, _ = data_dir_and_settings(data_dir)
    # a database an older version made is upgraded by `berjasa migrate` (offline, after a
    # copy), never by init, which a still-running server would not stop
    _refuse_when_behind(folder)
    try:
        result = init_kelurahan(folder, kelurahan_code)
    except (UnknownKelurahan, KelurahanMismatch) as exc:
        raise click.ClickException(str(exc)) from exc
    answer = {"data_dir": str(result.data_dir), "database": str(result.database),
              "kelurahan_code": result.kelurahan_code, "kelurahan_name": result.kelurahan_name,
              "applied_migrations": result.applied}
    if not as_json:
        click.echo(f"Kelurahan {result.kelurahan_name} ({result.kelurahan_code})")
        click.echo(f"Migrasi baru: {', '.join(result.applied) or 'tidak ada (sudah terbaru)'}")
    emit(answer, as_json, str(result.database))


def _refuse_when_behind(folder: Path) -> None:
    """One clear line when the database needs `berjasa migrate` first."""
    from berjasa.database import behind_message
    from server.install import pending_kelurahan_migrations

    if kelurahan_db_path(folder).exists():
        pending = pending_kelurahan_migrations(folder)
        if pending:
            raise click.ClickException(behind_message(pending, "berjasa migrate"))


def open_register(data_dir: Path | None):
    """The data folder, its settings and an open connection, or one clear error."""
    folder, settings = data_dir_and_settings(data_dir)
    path = kelurahan_db_path(folder)
    if not path.exists():
        raise click.ClickException(f"Belum ada database di {folder}; jalankan `berjasa init` dulu.")
    return folder, settings, connect(path)


@click.group("user")
def user_group() -> None:
    """Kelola pengguna (petugas pendata, pengawas, admin, auditor)."""


@user_group.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(accounts.ROLES))
@click.option("--password-stdin", is_flag=True, help="Baca kata sandi dari stdin (satu baris).")
@data_dir_option
@json_option
def user_add(name: str, role: str, password_stdin: bool, data_dir: Path | None,
             as_json: bool) -> None:
    """Tambah pengguna; kata sandi ditanyakan (atau dibaca dari stdin), disimpan sebagai hash argon2.

    Contoh: echo 's3cret-pass' | berjasa user add siti --role supervisor --password-stdin
    """
    _, _, conn = open_register(data_dir)
    password = read_password(password_stdin)
    try:
        user_id = accounts.add_user(conn, name, role, password, cli_actor("admin"))
    except UserExists as exc:
        raise click.ClickException(f"Pengguna {name!r} sudah ada.") from exc
    except (passwords.WeakPassword, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        conn.close()
    emit({"id": user_id, "username": name, "role": role}, as_json, name)


@user_group.command("list")
@data_dir_option
@json_option
def user_list(data_dir: Path | None, as_json: bool) -> None:
    """Semua pengguna: nama, peran, aktif atau tidak.

    Contoh: berjasa user list
    """
    from server import user_admin  # it imports the web sessions: not for every command

    _, _, conn = open_register(data_dir)
    try:
        users = user_admin.list_users(conn)
    finally:
        conn.close()
    emit_users(users, as_json)


def _change_user(data_dir: Path | None, name: str, as_json: bool, done: str, **change) -> None:
    """One change to a named user, audited as the command line's; one clear line if refused."""
    from server import user_admin

    _, _, conn = open_register(data_dir)
    try:
        user = user_admin.update_user_named(conn, name, cli_actor("admin"), **change)
    except Problem as problem:
        raise click.ClickException(problem_line(problem)) from problem
    finally:
        conn.close()
    emit({"username": user["username"], "role": user["role"], "active": bool(user["active"])},
         as_json, done)


@user_group.command("reset-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Baca kata sandi baru dari stdin (satu baris).")
@data_dir_option
@json_option
def user_reset_password(name: str, password_stdin: bool, data_dir: Path | None,
                        as_json: bool) -> None:
    """Atur kata sandi baru seorang pengguna (admin yang lupa kata sandinya juga); sesinya berakhir.

    Contoh: berjasa user reset-password siti
    """
    _change_user(data_dir, name, as_json, f"Kata sandi {name} diganti.",
                 password=read_password(password_stdin, "Kata sandi baru"))


@user_group.command("disable")
@click.argument("name")
@data_dir_option
@json_option
def user_disable(name: str, data_dir: Path | None, as_json: bool) -> None:
    """Nonaktifkan pengguna (pegawai keluar, HP hilang); sesi dan token HP-nya berakhir.

    Contoh: berjasa user disable baso
    """
    _change_user(data_dir, name, as_json, f"{name} dinonaktifkan.", active=False)


@user_group.command("enable")
@click.argument("name")
@data_dir_option
@json_option
def user_enable(name: str, data_dir: Path | None, as_json: bool) -> None:
    """Aktifkan lagi pengguna yang dinonaktifkan.

    Contoh: berjasa user enable baso
    """
    _change_user(data_dir, name, as_json, f"{name} aktif lagi.", active=True)


@click.command("serve")
@click.option("--host", default=None, help="Alamat yang didengarkan (bawaan 127.0.0.1).")
@click.option("--port", default=None, type=click.IntRange(0, 65535), help="Port (bawaan 8080).")
@click.option("--https", "use_https", is_flag=True,
              help="Layani HTTPS dengan sertifikat yang dibuat untuk laptop ini (docs/field-app.md).")
@data_dir_option
def serve_command(host: str | None, port: int | None, data_dir: Path | None,
                  use_https: bool = False) -> None:
    """Jalankan server kelurahan (waitress) sampai Ctrl+C.

    Contoh: berjasa serve --port 8080
    """
    from waitress import create_server

    from berjasa.tcp import listen_options
    from server.app import NotInitialised, create_app

    folder, settings = data_dir_and_settings(data_dir)
    configure_logging(settings["log_level"], settings["log_format"])
    _refuse_when_behind(folder)
    running = hold_folder(folder, "serve", single=True)  # held until this process ends (restore refuses)
    try:
        app = create_app(AppConfig(folder, settings, secure_cookies=use_https))
    except NotInitialised as exc:
        raise click.ClickException(str(exc)) from exc
    host = host or settings["host"]
    port = port if port is not None else settings["port"]
    if use_https:  # waitress has no TLS: server/tls.py serves through cheroot
        from server import tls

        ca_dir = Path(settings["tls_ca_dir"]) if settings["tls_ca_dir"] else None
        files = tls.ensure_certificates(folder, ca_dir=ca_dir)
        for line in tls.describe(files, host, port):
            click.echo(line, err=True)
        with listening(host, port):
            tls.serve_https(app, host, port, settings["threads"], files,
                            renew=lambda: tls.ensure_certificates(folder, ca_dir=ca_dir))
        return
    with listening(host, port):
        server = create_server(app, **listen_options(host, port), threads=settings["threads"],
                               ident="berjasa", clear_untrusted_proxy_headers=True)
        # said once the socket is bound: the port it really has (--port 0: any free one)
        click.echo(f"berjasa kelurahan {app.config['KELURAHAN_CODE']} di "
                   f"http://{host}:{server.effective_port}/", err=True)
        server.run()
    running.release()
