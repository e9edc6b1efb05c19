"""Password hashing with argon2id.

Production uses argon2-cffi's recommended parameters. The test environment uses the same code
with the cheapest argon2 parameters, so the suite does not spend minutes hashing.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, has_app_context


@cache
def _hasher_for(environment: str) -> tuple[PasswordHasher, str]:
    if environment == "testing":
        hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    else:
        hasher = PasswordHasher()
    # A real hash to verify against when the account does not exist, so that the time a failed
    # login takes does not tell whether the email or phone is registered.
    return hasher, hasher.hash("konexi-no-such-account")


def _hasher() -> tuple[PasswordHasher, str]:
    environment = current_app.config.get("KONEXI_ENV", "") if has_app_context() else ""
    return _hasher_for(environment)


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher()[0].hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing hash still costs one verification."""
    hasher, dummy = _hasher()
    try:
        return hasher.verify(password_hash or dummy, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than the current ones."""
    return _hasher()[0].check_needs_rehash(password_hash)
