"""Pictures served from the database at content-addressed, forever-cacheable URLs."""

from flask import Blueprint

bp = Blueprint("media", __name__)

from konexi.media import routes  # noqa: E402,F401
