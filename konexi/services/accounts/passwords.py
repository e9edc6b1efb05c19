"""Password hashing with argon2id, within a per-process memory bound.

Production uses OWASP's argon2id parameters (19 MiB, 2 passes, 1 lane): argon2-cffi's default
(64 MiB, 3 passes, 4 lanes) let 16 logins at once take each 512 MB-dyno worker from ~100 to
~400 MB. A hash is a memory-heavy task: a process runs MEMORY_HEAVY_TASKS_AT_ONCE of them
(one by default, ~30 ms for a hash; konexi/services/work_slots.py) and the others wait their
turn, so a burst of logins costs a worker 19 MiB, not 19 MiB per thread. Hashes made with
other parameters still verify and are replaced at the next successful login
(``needs_rehash``). The test environment uses the cheapest parameters, so the suite does not
spend minutes hashing.
"""

from __future__ import annotations

from functools import cache
from typing import TypedDict

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, has_app_context

from konexi.services.work_slots import one_heavy_task


class HashParameters(TypedDict):
    time_cost: int
    memory_cost: int
    parallelism: int


# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
PRODUCTION_PARAMETERS: HashParameters = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}
TESTING_PARAMETERS: HashParameters = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


@cache
def _hasher_for(environment: str) -> tuple[PasswordHasher, str]:
    parameters = TESTING_PARAMETERS if environment == "testing" else PRODUCTION_PARAMETERS
    hasher = PasswordHasher(**parameters)
    # A real hash to verify against when the account does not exist, so that the time a failed
    # login takes does not tell whether the email or phone is registered. Made at a worker's
    # first login, when its threads may all get here at once: it takes a slot like any hash.
    with one_heavy_task():
        return hasher, hasher.hash("konexi-no-such-account")


def _hasher() -> tuple[PasswordHasher, str]:
    environment = current_app.config.get("KONEXI_ENV", "") if has_app_context() else ""
    return _hasher_for(environment)


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (waits for a memory-heavy slot)."""
    hasher = _hasher()[0]
    with one_heavy_task():
        return hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing hash still costs one verification."""
    hasher, dummy = _hasher()
    try:
        with one_heavy_task():
            matches = hasher.verify(password_hash or dummy, password)
        return matches and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than the current ones."""
    return _hasher()[0].check_needs_rehash(password_hash)
