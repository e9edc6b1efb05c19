"""The test app's environment, the databases' schema, the forms' CSRF tokens and `flask` commands
in a process of their own (no tests here)."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from jinja2.bccache import Bucket, BytecodeCache
from sqlalchemy import Engine, TextClause, create_engine, inspect, text
from sqlalchemy.pool import NullPool
from werkzeug.test import TestResponse

from konexi import create_app
from konexi.config import ROOT
from konexi.extensions import db, limiter
from tests.servers.fake_twilio import FakeTwilio
from tests.servers.smtp_server import SmtpServer

BACKENDS = [b for b in os.environ.get("KONEXI_TEST_DATABASES", "sqlite,postgres").split(",") if b]
TEST_PASSWORD = "correct horse battery"  # noqa: S105


def base_environ(database_url: str, smtp: SmtpServer, twilio: FakeTwilio) -> dict[str, str]:
    """The environment of a test app: real SMTP and fake Twilio, jobs in-process."""
    return {
        "KONEXI_ENV": "testing",
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": database_url,
        "SMTP_URL": smtp.url,
        "MAIL_FROM": "Konexi <no-reply@konexi.test>",
        "BASE_URL": "http://konexi.test",
        "PURGE_GRACE_DAYS": "30",
        **twilio.env(),
    }


def migrate(database_url: str, smtp: SmtpServer, twilio: FakeTwilio) -> None:
    """Create the schema the only way it is ever created: the Alembic migrations."""
    from flask_migrate import upgrade

    app = create_app(base_environ(database_url, smtp, twilio))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def nearby_search() -> str:
    """What /healthz says of the nearby search on the current app's test database: the test
    PostgreSQL has PostGIS (migrated with the extension), SQLite runs the portable search."""
    return "postgis" if db.engine.dialect.name == "postgresql" else "portable"


def empty_postgres(url: str) -> None:
    """Empty every table of a test database and start its ids at 1 again, keeping the schema
    (alembic_version, and spatial_ref_sys, PostGIS's own: emptied, geography would break).

    DELETE with the foreign-key triggers switched off, not TRUNCATE: TRUNCATE gives each of the
    ~30 tables new files, about half a second of the server's time per test on a busy machine;
    deleting the few rows a test wrote takes a fifth of that. The cluster's user is its
    superuser, which may switch the triggers off (session_replication_role) for the transaction.
    """
    engine, statements = _emptying(url)
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        for statement in statements:
            connection.execute(statement)


_EMPTYING: dict[str, tuple[Engine, list[TextClause]]] = {}


def _emptying(url: str) -> tuple[Engine, list[TextClause]]:
    """One engine per database and the statements that empty it, found once. The engine keeps
    no connection open between tests (fault tests stop and count the server's processes)."""
    if url not in _EMPTYING:
        engine = create_engine(url, poolclass=NullPool)
        with engine.connect() as connection:
            kept = {"alembic_version", "spatial_ref_sys"}
            tables = [t for t in inspect(connection).get_table_names() if t not in kept]
            sequences = list(
                connection.scalars(
                    text(
                        "SELECT quote_ident(sequencename) FROM pg_sequences "
                        "WHERE schemaname = current_schema()"
                    )
                )
            )
        statements = [text(f'DELETE FROM "{table}"') for table in tables]
        if sequences:
            restarts = ", ".join(f"setval('{name}', 1, false)" for name in sequences)
            statements.append(text(f"SELECT {restarts}"))
        _EMPTYING[url] = (engine, statements)
    return _EMPTYING[url]


def csrf_token_from(html: str) -> str:
    """The CSRF token a page's form carries."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html
    )
    assert match, "page has no CSRF token"
    return match.group(1)


def csrf_token_of(client: FlaskClient) -> str:
    """A CSRF token for this client's session, as a browser would find it.

    Signed-in pages carry one; an anonymous page without a form carries none (so that it sets no
    cookie), so an anonymous visitor takes it from the login form.
    """
    html = client.get("/").get_data(as_text=True)
    if "csrf_token" not in html and "X-CSRFToken" not in html:
        html = client.get("/login").get_data(as_text=True)
    return csrf_token_from(html)


def post_page_form(client: FlaskClient, url: str, **data: str) -> TestResponse:
    """Open the page at ``url`` and post its form back with ``data`` and the page's CSRF token."""
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, data={"csrf_token": csrf_token_from(page.text), **data})


def flask_command(
    database_url: str, *args: str, stdin: str | None = None, **settings: str
) -> subprocess.CompletedProcess[str]:
    """`flask --app wsgi …` in a fresh process, as `make run` and the release phase run it."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SMTP_"))}
    environ.pop("REDIS_URL", None)
    environ.update(KONEXI_ENV="testing", SECRET_KEY="test-secret-key", DATABASE_URL=database_url)
    environ.update(settings)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=environ,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result


class CompiledTemplates(BytecodeCache):
    """Compiled templates kept in memory for every app a test process builds.

    Each test builds its own app, and each app's Jinja environment would otherwise parse and
    compile every template it renders again (about three quarters of the CPU time of a test's
    first few page views). Entries are keyed by the template's source checksum, so an edited
    template is compiled afresh.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


@dataclass
class SharedApp:
    """One app built for many tests, with what it looked like when it was built: each test
    starts from that, whatever the test before it changed."""

    app: Flask
    config: dict[str, Any]
    extension_keys: frozenset[str]
    limiter_state: dict[str, Any]


class SharedApps:
    """Apps built once per test process and handed to one test after another.

    ``create_app`` costs a test about a tenth of a second of CPU (werkzeug compiles two Python
    functions per URL rule), more than many tests themselves. A test that only needs a fresh
    database gets an app built for the same settings before; ``app_factory(**overrides)`` still
    builds a fresh one for a test that changes settings, and ``@pytest.mark.own_app`` gives a test
    that adds routes an app of its own.

    Between tests everything an app keeps besides the database is put back as it was built: its
    config, the extensions' entries added since (SMS counters, view marks), and the rate limiter,
    which is one object bound to whichever app called ``init_app`` last and so is rebound here.
    """

    def __init__(self) -> None:
        self._apps: dict[tuple[str, ...], SharedApp] = {}

    def take(self, environ: dict[str, str]) -> Flask:
        """The shared app for this environment, as it was when built."""
        key = tuple(sorted(f"{name}={value}" for name, value in environ.items()))
        shared = self._apps.get(key)
        if shared is None:
            app = build_test_app(environ)
            shared = SharedApp(
                app=app,
                config=copy.deepcopy(dict(app.config)),
                extension_keys=frozenset(app.extensions),
                limiter_state=dict(vars(limiter)),
            )
            self._apps[key] = shared
        # Also when just built: its config then holds copies, so a list a test changes in place
        # is never the settings table's own default, which every later app would start from.
        restore(shared)
        return shared.app

    def give_back(self, app: Flask) -> None:
        """Close the app's connections (the next test's database replaces this one's)."""
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def restore(shared: SharedApp) -> None:
    """Put the shared app back as it was built (see ``SharedApps``)."""
    app = shared.app
    app.config.clear()
    app.config.update(copy.deepcopy(shared.config))  # a list changed in place comes back too
    for key in set(app.extensions) - shared.extension_keys:
        del app.extensions[key]
    vars(limiter).update(shared.limiter_state)
    with app.app_context():
        limiter.reset()  # the counts of the test before (memory, or this test's emptied Redis)
    # The counts kept in memory while Redis was down (Flask-Limiter's in-memory fallback).
    fallback = shared.limiter_state.get("_fallback_storage")
    if fallback is not None:
        fallback.reset()


def build_test_app(environ: dict[str, str]) -> Flask:
    """``create_app`` as the tests use it: one request, one app context; templates compiled once
    per process."""
    app = create_app(environ)
    app.test_client_class = FreshContextClient
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    return app


class FreshContextClient(FlaskClient):
    """A test client whose every request gets its own app context, as in production.

    The ``app`` fixture keeps an app context open for the test body; without this, requests
    would share its ``g`` (and with it Flask-Login's and Flask-Babel's per-request caches).
    Objects the test loaded before a request may be stale afterwards: reload or
    ``db.session.expire_all()``.
    """

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        with self.application.app_context():
            return super().open(*args, **kwargs)
