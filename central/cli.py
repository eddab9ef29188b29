"""``berjasa central ...``: the central registry at the city office."""

from __future__ import annotations

import click


@click.group("central")
def central_group() -> None:
    """Registri pusat (kantor Disnaker): terima batch, dedupe, ekspor."""
