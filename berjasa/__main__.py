"""``python -m berjasa`` runs the ``berjasa`` command."""

from berjasa.cli import main

main()
