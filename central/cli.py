"""``berjasa central ...``: the central registry at the city office.

Thin commands: parse, call a service function, print. This module assembles the
``central`` group (berjasa.cli names it); the commands live by what they are about:

- :mod:`central.cli_setup`: ``init``, ``migrate``, ``restored`` (the database's life)
- :mod:`central.cli_serve`: ``serve``, ``key`` (running central, its signing key)
- :mod:`central.cli_devices`: ``device``, ``import-batches``, ``export-answers``
  (the kelurahan laptops and the flash drive)
- :mod:`central.cli_imports`: ``import``, ``recheck`` (the program's lists)
- :mod:`central.cli_exports`: ``export``
- :mod:`central.cli_verify`: ``send-back``, ``verify``, ``findings``, ``decide``,
  ``duplicates``, ``decide-pair``, ``dukcapil-standin``
- :mod:`central.cli_privacy`: ``privacy`` (a data subject's requests)
- :mod:`central.cli_office`: ``user``, ``audit`` (office users, the trail)

Each opens the database through :mod:`central.cli_db`. The database URL chosen at
``central init`` is kept in the data folder's settings.toml (``central_database_url``)
so every later command finds it.
"""

from __future__ import annotations

import click

from central import (
    cli_devices,
    cli_exports,
    cli_imports,
    cli_office,
    cli_privacy,
    cli_serve,
    cli_setup,
    cli_verify,
)


@click.group("central")
def central_group() -> None:
    """Registri pusat (kantor Disnaker): terima batch, dedupe, ekspor.

    Contoh: berjasa central init && berjasa central serve --port 8090
    """


for _command in (
        cli_setup.init_command, cli_setup.migrate_command, cli_setup.restored_command,
        cli_serve.serve_command, cli_serve.key_group,
        cli_devices.device_group, cli_devices.import_batches_command,
        cli_devices.export_answers_command,
        cli_imports.import_command, cli_imports.recheck_command,
        cli_exports.export_command,
        cli_verify.send_back_command, cli_verify.findings_command, cli_verify.decide_command,
        cli_verify.duplicates_command, cli_verify.decide_pair_command, cli_verify.verify_command,
        cli_verify.standin_command,
        cli_privacy.central_privacy_group,
        cli_office.user_group, cli_office.audit_group):
    central_group.add_command(_command)
