"""Password hashing: OWASP's argon2id parameters, old hashes upgraded, bounded per process."""

from __future__ import annotations

import threading
import time

from argon2 import PasswordHasher
from argon2.profiles import RFC_9106_LOW_MEMORY

from konexi.extensions import db
from konexi.services.passwords import (
    PRODUCTION_PARAMETERS,
    _hasher_for,
    hash_password,
    needs_rehash,
    verify_password,
)
from tests.conftest import TEST_PASSWORD
from tests.test_auth_support import log_in

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

    assert log_in(client, "siti@example.com").status_code == 303

    db.session.expire_all()
    upgraded = user.password_hash
    assert upgraded.startswith("$argon2id$") and "m=65536" not in upgraded
    assert not needs_rehash(upgraded)
    assert verify_password(upgraded, TEST_PASSWORD)
    # The next login keeps it (nothing to upgrade) and still succeeds.
    assert log_in(client.application.test_client(), "siti@example.com").status_code == 303
    db.session.expire_all()
    assert user.password_hash == upgraded


class _ConcurrencyCounter:
    """Wraps argon2-cffi's hash and verify to count how many run at the same moment."""

    def __init__(self, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        self.running = 0
        self.peak = 0
        self.lock = threading.Lock()
        for name in ("hash", "verify"):
            original = getattr(PasswordHasher, name)
            monkeypatch.setattr(PasswordHasher, name, self._counted(original))

    def _counted(self, original):  # type: ignore[no-untyped-def]
        def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
            with self.lock:
                self.running += 1
                self.peak = max(self.peak, self.running)
            try:
                time.sleep(0.02)  # long enough for every thread to arrive
                return original(*args, **kwargs)
            finally:
                with self.lock:
                    self.running -= 1

        return counted


def _burst(app, work, threads: int = 12) -> None:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(threads)

    def run() -> None:
        with app.app_context():
            barrier.wait(timeout=10)
            work()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)


def test_only_the_configured_number_of_hashes_run_at_once_in_a_process(app_factory, monkeypatch):
    stored = _hasher_for("testing")[0].hash(TEST_PASSWORD)
    for allowed in (1, 3):
        counter = _ConcurrencyCounter(monkeypatch)
        app = app_factory(PASSWORD_HASHES_AT_ONCE=str(allowed))
        results: list[bool] = []
        _burst(app, lambda out=results: out.append(verify_password(stored, TEST_PASSWORD)))
        _burst(app, lambda out=results: out.append(bool(hash_password("kopi susu"))))
        assert results == [True] * 24
        assert counter.peak == allowed
