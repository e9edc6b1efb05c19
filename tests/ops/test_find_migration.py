"""The public-profile and "Shared with me" revision on a database with people and shares in it:
every existing account gets its own public id, shares keep their rows, and it runs once."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from konexi import create_app
from konexi.extensions import db
from tests.servers.fake_twilio import FakeTwilio
from tests.servers.postgres_server import PostgresServer
from tests.servers.smtp_server import SmtpServer
from tests.support.app import BACKENDS, base_environ

BEFORE = "778a012123a7"
PERSON = (
    "INSERT INTO users (name, email, phone, locale, session_version, status, is_platform_admin,"
    " personalisation_enabled, store_location, show_birth_date, findable_by_email,"
    " marketing_email, sms_notifications, created_at) VALUES (:name, :email, NULL, 'en', 1,"
    " 'active', false, true, false, false, true, false, false, CURRENT_TIMESTAMP)"
)


@pytest.fixture(params=BACKENDS)
def old_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'before-find.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database("konexi_find_" + secrets.token_hex(4))


def test_existing_accounts_get_distinct_public_ids_and_it_runs_once(
    old_database: str, smtp_server: SmtpServer, fake_twilio: FakeTwilio
) -> None:
    app = create_app(base_environ(old_database, smtp_server, fake_twilio))
    with app.app_context():
        upgrade(revision=BEFORE)
        for n in range(3):
            db.session.execute(text(PERSON), {"name": f"P{n}", "email": f"p{n}@example.com"})
        db.session.commit()

        upgrade()
        upgrade()  # every release runs it: nothing left to do

        ids = list(db.session.scalars(text("SELECT public_id FROM users")))
        assert len(ids) == 3 and None not in ids and len(set(ids)) == 3
        shares = {c["name"]: c for c in inspect(db.engine).get_columns("shares")}
        assert shares["recipient_hash"]["nullable"]
        assert {"recipient_user_id", "recipient_dismissed_at"} <= set(shares)

        db.session.commit()  # PostgreSQL: the downgrade's ALTER TABLE waits for open reads
        downgrade(revision=BEFORE)
        users = {c["name"] for c in inspect(db.engine).get_columns("users")}
        assert "public_id" not in users
        assert db.session.scalar(text("SELECT count(*) FROM users")) == 3
        db.session.remove()
        db.engine.dispose()
