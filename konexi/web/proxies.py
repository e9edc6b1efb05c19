"""Who the client is and which scheme it used, as far as the proxies in front can be trusted.

``TRUSTED_PROXIES`` says how many proxies stand in front of the app (Heroku's router: 1; none:
0, the default). Only that many right-most ``X-Forwarded-For``/``X-Forwarded-Proto`` values are
believed (werkzeug's ProxyFix); with 0 the headers are ignored, so a client cannot pick its own
address to escape the per-IP rate limits or claim HTTPS. ``X-Forwarded-Host`` is never used:
Heroku's router does not set it, so any value would come from the client.

Production then sends every plain-HTTP request to HTTPS (308 keeps the method and body): over
``http://`` the browser would drop the ``Secure`` ``__Host-`` cookies and every form would fail.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wsgi import get_current_url

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

# The platform's health check may call the dyno directly over HTTP; it carries nothing personal.
REDIRECT_EXEMPT_PATHS = ("/healthz",)


class HttpsRedirect:
    """WSGI middleware: a 308 to the same URL over HTTPS for any request that came over HTTP."""

    def __init__(self, app: WSGIApplication, trusted_proxies: int) -> None:
        self.app = app
        self.trusted_proxies = trusted_proxies
        self.warned = False

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("wsgi.url_scheme") == "https" or environ.get("PATH_INFO", "").startswith(
            REDIRECT_EXEMPT_PATHS
        ):
            return self.app(environ, start_response)
        if not self.trusted_proxies and environ.get("HTTP_X_FORWARDED_PROTO") and not self.warned:
            # Behind Heroku's router with TRUSTED_PROXIES=0 every request would loop back here.
            self.warned = True
            log.warning(
                "X-Forwarded-Proto ignored: TRUSTED_PROXIES is 0. Behind a proxy that "
                "terminates TLS (Heroku's router) set TRUSTED_PROXIES=1, or every request is "
                "redirected to HTTPS again"
            )
        url = get_current_url(environ)  # the default port of http is dropped from the host
        location = "https://" + url.split("://", 1)[1]
        start_response(
            "308 Permanent Redirect",
            [
                ("Location", location),
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", "0"),
                ("Cache-Control", "no-store"),
            ],
        )
        return [b""]


def wrap(app: Flask) -> None:
    """Put the proxy fix and (in production) the HTTPS redirect around everything else, the
    page cache included, so a cached page is never replayed over HTTP; call it last."""
    wsgi_app = app.wsgi_app
    hops = int(app.config["TRUSTED_PROXIES"])
    if app.config["KONEXI_ENV"] == "production":
        wsgi_app = HttpsRedirect(wsgi_app, hops)
    if hops > 0:
        wsgi_app = ProxyFix(wsgi_app, x_for=hops, x_proto=hops)
    app.wsgi_app = wsgi_app


__all__ = ["HttpsRedirect", "REDIRECT_EXEMPT_PATHS", "wrap"]
