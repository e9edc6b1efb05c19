from flask import Blueprint

bp = Blueprint("pages", __name__)

from konexi.pages import offline, routes  # noqa: E402,F401
