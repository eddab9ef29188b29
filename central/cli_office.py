"""``berjasa central user ...`` and ``berjasa central audit verify|history``: central's
office users and its hash-chained trail, whole or one record's (added to the central
group by :mod:`central.cli`)."""

from __future__ import annotations

from pathlib import Path

import click

from berjasa.commandline import (
    by_option,
    data_dir_option,
    emit,
    emit_users,
    json_option,
    problem_line,
    read_password,
    report_chain,
)
from berjasa.problems import NotFound, ValidationFailed
from central.cli_db import central_db


def _refusal(exc: ValidationFailed | NotFound) -> click.ClickException:
    return click.ClickException(problem_line(exc))


@click.group("user")
def user_group() -> None:
    """Pengguna kantor pusat: operator, verifikator, admin, auditor."""


@user_group.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["operator", "verifier", "admin",
                                                          "auditor"]))
@click.option("--password-stdin", is_flag=True, help="Baca kata sandi dari stdin (satu baris).")
@by_option()
@data_dir_option
@json_option
def user_add(name: str, role: str, password_stdin: bool, by: str | None, data_dir: Path | None,
             as_json: bool) -> None:
    """Tambah pengguna kantor pusat; kata sandi ditanyakan (atau dibaca dari stdin), disimpan sebagai hash argon2.

    Contoh: echo 's3cret-pass' | berjasa central user add rina --role operator --password-stdin
    """
    from central import accounts, trail
    password = read_password(password_stdin)
    with central_db(data_dir) as (db, _, _):
        try:
            user_id = accounts.add_user(db, name, role, password, trail.cli_actor(by))
        except ValidationFailed as exc:
            raise _refusal(exc) from exc
    emit({"id": user_id, "username": name.strip(), "role": role}, as_json, name.strip())


def _set_active(name: str, active: bool, by: str | None, data_dir: Path | None,
                as_json: bool) -> None:
    """``central user disable|enable NAME``: audited as the command line's."""
    from central import accounts, trail
    change = accounts.enable_user if active else accounts.disable_user
    with central_db(data_dir) as (db, _, _):
        try:
            user = change(db, name, trail.cli_actor(by))
        except (ValidationFailed, NotFound) as exc:
            raise _refusal(exc) from exc
    emit({"username": user["username"], "active": active}, as_json, user["username"])


@user_group.command("disable")
@click.argument("name")
@by_option()
@data_dir_option
@json_option
def user_disable(name: str, by: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Nonaktifkan pengguna kantor; sesinya yang terbuka berakhir pada permintaan berikutnya.

    Contoh: berjasa central user disable rina --by "Admin Nur"
    """
    _set_active(name, False, by, data_dir, as_json)


@user_group.command("enable")
@click.argument("name")
@by_option()
@data_dir_option
@json_option
def user_enable(name: str, by: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Aktifkan lagi pengguna kantor yang dinonaktifkan.

    Contoh: berjasa central user enable rina
    """
    _set_active(name, True, by, data_dir, as_json)


@user_group.command("list")
@data_dir_option
@json_option
def user_list(data_dir: Path | None, as_json: bool) -> None:
    """Semua pengguna kantor pusat: nama, peran, aktif atau tidak.

    Contoh: berjasa central user list
    """
    from central import accounts
    with central_db(data_dir) as (db, _, _):
        users = accounts.list_users(db)
    emit_users(users, as_json)


@user_group.command("reset-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Baca kata sandi baru dari stdin.")
@by_option()
@data_dir_option
@json_option
def user_reset_password(name: str, password_stdin: bool, by: str | None, data_dir: Path | None,
                        as_json: bool) -> None:
    """Atur kata sandi baru pengguna kantor (sesinya berakhir).

    Contoh: echo 'n3w-pass-123' | berjasa central user reset-password rina --password-stdin
    """
    from central import accounts, trail
    password = read_password(password_stdin)
    with central_db(data_dir) as (db, _, _):
        try:
            user = accounts.reset_password(db, name, password, trail.cli_actor(by))
        except (ValidationFailed, NotFound) as exc:
            raise _refusal(exc) from exc
    emit({"username": user["username"], "password_reset": True}, as_json, user["username"])


@click.group("audit")
def audit_group() -> None:
    """Jejak audit pusat (rantai hash, hanya-tambah)."""


@audit_group.command("verify")
@data_dir_option
@json_option
def audit_verify(data_dir: Path | None, as_json: bool) -> None:
    """Hitung ulang rantai hash pusat; keluar 0 bila utuh, 1 dengan menyebut entri rusak pertama.

    Contoh: berjasa central audit verify
    """
    from central import trail
    with central_db(data_dir) as (db, _, _):
        checked, broken = trail.verify(db)
        restores = trail.restores(db)
    report_chain(checked, broken, as_json, "Jejak audit pusat", restores, trail.restore_lines(restores))


@audit_group.command("history")
@click.option("--record", "record", required=True, metavar="ID",
              help="Id pusat (CENTRAL_ID di ekspor 'all'), id data (UUID), atau KELURAHAN/ID_DATA.")
@by_option()
@data_dir_option
@json_option
def audit_history(record: str, by: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Riwayat satu data di jejak audit pusat, dari yang terlama: batch yang membawanya
    (dan jawabannya), keputusan verifikator, berkas pendaftaran BPJS yang memuatnya,
    impor yang mendaftarkannya (KPJ) atau menolaknya, penghapusan. Baris terakhir:
    jumlah entri.

    Contoh: berjasa central audit history --record 1234 --by "Andi BPKP"
    """
    from berjasa.local_time import wita
    from central import trail

    text = record.strip()
    if not text or len(text) > 100 or not text.isprintable():
        raise click.BadParameter("id pusat, id data atau KELURAHAN/ID_DATA, sampai 100 karakter",
                                 param_hint="'--record'")
    with central_db(data_dir) as (db, _, _):
        found = trail.history(db, text)
        # the decisions' reasons printed may name the person: the look is in the trail
        with db.transaction():
            trail.record(db, trail.cli_actor(by), "view.record_history",
                         found["targets"][0] if len(found["targets"]) == 1 else None,
                         {"record": trail.without_identity_numbers(db, text),
                          "targets": found["targets"],
                          "entries": len(found["entries"])})
    entries = found["entries"]
    if as_json:
        emit(found, True)
        return
    if not found["targets"]:
        raise click.ClickException(f"data {text} tidak pernah ada di pusat (bukan id pusat, id "
                                   "data, atau KELURAHAN/ID_DATA yang dikenal)")
    click.echo(f"Riwayat {', '.join(found['targets'])}:")
    for e in entries:
        outcome = f"  hasil: {e['record_outcome']}" if e.get("record_outcome") else ""
        reason = f"  alasan keputusan: {e['decision_reason']}" if e.get("decision_reason") else ""
        click.echo(f"{e['seq']}  {wita(e['at'], seconds=True)}  {e['actor']} ({e['role']})  "
                   f"{e['action']}  {e['record_id'] or ''}{outcome}{reason}")
    click.echo(str(len(entries)))
