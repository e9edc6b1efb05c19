"""ETag and 304 for pages and fragments, and who may keep a copy (``Cache-Control``).

Every GET of an HTML page or fragment gets an ETag computed from its body, so a browser that
already holds the same page gets an empty 304 instead. A page for a signed-in visitor (or one
with anything in the session) is ``private``; an anonymous page is ``public``; both are
``no-cache``: always revalidated, because quotas and claims change at any moment. A response
that sets a cookie or shows a flash message gets no ETag and is never answered with a 304.

The CSRF token in a page is signed afresh on every request (it carries a timestamp), which would
give every page of a signed-in user a new ETag. The ETag therefore hashes the page without that
signed token but with the session's token secret: a cached page holds an older signature of the
same secret, which the CSRF check still accepts.
"""

from __future__ import annotations

import hashlib

from flask import Flask, Response, current_app, g, request, session
from werkzeug.wrappers import Response as BaseResponse

PRIVATE = "private, no-cache"
PUBLIC = "public, no-cache"
CACHED_TYPES = frozenset({"text/html"})


def _csrf_field() -> str:
    return str(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))


def page_etag(body: bytes) -> str:
    """The ETag of a page: its bytes without this request's signed CSRF token, plus the secret."""
    field = _csrf_field()
    signed = g.get(field)
    digest = hashlib.blake2b(digest_size=16)
    if signed:
        body = body.replace(str(signed).encode(), b"")
        digest.update(str(session.get(field, "")).encode())
    digest.update(body)
    return digest.hexdigest()


def _sets_cookie(response: Response) -> bool:
    # The session cookie is written after the hooks: a modified session means a Set-Cookie.
    return bool(response.headers.getlist("Set-Cookie")) or session.modified


def _personal() -> bool:
    # A signed-in visitor always has a session (Flask-Login keeps the user id there).
    return bool(session)


def make_page_conditional(response: Response) -> BaseResponse:
    """Add ``Cache-Control`` and an ETag to an HTML GET, and answer 304 when it still matches."""
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    if response.mimetype not in CACHED_TYPES or response.direct_passthrough:
        return response
    if response.is_streamed or "Cache-Control" in response.headers or response.get_etag()[0]:
        return response  # the view decided itself
    if _sets_cookie(response):
        response.headers["Cache-Control"] = PRIVATE
        return response
    response.headers["Cache-Control"] = PRIVATE if _personal() else PUBLIC
    response.set_etag(page_etag(response.get_data()))
    return response.make_conditional(request)


def init_app(app: Flask) -> None:
    # First in the list so that it runs after every other hook (Flask runs them in reverse),
    # when all cookies and headers are known. Register compression after this, so it runs last.
    app.after_request_funcs.setdefault(None, []).insert(0, make_page_conditional)
