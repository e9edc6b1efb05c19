"""Account pages: overview, contacts, profile, privacy settings, closing and deleting."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")

from konexi.account import contacts, lifecycle, privacy, profile  # noqa: E402,F401
