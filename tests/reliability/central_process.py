"""Run central's app under waitress as its own process, for tests that kill it:
``python central_process.py DATABASE_URL PORT DATA_DIR``."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from waitress import serve

from berjasa.cli import declare_settings
from berjasa.settings import read_app_config
from central.app import create_app


def main() -> None:
    """Serve until killed."""
    declare_settings()
    database_url, port, data_dir = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    app = create_app(read_app_config(data_dir, database_url=database_url))
    serve(app, host="127.0.0.1", port=port, threads=6, ident="berjasa-central-test")


if __name__ == "__main__":
    main()
