"""Password hashing: OWASP's argon2id parameters; older hashes log in and are upgraded."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.profiles import RFC_9106_LOW_MEMORY

from konexi.extensions import db
from konexi.services.accounts.passwords import (
    PRODUCTION_PARAMETERS,
    _hasher_for,
    needs_rehash,
    verify_password,
)
from tests.support.accounts import submit_login
from tests.support.app import TEST_PASSWORD

# What production hashed with before (argon2-cffi's default): 64 MiB, 3 passes, 4 lanes.
OLD_PRODUCTION = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)


def test_production_uses_owasp_argon2id_parameters_of_19_mib():
    hasher, dummy = _hasher_for("production")
    assert (hasher.time_cost, hasher.memory_cost, hasher.parallelism) == (2, 19 * 1024, 1)
    assert PRODUCTION_PARAMETERS["memory_cost"] * 1024 == 19 * 1024 * 1024
    assert dummy.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    # A hash made with the old default still verifies, and is due for an upgrade.
    old = OLD_PRODUCTION.hash("kopi susu")
    assert hasher.verify(old, "kopi susu")
    assert hasher.check_needs_rehash(old)
    assert not hasher.check_needs_rehash(hasher.hash("kopi susu"))


def test_testing_profile_is_still_argon2id():
    hasher, _ = _hasher_for("testing")
    assert hasher.hash("x").startswith("$argon2id$")


def test_an_old_parameter_hash_logs_in_and_is_upgraded(client, create_user):
    user = create_user(email="siti@example.com")
    user.password_hash = OLD_PRODUCTION.hash(TEST_PASSWORD)
    db.session.commit()
    assert needs_rehash(user.password_hash)

    assert submit_login(client, "siti@example.com").status_code == 303

    db.session.expire_all()
    upgraded = user.password_hash
    assert upgraded.startswith("$argon2id$") and "m=65536" not in upgraded
    assert not needs_rehash(upgraded)
    assert verify_password(upgraded, TEST_PASSWORD)
    # The next login keeps it (nothing to upgrade) and still succeeds.
    assert submit_login(client.application.test_client(), "siti@example.com").status_code == 303
    db.session.expire_all()
    assert user.password_hash == upgraded
