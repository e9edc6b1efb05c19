"""Sharing vouchers: send one to a friend by SMS or email, and the public ``/s/<token>`` page."""

from flask import Blueprint

bp = Blueprint("sharing", __name__)

from konexi.sharing import gift_routes, routes  # noqa: E402,F401

__all__ = ["bp"]
