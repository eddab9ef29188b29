"""The ``berjasa`` command: one entry point for the kelurahan server, the sync
agent, central and the demo. Each part registers its own commands here.

A part's modules are imported only when one of its commands runs (``berjasa
central ...`` never imports the kelurahan server, ``berjasa init`` never imports
psycopg or Faker): starting Python and importing every part cost about a second
of CPU per command, most of it for parts the command does not use.
"""

from __future__ import annotations

import importlib

import click

from berjasa import __version__
from berjasa.cli_language import use_indonesian
from berjasa.settings import register

use_indonesian()  # before any command is defined (click.Path names its kind when made)

# Groups and commands of the other parts: name -> (module, attribute, modules that
# add more commands to that group when imported).
PARTS = {
    "central": ("central.cli", "central_group", ("central.cli_verify", "central.cli_privacy")),
    "sync": ("sync.cli", "sync_group", ()),
    "demo": ("berjasa.demo", "demo_command", ()),
}


def declare_settings() -> None:
    """Add the settings the sync agent and central declare to the registry
    (berjasa.settings), before any settings are read: one settings.toml may hold
    the settings of every part on the machine. Safe to call again."""
    from central.settings import CENTRAL_SETTINGS
    from sync.agent_settings import AGENT_SETTINGS

    register(*AGENT_SETTINGS, *CENTRAL_SETTINGS)


declare_settings()


class _PartsGroup(click.Group):
    """A click group that imports a part when one of its commands is asked for;
    every other name belongs to the kelurahan server's commands."""

    _server_loaded = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        for name in PARTS:
            self._load(name)
        self._load_server()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            if cmd_name in PARTS:
                self._load(cmd_name)
            else:
                self._load_server()
        return super().get_command(ctx, cmd_name)

    def _load(self, name: str) -> None:
        if name not in self.commands:
            module, attribute, extensions = PARTS[name]
            command = getattr(importlib.import_module(module), attribute)
            for extension in extensions:
                importlib.import_module(extension)
            self.add_command(command, name)

    def _load_server(self) -> None:
        if not self._server_loaded:
            from server.cli import register_server_commands

            register_server_commands(self)
            self._server_loaded = True


@click.group(cls=_PartsGroup,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="berjasa")
def main() -> None:
    """berjasa: pendaftaran pekerja rentan Makassar ke BPJS Ketenagakerjaan.

    Contoh: berjasa init --kelurahan 73.71.01.1001 && berjasa serve
    """
