"""Platform administration under /admin/ (platform admins only; anyone else gets 404)."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from konexi.admin import categories, queues, routes  # noqa: E402,F401
