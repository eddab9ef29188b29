"""Device registration with one-time codes, and revocation (plain service functions)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from berjasa.audit import SYSTEM, Actor
from berjasa.problems import (
    DeviceRevoked,
    RegistrationCodeExpired,
    RegistrationCodeInvalid,
    WrongKelurahan,
)
from berjasa.reference import kelurahan
from central.storage import audit as trail
from central.storage import devices as store
from central.storage.db import Database, utc_now

# No 0/O, 1/I/L: codes are read over the phone and typed by hand.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


class UnknownKelurahan(ValueError):
    """The kelurahan code is not one of Makassar's 153."""


def new_code() -> str:
    """A one-time code like ``K7QM-3TXA-PW9C`` (about 59 bits)."""
    chars = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    return "-".join(chars[i:i + 4] for i in range(0, 12, 4))


def create_registration_code(db: Database, kelurahan_code: str, ttl_minutes: int,
                             actor: Actor = SYSTEM) -> dict[str, Any]:
    """Issue a one-time code for a kelurahan laptop; the code is shown once."""
    if kelurahan(kelurahan_code) is None:
        raise UnknownKelurahan(f"kode kelurahan tidak dikenal: {kelurahan_code}")
    code = new_code()
    now = datetime.now(timezone.utc)
    expires = (now + timedelta(minutes=ttl_minutes)).isoformat(timespec="seconds")
    with db.transaction():
        store.add_code(db, code, kelurahan_code, now.isoformat(timespec="seconds"), expires,
                       actor.username)
        trail.append(db, actor, "device.code", f"kelurahan:{kelurahan_code}",
                     {"expires_at": expires})
    return {"code": code, "kelurahan_code": kelurahan_code, "expires_at": expires}


def register_device(db: Database, code: str, public_key: str, label: str,
                    kelurahan_code: str | None = None, exchange_public_key: Any = None,
                    central_exchange_key: str | None = None) -> dict[str, str]:
    """Exchange a one-time code and a public key for a device id. The device may
    also register its USB exchange key; the answer then carries central's
    (``central_exchange_key``), which the laptop pins (sync/protocol_sealed.py).
    The values were checked by :class:`central.schemas.RegisterBody` (types, keys
    that parse, a label without control characters)."""
    with db.transaction():
        row = store.get_code(db, code)
        if row is None or row["used_at"] is not None or row["cancelled_at"] is not None:
            raise RegistrationCodeInvalid()
        if row["expires_at"] < datetime.now(timezone.utc).isoformat(timespec="seconds"):
            raise RegistrationCodeExpired()
        if kelurahan_code and kelurahan_code != row["kelurahan_code"]:
            raise WrongKelurahan(kelurahan_code=row["kelurahan_code"])
        device_id = "dev-" + secrets.token_hex(6)
        if not store.mark_code_used(db, code, device_id, utc_now()):
            raise RegistrationCodeInvalid()
        store.add_device(db, device_id, row["kelurahan_code"], (label or "")[:200],
                         public_key, utc_now())
        if exchange_public_key is not None:
            store.set_exchange_key(db, device_id, exchange_public_key, utc_now())
        trail.append(db, Actor(device_id, "device"), "device.register",
                     f"device:{device_id}", {"kelurahan_code": row["kelurahan_code"]})
    answer = {"device_id": device_id, "kelurahan_code": row["kelurahan_code"]}
    if exchange_public_key is not None and central_exchange_key:
        answer["central_exchange_key"] = central_exchange_key
    return answer


def active_device(db: Database, device_id: str) -> dict[str, Any] | None:
    """The device if registered (None when unknown); raises DeviceRevoked."""
    device = store.get_device(db, device_id)
    if device is not None and device["revoked_at"] is not None:
        raise DeviceRevoked(device_id=device_id)
    return device


@dataclass(frozen=True)
class Revoked:
    """What :func:`revoke` did: the device ids revoked and the registration codes
    cancelled (kelurahan, made when and by whom, expiry: never the code)."""

    devices: list[str]
    codes: list[dict[str, Any]]


def revoke(db: Database, device_or_kelurahan: str, actor: Actor = SYSTEM) -> Revoked:
    """Revoke a device by id, or every device of a kelurahan and cancel the kelurahan's
    outstanding registration codes too (a code made for a laptop that is then lost
    would otherwise still register one for a day). One trail entry per device
    (``device.revoke``: the device and its kelurahan) and per code
    (``device.code_cancel``: when it was made, by whom, its expiry)."""
    target = device_or_kelurahan.strip()
    now = utc_now()
    with db.transaction():
        revoked = store.revoke(db, target, now)
        for device in revoked:
            trail.append(db, actor, "device.revoke", f"device:{device['device_id']}",
                         {"device_id": device["device_id"],
                          "kelurahan_code": device["kelurahan_code"],
                          "registered_at": device["registered_at"]})
        codes = store.cancel_codes(db, target, now, actor.username)
        for code in codes:
            trail.append(db, actor, "device.code_cancel", f"kelurahan:{code['kelurahan_code']}",
                         {"kelurahan_code": code["kelurahan_code"],
                          "created_at": code["created_at"], "created_by": code["created_by"],
                          "expires_at": code["expires_at"]})
    return Revoked([device["device_id"] for device in revoked], codes)


def listing(db: Database) -> dict[str, list[dict[str, Any]]]:
    """``central device list`` and the admin's devices page: every device (kelurahan,
    registered, revoked, last batch) and the registration codes still outstanding
    (kelurahan, made when and by whom, expiry; the code itself is never shown again)."""
    devices = store.list_devices(db)
    for device in devices:
        known = kelurahan(device["kelurahan_code"])
        device["kelurahan_name"] = known.name if known else None
        device["active"] = device["revoked_at"] is None
    codes = store.outstanding_codes(db, utc_now())
    for code in codes:
        known = kelurahan(code["kelurahan_code"])
        code["kelurahan_name"] = known.name if known else None
    return {"devices": devices, "codes": codes}
