"""The ``berjasa`` command: one entry point for the kelurahan server, the sync
agent, central and the demo. Every command is listed here (``COMMANDS``).

A command's module is imported only when that command runs or shows its help
(``berjasa central ...`` never imports the kelurahan server, ``berjasa init`` never
imports psycopg or Faker): starting Python and importing every part cost about a
second of CPU per command, most of it for parts the command does not use.
"""

from __future__ import annotations

import importlib
import sqlite3
from pathlib import Path

import click

from berjasa import __version__
from berjasa.cli_language import use_indonesian
from berjasa.commandline import DATA_DIR_META, tolerant_output
from berjasa.os_errors import os_error_text
from berjasa.settings import register

use_indonesian()  # before any command is defined (click.Path names its kind when made)

# Every command of `berjasa`: name -> "module:attribute" of its click command or group.
# A command's module is imported only when that command runs or its help is shown
# (click's lazy-loading pattern, LazyGroup below): `berjasa central ...` never imports
# the kelurahan server, `berjasa init` never imports psycopg. The modules keep their
# heavy libraries (Flask, psycopg, openpyxl, Faker, ...) inside the commands that use
# them, so listing every command for `berjasa --help` stays cheap
# (tests/cli/test_startup.py).
COMMANDS = {
    "audit": "server.cli_audit:audit_group",
    "backup": "server.cli_data:backup_command",
    "central": "central.cli:central_group",
    "demo": "berjasa.demo:demo_command",
    "init": "server.cli:init_command",
    "migrate": "server.cli_migrate:migrate_command",
    "privacy": "server.cli_data:privacy_group",
    "restore": "server.cli_data:restore_command",
    "serve": "server.cli:serve_command",
    "sync": "sync.cli:sync_group",
    "user": "server.cli:user_group",
}

def declare_settings() -> None:
    """Add the settings the sync agent and central declare to the registry
    (berjasa.settings), before any settings are read: one settings.toml may hold
    the settings of every part on the machine. Safe to call again."""
    from central.settings import CENTRAL_SETTINGS
    from sync.agent_settings import AGENT_SETTINGS

    register(*AGENT_SETTINGS, *CENTRAL_SETTINGS)


declare_settings()


class LazyGroup(click.Group):
    """A click group whose commands are imported by name from ``COMMANDS`` when
    asked for: listing them imports nothing."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.add_command(_load(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context):
        """Run the command; a disk or folder the operator must fix (read-only, full,
        no permission) that no command named itself becomes one line, not a traceback."""
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise  # `berjasa ... | head`: the reader left
        except OSError as exc:
            where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
            raise click.ClickException(f"{os_error_text(exc)}{where}") from exc
        except sqlite3.OperationalError as exc:
            text = _DATABASE_TROUBLE.get(next((k for k in _DATABASE_TROUBLE if k in str(exc)), ""))
            if text is None:
                raise
            raise click.ClickException(text) from exc


# What SQLite says when the folder, not the program, is at fault.
_DATABASE_TROUBLE = {
    "readonly": "basis data tidak bisa ditulis: folder data atau disknya hanya bisa dibaca, "
                "atau pengguna ini tidak punya izin menulis di sana",
    "disk is full": "disk penuh; kosongkan ruang lalu ulangi",
    "unable to open": "basis data tidak bisa dibuka: periksa folder data dan izinnya",
    "disk I/O error": "galat baca/tulis disk pada basis data",
}


def _load(name: str) -> click.Command:
    """Import the command ``name``."""
    module, attribute = COMMANDS[name].split(":")
    return getattr(importlib.import_module(module), attribute)


@click.group(cls=LazyGroup,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="berjasa")
@click.option("--data-dir", "data_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder data untuk perintah berikutnya (sama dengan --data-dir "
                                 "sesudah nama perintah).")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None) -> None:
    """berjasa: pendaftaran pekerja rentan Makassar ke BPJS Ketenagakerjaan.

    Contoh: berjasa init --kelurahan 73.71.01.1001 && berjasa serve
    """
    tolerant_output()
    if data_dir is not None:
        ctx.meta[DATA_DIR_META] = data_dir


if __name__ == "__main__":  # `python -m berjasa.cli`, as `python -m berjasa`
    main()
