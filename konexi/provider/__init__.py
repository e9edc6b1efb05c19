"""The provider console under /provider/: a company's team manages and redeems here."""

from flask import Blueprint

bp = Blueprint("provider", __name__, url_prefix="/provider")

from konexi.provider import access, routes  # noqa: E402,F401
