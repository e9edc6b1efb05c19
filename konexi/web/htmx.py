"""One helper decides whether a view answers with a fragment (htmx) or the full page."""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, redirect, render_template, request


def wants_fragment() -> bool:
    """True for an htmx request that swaps part of the page (not boosted, not a history restore)."""
    hx = getattr(request, "htmx", None)
    return bool(hx) and not hx.boosted and not hx.history_restore_request


def render_page_or_fragment(page: str, fragment: str, **context: Any) -> Response:
    """Render ``fragment`` for htmx requests and ``page`` (which includes it) otherwise."""
    template = fragment if wants_fragment() else page
    response = make_response(render_template(template, **context))
    response.vary.add("HX-Request")
    return response


def redirect_after_post(location: str) -> Response:
    """303 See Other for plain browsers; HX-Redirect for htmx so the whole page changes."""
    if getattr(request, "htmx", None):
        response = make_response("", 204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, code=303)
