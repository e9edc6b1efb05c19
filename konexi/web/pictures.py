"""Serving a stored profile picture: long-cacheable, since its URL carries the content hash."""

from __future__ import annotations

from flask import Response, abort, request

from konexi.models import ProfilePicture

CACHE_FOREVER = "public, max-age=31536000, immutable"
_EXTENSIONS = {"webp": "image/webp", "jpg": "image/jpeg"}


def picture_response(stored: ProfilePicture | None, ext: str) -> Response:
    """The picture's bytes (404 when missing or asked under the wrong extension)."""
    if stored is None or _EXTENSIONS[ext] != stored.content_type:
        abort(404)
    response = Response(stored.data, mimetype=stored.content_type)
    response.set_etag(stored.sha256[:16])
    response.headers["Cache-Control"] = CACHE_FOREVER
    # In place; werkzeug types its return as its own Response, not Flask's.
    response.make_conditional(request)
    return response
