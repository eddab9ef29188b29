"""``berjasa central serve`` and ``berjasa central key show|rotate``: running central's
API and dashboard with waitress, and the signing key its answers carry.
"""

from __future__ import annotations

from pathlib import Path

import click

from berjasa.commandline import (
    by_option,
    data_dir_and_settings,
    data_dir_option,
    emit,
    hold_folder,
    json_option,
    listening,
)
from berjasa.database import behind_message
from berjasa.tcp import cap_listeners
from central.cli_db import central_db, db_errors, one_line


def cap_server(server) -> None:
    """TCP's retransmission back-off capped on every connection the waitress
    ``server`` accepts (berjasa/tcp.py): an answer written while a kelurahan's link
    is cut then arrives soon after it is back, not after the agent's read timeout."""
    channels = getattr(server, "map", None) or server._map  # several addresses: a MultiSocketServer
    cap_listeners(ch.socket for ch in list(channels.values()) if getattr(ch, "socket", None))


@click.command("serve")
@click.option("--host", default=None, help="Alamat yang didengarkan (bawaan 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Port (bawaan 8090).")
@data_dir_option
def serve_command(host: str | None, port: int | None, data_dir: Path | None) -> None:
    """Jalankan API dan dasbor registri pusat dengan waitress.

    Contoh: berjasa central serve --port 8090
    """
    from waitress import create_server

    from berjasa.serving import serve_until_stopped
    from berjasa.settings import AppConfig
    from berjasa.tcp import listen_options
    from central.app import create_app, stop_waiting, waitress_options
    from central.storage.db import pending_migrations

    with central_db(data_dir) as (db, settings, folder):
        url = db.url
        pending = pending_migrations(db)
    if pending:
        raise click.ClickException(behind_message(pending, "berjasa central migrate"))
    try:
        app = create_app(AppConfig(folder, settings, database_url=url))
    except db_errors() as exc:
        raise click.ClickException(f"tidak dapat membuka basis data pusat: {one_line(exc)}") from exc
    host = host or settings["central_host"]
    port = port or settings["central_port"]
    from berjasa.logs import configure_logging

    configure_logging(settings["log_level"], settings["log_format"])
    running = hold_folder(folder, "central serve", single=True)  # until this process ends
    # waitress buffers a body before the app sees it: cap that at twice the batch limit
    # (the app answers 413 in the JSON shape for anything over its own limits)
    with listening(host, port):
        server_map: dict = {}
        server = create_server(app, map=server_map, **listen_options(host, port),
                               threads=settings["central_threads"],
                               ident="berjasa-central",
                               max_request_body_size=2 * settings["central_max_batch_bytes"],
                               **waitress_options(settings))
        cap_server(server)
        # said once the socket is bound: the port it really has (--port 0: any free one)
        click.echo(f"Registri pusat berjalan di http://{host}:{server.effective_port}/ "
                   f"(Ctrl+C untuk berhenti)")
        # Ctrl+C / SIGTERM: the waiting updates requests answer now, then it exits
        serve_until_stopped(server, server_map, on_stop=lambda: stop_waiting(app))
    running.release()


@click.group("key")
def key_group() -> None:
    """Kunci tanda tangan pusat (jawaban pusat ditandatangani; kelurahan menyematkannya)."""


def _key_answer(keys: dict, as_json: bool, note: str) -> None:
    if not as_json:
        click.echo(note)
        click.echo(f"Kunci sekarang: {keys['central_key_id']}")
        click.echo(f"Kunci berikutnya: {keys['central_next_key'] or '-'}")
    emit(keys, as_json, keys["central_public_key"])


@key_group.command("show")
@data_dir_option
@json_option
def key_show(data_dir: Path | None, as_json: bool) -> None:
    """Tampilkan kunci tanda tangan pusat (dan kunci berikutnya yang disiapkan).

    Contoh: berjasa central key show --json
    """
    from central import signing

    folder, _ = data_dir_and_settings(data_dir)
    signing.ensure_key(folder)
    try:
        keys = signing.public_keys(folder)
    except signing.CentralKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    _key_answer(keys, as_json, "Kunci tanda tangan pusat.")


@key_group.command("rotate")
@click.option("--finish", is_flag=True,
              help="Langkah 2: pakai kunci yang disiapkan (setelah semua kelurahan sinkron sekali).")
@by_option()
@data_dir_option
@json_option
def key_rotate(finish: bool, by: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Ganti kunci tanda tangan pusat dalam dua langkah (docs/central.md).

    Langkah 1 menyiapkan kunci berikutnya; jawaban pusat mengumumkannya dan setiap
    agen yang sinkron menyematkannya. Langkah 2 (--finish) mulai menandatangani
    dengannya. `central serve` yang berjalan ikut berganti tanpa dimulai ulang.

    Contoh: berjasa central key rotate && berjasa central key rotate --finish
    """
    from central import signing
    from central.trail import cli_actor, record

    # never a key in a folder that is no central; the rotation is in central's trail
    with central_db(data_dir) as (db, _, folder), db.transaction():
        try:
            keys = signing.finish_rotation(folder) if finish else signing.rotate(folder)
        except signing.CentralKeyError as exc:
            raise click.ClickException(str(exc)) from exc
        record(db, cli_actor(by), "key.rotate_finish" if finish else "key.rotate", None,
               {"central_key_id": keys["central_key_id"],
                "next_key": keys["central_next_key"] is not None})
    note = ("Kunci berikutnya kini dipakai; kelurahan yang belum sinkron sejak langkah 1 harus "
            "mendaftar ulang." if finish else
            "Kunci berikutnya disiapkan; tunggu semua kelurahan sinkron sekali, lalu jalankan "
            "`berjasa central key rotate --finish`.")
    _key_answer(keys, as_json, note)
