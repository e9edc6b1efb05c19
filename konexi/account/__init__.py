"""Account pages: overview, profile, privacy settings (and lifecycle, built separately)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")

from konexi.account import contacts, privacy, profile  # noqa: E402,F401

if (Path(__file__).parent / "lifecycle.py").exists():
    from konexi.account import lifecycle  # noqa: E402,F401
