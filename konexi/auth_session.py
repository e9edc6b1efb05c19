"""Flask-Login wiring: users are loaded by id and session version."""

from __future__ import annotations

from flask import Flask

from konexi.extensions import db, login_manager
from konexi.models import User


def load_user(session_id: str) -> User | None:
    """Load the user of a session; a stale session version (password changed) logs out."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or str(user.session_version) != version:
        return None
    return user


def init_app(app: Flask) -> None:
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    login_manager.login_message = None  # the login page explains itself
