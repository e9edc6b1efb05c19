"""Security headers on every response (pages, fragments, error pages, static files, JSON, CSV).

docs/security.md lists each header and the test that asserts it (tests/web/test_headers.py).
"""

from __future__ import annotations

from flask import Flask, Response, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from konexi.services.errors import AccountError
from konexi.web.htmx import is_htmx

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# Only the location may be asked for, and only by Konexi's own pages ("nearest first" is opt-in);
# every other powerful feature a browser knows is off, for Konexi and anything it might embed.
DISABLED_FEATURES = (
    "accelerometer",
    "ambient-light-sensor",
    "autoplay",
    "battery",
    "bluetooth",
    "browsing-topics",
    "camera",
    "display-capture",
    "encrypted-media",
    "fullscreen",
    "gamepad",
    "gyroscope",
    "hid",
    "idle-detection",
    "interest-cohort",
    "local-fonts",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "picture-in-picture",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "usb",
    "web-share",
    "xr-spatial-tracking",
)
PERMISSIONS_POLICY = ", ".join(
    ["geolocation=(self)", *(f"{name}=()" for name in DISABLED_FEATURES)]
)
HSTS = "max-age=31536000; includeSubDomains"


def _add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    return response


def _refused_input(error: Exception) -> ResponseReturnValue:
    """An AccountError no view expected (e.g. a code to a number outside the allowed countries,
    asked for from a page without that field): a translated 422 page, never a 500."""
    messages = [str(message) for message in getattr(error, "errors", {}).values()]
    title = _("We could not do that")
    message = " ".join(messages) or _("Please check what you typed and try again.")
    if is_htmx():
        fragment = render_template("errors/_error.html", status=422, title=title, message=message)
        return fragment, 422, {"HX-Retarget": "#main", "HX-Reswap": "innerHTML"}
    page = render_template("errors/error.html", status=422, title=title, message=message)
    return page, 422


def init_app(app: Flask) -> None:
    app.after_request(_add_security_headers)
    app.register_error_handler(AccountError, _refused_input)
    if app.config["KONEXI_ENV"] == "production":

        @app.after_request
        def _hsts(response: Response) -> Response:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
            return response
