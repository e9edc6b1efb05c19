from flask import Blueprint

bp = Blueprint("feed", __name__)

from konexi.feed import routes  # noqa: E402,F401
