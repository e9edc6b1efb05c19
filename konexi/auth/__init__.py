"""Accounts: sign up, log in, verify the phone and email, passwords."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from konexi.auth import comeback, routes, verify  # noqa: E402,F401
from konexi.auth.decorators import verified_required  # noqa: E402

__all__ = ["bp", "verified_required"]
