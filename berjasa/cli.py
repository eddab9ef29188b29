"""The ``berjasa`` command: one entry point for the kelurahan server, the sync
agent, central and the demo. Each part registers its own commands here."""

from __future__ import annotations

import click

from berjasa import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="berjasa")
def main() -> None:
    """berjasa: pendaftaran pekerja rentan Makassar ke BPJS Ketenagakerjaan.

    Example: berjasa init --kelurahan 73.71.01.1001 && berjasa serve
    """


def _register() -> None:
    """Attach the commands of every part (imported here to keep startup cheap)."""
    from berjasa.demo import demo_command
    from central import cli_verify  # noqa: F401  (adds the verification commands)
    from central.cli import central_group
    from server.cli import register_server_commands
    from sync.cli import sync_group

    register_server_commands(main)
    main.add_command(sync_group)
    main.add_command(central_group)
    main.add_command(demo_command)


_register()
