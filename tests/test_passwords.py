from argon2 import PasswordHasher

from konexi.services.passwords import _hasher_for


def test_production_uses_argon2_recommended_parameters():
    hasher, dummy = _hasher_for("production")
    default = PasswordHasher()
    assert (hasher.time_cost, hasher.memory_cost) == (default.time_cost, default.memory_cost)
    assert dummy.startswith("$argon2id$")


def test_testing_profile_is_still_argon2id():
    hasher, _ = _hasher_for("testing")
    assert hasher.hash("x").startswith("$argon2id$")
