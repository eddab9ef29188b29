"""The kelurahan laptops for central's admin (and the auditor), read-only: the same
list as ``berjasa central device list`` (:func:`central.devices.listing`). Codes are
made and devices revoked with the commands, which write the trail."""

from __future__ import annotations

from flask import render_template

from central.app import get_db
from central.devices import listing


def devices_page() -> str:
    """``GET /admin/perangkat``: devices (kelurahan, registered, revoked, last batch)
    and outstanding registration codes (made when and by whom, expiry; never the code)."""
    return render_template("central/devices.html", **listing(get_db()))
