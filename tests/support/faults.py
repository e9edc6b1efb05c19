"""Helpers for the fault tests: waiting for conditions, worker processes, Redis scans, servers of
a test's own (import the fixture into the module that stops them) (no tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest
from redis import Redis

from konexi.config import ROOT
from konexi.extensions import db
from konexi.models import OutboxMessage, User
from konexi.models.base import utcnow
from konexi.services.accounts.passwords import hash_password
from tests.servers.fake_twilio import FakeTwilio
from tests.servers.postgres_server import PostgresServer
from tests.servers.smtp_server import SmtpServer
from tests.support.app import BACKENDS, TEST_PASSWORD, empty_postgres, migrate

DEADLINE = 30.0


def wait_for(condition: Callable[[], object], what: str, timeout: float = DEADLINE) -> float:
    """Poll ``condition`` until it is true; return the seconds it took (fail after ``timeout``)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture(name="database_url")
def postgres_only(request: pytest.FixtureRequest) -> Iterator[str]:
    """Replaces conftest's ``database_url`` in a module that imports it: only PostgreSQL, the
    production database (races, a restart, many processes), emptied after the test."""
    if "postgres" not in BACKENDS:
        pytest.skip("PostgreSQL is not among KONEXI_TEST_DATABASES")
    url = request.getfixturevalue("postgres_database")
    yield url
    empty_postgres(url)


def status_counts() -> dict[str, int]:
    """How many outbox rows are in each status."""
    db.session.expire_all()
    rows = db.session.execute(
        db.select(OutboxMessage.status, db.func.count(OutboxMessage.id)).group_by(
            OutboxMessage.status
        )
    ).all()
    db.session.commit()
    return {status: count for status, count in rows}


def worker_environ(
    database_url: str, redis_url: str, twilio, mailbox, **extra: str
) -> dict[str, str]:
    """The environment of a `python worker.py` process for these servers."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SMTP_"))}
    environ.update(
        KONEXI_ENV="testing",
        SECRET_KEY="test-secret-key",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SMTP_URL=mailbox.url,
        MAIL_FROM="Konexi <no-reply@konexi.test>",
        BASE_URL="http://konexi.test",
        LOG_LEVEL="INFO",
        **twilio.env(),
    )
    environ.update(extra)
    return environ


def start_worker(environ: dict[str, str], log: IO[str]) -> subprocess.Popen:
    """`python worker.py`, the Procfile's worker process."""
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "worker.py"], cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT
    )


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (RQ's work horse leaves the process group, so walk /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def kill_hard(process: subprocess.Popen) -> int:
    """SIGKILL a worker and everything it started, as a lost machine would; returns how many."""
    victims = [process.pid, *descendants(process.pid)]
    for pid in victims:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait(timeout=10)
    for pid in victims[1:]:
        wait_for(lambda pid=pid: not Path(f"/proc/{pid}").exists() or _zombie(pid), "death")
    return len(victims)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            kill_hard(process)


def redis_dump(connection: Redis) -> bytes:
    """Every key and value in Redis, RQ's compressed job payloads unpacked."""
    chunks: list[bytes] = []
    for key in connection.scan_iter("*"):
        chunks.append(key)
        kind = connection.type(key)
        if kind == b"hash":
            for field, value in connection.hgetall(key).items():
                chunks.append(field)
                if field == b"data":
                    try:
                        value = zlib.decompress(value)
                    except zlib.error:
                        pass
                chunks.append(value)
        elif kind == b"list":
            chunks.extend(connection.lrange(key, 0, -1))
        elif kind == b"set":
            chunks.extend(connection.smembers(key))
        elif kind == b"zset":
            chunks.extend(
                member for member, _score in connection.zrange(key, 0, -1, withscores=True)
            )
        elif kind == b"string":
            chunks.append(connection.get(key) or b"")
        elif kind == b"stream":
            for _id, fields in connection.xrange(key):
                for field, value in fields.items():
                    chunks.extend((field, value))
    return b"\n".join(chunks)


@pytest.fixture(name="database_url")
def database_on_own_postgres(
    own_postgres: PostgresServer, smtp_server: SmtpServer, fake_twilio: FakeTwilio
) -> str:
    """Replaces conftest's ``database_url`` in a module that imports it: a migrated database on
    ``own_postgres``, the cluster this module may stop.

    The migrations (PostGIS's extension among them, seconds on a busy machine) run once per
    cluster into a template; each test's database is a copy of it.
    """
    if own_postgres.migrated_template is None:
        template = own_postgres.create_database("konexi_template")
        migrate(template, smtp_server, fake_twilio)
        own_postgres.migrated_template = "konexi_template"
    name = f"konexi_outage_{int(time.monotonic() * 1000)}"
    return own_postgres.create_database(name, template=own_postgres.migrated_template)


def make_users(count: int, first: int = 0) -> list[User]:
    """``count`` verified users with the password ``TEST_PASSWORD``."""
    users = [
        User(
            name=f"Rina {n}",
            email=f"rina{n}@example.com",
            phone=f"+62816{n:07d}",
            password_hash=hash_password(TEST_PASSWORD),
            phone_verified_at=utcnow(),
            email_verified_at=utcnow(),
        )
        for n in range(first, first + count)
    ]
    db.session.add_all(users)
    db.session.commit()
    return users
