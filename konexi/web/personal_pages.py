"""Pages about one person are never stored: ``Cache-Control: no-store`` on every answer under
``/me``, ``/account``, ``/provider``, ``/admin`` and ``/verify`` (exports, claims, codes, a
company's customers), whatever its status or type.

``private, no-cache`` (konexi/web/conditional.py) still lets the browser keep a copy on disk, where
the next person on a shared or second-hand phone, or a "back" after logging out, can read it.
The page cache (konexi/web/page_cache.py) never keeps a ``no-store`` answer either.
"""

from __future__ import annotations

from flask import Flask, Response, request

PERSONAL_PREFIXES = ("/me", "/account", "/provider", "/admin", "/verify")
# Public on purpose: a profile picture shown beside reviews, at a URL that changes with the picture.
PUBLIC_ENDPOINTS = frozenset({"account.picture"})


def is_personal_path(path: str) -> bool:
    """True for a path under one of PERSONAL_PREFIXES (``/providers/…`` is public)."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in PERSONAL_PREFIXES)


def _no_store(response: Response) -> Response:
    if request.endpoint in PUBLIC_ENDPOINTS or not is_personal_path(request.path):
        return response
    if "no-store" not in response.headers.get("Cache-Control", ""):
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    # Appended: it runs before conditional.py's hook (inserted first, so run last), which then
    # leaves the response alone (no ETag, no 304 for a page nobody may keep).
    app.after_request(_no_store)
