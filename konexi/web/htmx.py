"""The few htmx request headers the app reads, and the helpers that pick a fragment or a page.

htmx marks its requests with ``HX-*`` headers (https://htmx.org/reference/#request_headers); these
functions read them straight from Flask's request, so no extension has to replace the request class.
"""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse


def _header_is_true(name: str) -> bool:
    # htmx sends the literal "true"; compare loosely so a proxy that changes case changes nothing.
    return request.headers.get(name, "").strip().lower() == "true"


def is_htmx() -> bool:
    """True for any request htmx made (``HX-Request: true``), boosted links included."""
    return _header_is_true("HX-Request")


def is_boosted() -> bool:
    """True when an ``hx-boost`` link or form made the request: it expects a whole page."""
    return _header_is_true("HX-Boosted")


def is_history_restore() -> bool:
    """True when htmx re-fetches a page missing from its history cache: it expects a whole page."""
    return _header_is_true("HX-History-Restore-Request")


def wants_fragment() -> bool:
    """True for an htmx request that swaps part of the page (not boosted, not a history restore)."""
    return is_htmx() and not is_boosted() and not is_history_restore()


def render_page_or_fragment(page: str, fragment: str, **context: Any) -> Response:
    """Render ``fragment`` for htmx requests and ``page`` (which includes it) otherwise."""
    template = fragment if wants_fragment() else page
    response = make_response(render_template(template, **context))
    # The same URL answers two ways: caches must keep them apart.
    response.vary.add("HX-Request")
    return response


def redirect_after_post(location: str) -> BaseResponse:
    """303 See Other for plain browsers; HX-Redirect for htmx so the whole page changes."""
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, code=303)
