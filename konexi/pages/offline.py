"""What lets pages open without a connection: the service worker and its offline fallback page.

The worker (static/sw.js) is served from the site's root so that its scope is the whole site.
It installs on the first visit with JavaScript on; until then a browser has nothing to show
offline but its own error page.
"""

from __future__ import annotations

from flask import Response, current_app, make_response, render_template, send_from_directory

from konexi.pages import bp


@bp.get("/sw.js")
def service_worker() -> Response:
    response = send_from_directory(
        current_app.static_folder or "static", "sw.js", mimetype="text/javascript", max_age=0
    )
    # Browsers check for a new worker on each visit; a stale copy would keep old caching rules.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline")
def offline() -> Response:
    """The page the service worker shows for a page it cannot fetch (stored in the visitor's
    language when the worker installs)."""
    response = make_response(render_template("pages/offline.html"))
    response.headers["Cache-Control"] = "no-cache"
    return response
