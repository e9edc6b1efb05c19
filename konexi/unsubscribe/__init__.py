"""One-click unsubscribe from marketing email (RFC 8058): ``/unsubscribe/<token>``."""

from flask import Blueprint

from konexi.extensions import csrf

bp = Blueprint("unsubscribe", __name__)

from konexi.unsubscribe import routes  # noqa: E402,F401

# Mail providers POST ``List-Unsubscribe=One-Click`` with no session and no CSRF token; the
# signed token in the URL is the proof.
csrf.exempt("konexi.unsubscribe.routes.unsubscribe")

__all__ = ["bp"]
