"""Signing in and out in tests, and the CLI runner (flaskr's ``auth`` and ``runner`` fixtures)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from konexi.extensions import db
from konexi.models import User


def log_in(client: FlaskClient, user: User | int) -> None:
    """Start a Flask-Login session for ``user`` (or a user id) in ``client``.

    The login form has its own tests; everything else skips it to stay fast.
    """
    if not isinstance(user, User):
        user = db.session.get(User, user)
        assert user is not None, "no such user"
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def log_out(client: FlaskClient) -> None:
    """End the session as if the cookie were gone."""
    with client.session_transaction() as session:
        session.clear()


class AuthActions:
    """``auth.log_in(user)`` / ``auth.log_out()`` on the test's ``client``."""

    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def log_in(self, user: User) -> None:
        log_in(self._client, user)

    def log_out(self) -> None:
        log_out(self._client)


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """Runs the app's ``flask`` commands in-process on this test's database."""
    return app.test_cli_runner()
