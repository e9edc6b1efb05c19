"""Twilio's webhooks under /webhooks/: inbound SMS (branch phones redeeming) and delivery status.

Twilio cannot send a CSRF token: every request is authenticated by its signature instead.
"""

from flask import Blueprint

from konexi.extensions import csrf

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
csrf.exempt(bp)

from konexi.webhooks import inbound_email, routes  # noqa: E402,F401
