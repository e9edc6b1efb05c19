"""Fixtures: real Redis, PostgreSQL, SMTP and fake-Twilio servers, the app on each database.

The schema is created only by the Alembic migrations: once per session and backend into a
template, then each test gets a fresh copy (SQLite: a file copy; PostgreSQL: emptied).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from konexi.extensions import db
from konexi.models import User
from konexi.models.base import utcnow
from konexi.services.accounts.passwords import hash_password
from tests.servers.fake_oidc import FakeOidc
from tests.servers.fake_twilio import FakeTwilio
from tests.servers.postgres_server import PostgresServer, start_postgres
from tests.servers.redis_server import RedisServer, start_redis
from tests.servers.smtp_server import SmtpServer
from tests.support.app import (
    BACKENDS,
    TEST_PASSWORD,
    SharedApps,
    base_environ,
    build_test_app,
    empty_postgres,
    migrate,
)

# Shared fixtures live in tests/support/; helpers are imported from there, not from test modules.
pytest_plugins = [
    "tests.support.auth",
    "tests.support.catalogue",
    "tests.support.console",
    "tests.support.webhooks",
]


# -- servers, one of each per test session ---------------------------------------------------
@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = start_redis()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = start_postgres()
    yield server
    server.stop()
    server.remove()


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A Redis server of this test's own: stopping it disturbs no other test."""
    server = start_redis()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL cluster of this module's own: stopping it disturbs no other test."""
    if "postgres" not in BACKENDS:
        pytest.skip("PostgreSQL is not among KONEXI_TEST_DATABASES")
    server = start_postgres()
    yield server
    server.stop()
    server.remove()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fake_twilio() -> Iterator[FakeTwilio]:
    server = FakeTwilio()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fake_oidc_server() -> Iterator[FakeOidc]:
    server = FakeOidc()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake_oidc(fake_oidc_server: FakeOidc) -> FakeOidc:
    """The fake Google/Facebook provider, emptied for this test."""
    fake_oidc_server.reset()
    return fake_oidc_server


@pytest.fixture
def twilio(fake_twilio: FakeTwilio) -> Iterator[FakeTwilio]:
    """The fake Twilio API, emptied for this test."""
    fake_twilio.reset()
    yield fake_twilio
    fake_twilio.reset()


@pytest.fixture
def mailbox(smtp_server: SmtpServer) -> Iterator[SmtpServer]:
    """The SMTP server, emptied for this test."""
    smtp_server.clear()
    yield smtp_server


# -- the app ---------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def sqlite_directory() -> Iterator[Path]:
    """Where this process's SQLite databases live: in memory (/dev/shm) when the machine has it.

    A SQLite commit waits for the disk (fsync, and the rollback journal written and deleted); on a
    busy disk that was a fifth of a web test's time. The files are the same SQLite files.
    """
    memory = Path("/dev/shm")  # noqa: S108 - a private directory is made inside it
    usable = memory.is_dir() and os.access(memory, os.W_OK)
    directory = Path(tempfile.mkdtemp("-konexi-sqlite", dir=memory if usable else None))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def sqlite_template(
    sqlite_directory: Path, smtp_server: SmtpServer, fake_twilio: FakeTwilio
) -> Path:
    template = sqlite_directory / "template.sqlite3"
    migrate(f"sqlite:///{template}", smtp_server, fake_twilio)
    return template


@pytest.fixture(scope="session")
def postgres_database(
    postgres_server: PostgresServer, smtp_server: SmtpServer, fake_twilio: FakeTwilio
) -> str:
    url = postgres_server.create_database("konexi_test")
    migrate(url, smtp_server, fake_twilio)
    return url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated, empty database on each backend (SQLite and PostgreSQL).

    The URL is the same for every test of a process (so the shared apps fit every test): SQLite
    gets a fresh copy of the template at that path, PostgreSQL is emptied after the test.
    """
    # A test may ask for one database by parameter (production refuses SQLite; some run on
    # SQLite alone): a run limited to other databases (make test-fast: SQLite) skips it rather
    # than start a server for it.
    if request.param not in BACKENDS:
        pytest.skip(f"{request.param} is not among KONEXI_TEST_DATABASES")
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = template.with_name("test.sqlite3")
        for leftover in path.parent.glob(f"{path.name}-*"):  # a journal the last test left
            leftover.unlink()
        # A new file renamed into place: a connection the last test leaked keeps the old one.
        copy = path.with_name("copy.sqlite3")
        shutil.copyfile(template, copy)
        copy.replace(path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_database")
        yield url
        empty_postgres(url)


@pytest.fixture(scope="session")
def shared_apps() -> SharedApps:
    return SharedApps()


@pytest.fixture
def app_factory(
    database_url: str, smtp_server: SmtpServer, fake_twilio: FakeTwilio
) -> Iterator[Callable[..., Flask]]:
    """Build a fresh app on this test's database, with extra environment variables."""
    apps: list[Flask] = []

    def build(**overrides: str) -> Flask:
        environ = base_environ(database_url, smtp_server, fake_twilio)
        environ.update(overrides)
        environ = {k: v for k, v in environ.items() if v is not None and v != ""}
        app = build_test_app(environ)
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _shared_app(
    request: pytest.FixtureRequest, shared_apps: SharedApps, **overrides: str
) -> Iterator[Flask]:
    """The app a test gets: shared with the tests before it on the same settings (see
    tests/support/app.py's SharedApps), or its own with ``@pytest.mark.own_app``."""
    if request.node.get_closest_marker("own_app"):
        application = request.getfixturevalue("app_factory")(**overrides)
        shared = False
    else:
        environ = base_environ(
            request.getfixturevalue("database_url"),
            request.getfixturevalue("smtp_server"),
            request.getfixturevalue("fake_twilio"),
        )
        application = shared_apps.take({**environ, **overrides})
        shared = True
    with application.app_context():
        yield application
        db.session.remove()
    if shared:
        shared_apps.give_back(application)


@pytest.fixture
def app(
    request: pytest.FixtureRequest,
    shared_apps: SharedApps,
    database_url: str,
    twilio: FakeTwilio,
    mailbox: SmtpServer,
) -> Iterator[Flask]:
    yield from _shared_app(request, shared_apps)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> Iterator[str]:
    """The real Redis, emptied for this test."""
    from redis import Redis

    connection = Redis.from_url(redis_server.url)
    connection.flushdb()
    yield redis_server.url
    connection.flushdb()
    connection.close()


@pytest.fixture
def redis_app(
    request: pytest.FixtureRequest,
    shared_apps: SharedApps,
    database_url: str,
    redis_url: str,
    twilio: FakeTwilio,
    mailbox: SmtpServer,
) -> Iterator[Flask]:
    """The app with its queue, rate limits and SMS counters on the real Redis."""
    yield from _shared_app(request, shared_apps, REDIS_URL=redis_url)


# -- test data -------------------------------------------------------------------------------
@pytest.fixture
def create_user(app: Flask) -> Callable[..., User]:
    """Create a user (verified unless told otherwise) with the password ``TEST_PASSWORD``."""
    counter = {"n": 0}

    def make(
        name: str = "Siti Rahma",
        email: str | None = None,
        phone: str | None = None,
        password: str = TEST_PASSWORD,
        verified: bool = True,
    ) -> User:
        counter["n"] += 1
        n = counter["n"]
        user = User(
            name=name,
            email=email or f"user{n}@example.com",
            phone=phone or f"+62812{n:07d}",
            password_hash=hash_password(password),
            phone_verified_at=utcnow() if verified else None,
            email_verified_at=utcnow() if verified else None,
        )
        db.session.add(user)
        db.session.commit()
        return user

    return make


# -- the fuzz case count (tests/web/test_fuzz_forms.py writes it; docs/security.md quotes it) ------
_SESSION_STARTED = __import__("time").time()


def pytest_terminal_summary(terminalreporter) -> None:
    artifact = Path(__file__).resolve().parent.parent / "test-artifacts" / "fuzz-cases.json"
    if artifact.exists() and artifact.stat().st_mtime >= _SESSION_STARTED:
        import json

        counts = json.loads(artifact.read_text())
        terminalreporter.write_line(
            f"fuzz cases tried: {counts['total']} {json.dumps(counts['by test'])}"
        )
