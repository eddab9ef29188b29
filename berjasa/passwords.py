"""Password hashing with argon2id (argon2-cffi's recommended parameters).

Verifying reads the parameters stored in each hash, so a hash made with other
parameters still verifies. The test suite (tests/conftest.py) hashes with
argon2's cheapest parameters through :func:`use_parameters`; nothing in the
product calls it, and a test checks that ``berjasa user add`` keeps the defaults.
"""

from __future__ import annotations

from functools import cache

from argon2 import Parameters, PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from berjasa.password_policy import MIN_LENGTH, WeakPassword, check_new_password

__all__ = ["MIN_LENGTH", "WeakPassword", "hash_password", "use_parameters", "verify_password"]
_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A hash of a random password, verified when the user does not exist, so that
    the time taken does not reveal which usernames exist. Made on first use, not at
    import: hashing costs a quarter second of CPU, and most commands never log in."""
    return _hasher.hash("tidak-ada-pengguna-ini")


def use_parameters(parameters: Parameters) -> None:
    """Hash new passwords (and the dummy hash) with these argon2 parameters in
    this process. For the test suite only (``argon2.profiles.CHEAPEST``): a login
    then costs microseconds instead of a quarter second of CPU."""
    global _hasher
    _hasher = PasswordHasher.from_parameters(parameters)
    _dummy_hash.cache_clear()


def hash_password(password: str, username: str | None) -> str:
    """Hash a new password for the account ``username``; WeakPassword (naming the
    reason) when the policy refuses it (:mod:`berjasa.password_policy`). Only new
    and changed passwords come here: a stored hash keeps working."""
    check_new_password(password, username)
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; constant work whether or not the user exists."""
    dummy = _dummy_hash()  # first call pays for it whether or not the user exists
    try:
        return _hasher.verify(password_hash or dummy, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
