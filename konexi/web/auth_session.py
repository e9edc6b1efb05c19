"""Flask-Login wiring: users are loaded by id and session version; a login starts a new session.

The session is Flask's signed cookie. A login keeps nothing from before it but the few keys
listed in ``CARRIED_OVER`` and adds a fresh random ``_sid``, so a session planted before login
(session fixation) carries nothing into the logged-in one, not even its CSRF secret. Every
session and "remember me" cookie names the user's session version: bumping it (password change
or reset, close, delete) ends all of them at once.
"""

from __future__ import annotations

import secrets

from flask import Flask, session
from flask_login import user_logged_in, user_logged_out
from sqlalchemy import Integer, bindparam, select

from konexi.extensions import db, login_manager
from konexi.models import User

# Flask-Login's own keys (written by login_user just before the signal) and the flash messages.
_LOGIN_KEYS = ("_user_id", "_fresh", "_id", "_remember", "_remember_seconds", "_flashes")
# Harmless choices made before logging in that the product carries over: where to go once
# verified (a local path, checked when stored) and the location the visitor picked.
CARRIED_OVER = ("after_verify", "feed_location")
SESSION_NONCE = "_sid"
# Every signed-in request loads its user: one statement object built once, so SQLAlchemy neither
# builds it nor computes its cache key again on each request (that cost more than the query).
_USER_BY_ID = select(User).where(User.id == bindparam("user_id", type_=Integer()))


def load_user(session_id: str) -> User | None:
    """Load the user of a session; a stale session version (password changed) logs out."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.scalars(_USER_BY_ID, {"user_id": int(user_id)}).first()
    if user is None or str(user.session_version) != version:
        return None
    return user


def start_new_session(*_args: object, **_kwargs: object) -> None:
    """At login: drop everything the session held before it but the login itself and
    ``CARRIED_OVER``, and give it a new random id."""
    kept = {key: session[key] for key in (*_LOGIN_KEYS, *CARRIED_OVER) if key in session}
    location = kept.get("feed_location")
    if isinstance(location, dict) and location.get("uid") is not None:
        kept.pop("feed_location")  # another user's location: never carried over
    session.clear()
    session.update(kept)
    session[SESSION_NONCE] = secrets.token_urlsafe(16)


def end_session(*_args: object, **_kwargs: object) -> None:
    """At logout: nothing of the logged-in session stays in the cookie (company, branch, CSRF
    secret, location), only Flask-Login's order to clear the remember-me cookie."""
    remember = session.get("_remember")
    session.clear()
    if remember:
        session["_remember"] = remember


def init_app(app: Flask) -> None:
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    login_manager.login_message = None  # the login page explains itself
    user_logged_in.connect(start_new_session, app)
    user_logged_out.connect(end_session, app)
