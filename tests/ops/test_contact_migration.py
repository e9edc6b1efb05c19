"""The contacts migration on a database that already has people in it, on both backends.

Production databases exist: the revision that lets an account lose an unproven email or phone
(and remember a pending new one) must keep every row, keep SQLite's never-reused ids, and leave
a database that a second ``db upgrade`` finds up to date.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from konexi import create_app
from konexi.extensions import db
from tests.support.app import BACKENDS, base_environ

INITIAL = "f78e441510f1"
_USER = (
    "INSERT INTO users (name, email, phone, locale, session_version, status, is_platform_admin,"
    " personalisation_enabled, store_location, show_birth_date, findable_by_email,"
    " marketing_email, sms_notifications, created_at) VALUES (:name, :email, :phone, 'en', 1,"
    " 'active', false, true, false, false, false, false, false, CURRENT_TIMESTAMP)"
)


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'old.sqlite3'}"
    server = request.getfixturevalue("postgres_server")
    return server.create_database("konexi_migration_" + secrets.token_hex(4))


def _insert(name: str, email: str | None, phone: str | None) -> None:
    db.session.execute(text(_USER), {"name": name, "email": email, "phone": phone})
    db.session.commit()


def test_the_contacts_revision_keeps_people_and_runs_once(empty_database, smtp_server, fake_twilio):
    app = create_app(base_environ(empty_database, smtp_server, fake_twilio))
    with app.app_context():
        upgrade(revision=INITIAL)
        _insert("Siti", "Siti@Example.com", "+6281211112222")
        _insert("Budi", "budi@example.com", "+6281233334444")
        db.session.execute(text("DELETE FROM users WHERE name = 'Budi'"))  # purged: id 2
        db.session.commit()

        upgrade()
        upgrade()  # a second run (every release runs it) finds nothing to do
        version = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        assert version != INITIAL

        row = db.session.execute(text("SELECT id, email, email_key, phone FROM users")).one()
        assert tuple(row) == (1, "Siti@Example.com", "siti@example.com", "+6281211112222")
        columns = {c["name"]: c for c in inspect(db.engine).get_columns("users")}
        assert columns["email"]["nullable"] and columns["phone"]["nullable"]
        assert {"pending_email", "pending_phone"} <= set(columns)

        _insert("Detached", None, None)  # an account may now lose both contacts
        ids = list(db.session.scalars(text("SELECT id FROM users ORDER BY id")))
        assert ids == [1, 3]  # the purged account's id 2 never comes back
        with pytest.raises(IntegrityError):  # one address, one account, whatever the case
            _insert("Copy", "SITI@example.com", None)
        db.session.rollback()

        downgrade(revision=INITIAL)  # drops the accounts that lack a contact
        assert list(db.session.scalars(text("SELECT name FROM users"))) == ["Siti"]
        db.session.remove()
        db.engine.dispose()
