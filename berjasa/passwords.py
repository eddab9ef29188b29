"""Password hashing with argon2id (argon2-cffi's recommended parameters)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
MIN_LENGTH = 8


@cache
def _dummy_hash() -> str:
    """A hash of a random password, verified when the user does not exist, so that
    the time taken does not reveal which usernames exist. Made on first use, not at
    import: hashing costs a quarter second of CPU, and most commands never log in."""
    return _hasher.hash("tidak-ada-pengguna-ini")


class WeakPassword(ValueError):
    """The password is too short."""


def hash_password(password: str) -> str:
    """Hash a new password; refuse ones shorter than MIN_LENGTH."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Kata sandi minimal {MIN_LENGTH} karakter.")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; constant work whether or not the user exists."""
    dummy = _dummy_hash()  # first call pays for it whether or not the user exists
    try:
        return _hasher.verify(password_hash or dummy, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
