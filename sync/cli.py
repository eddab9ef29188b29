"""``berjasa sync ...``: the agent that pushes approved batches to central."""

from __future__ import annotations

import click


@click.group("sync")
def sync_group() -> None:
    """Kirim data yang disetujui ke pusat (sync agent)."""
