"""Providers' public pages (``/providers/<slug>``) and the reviews people leave there."""

from flask import Blueprint

bp = Blueprint("providers", __name__)

from konexi.providers_public import people, routes  # noqa: E402,F401
