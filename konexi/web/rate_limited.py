"""A form whose rate limit is hit answers with its own page or fragment and the message beside
its button (status 429), instead of the error page that would replace the whole screen.

The app's htmx config swaps 4xx answers into the form's target, so the 429 fragment lands where
the form was; without JavaScript the whole page comes back with the message in place.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Response
from flask_babel import gettext as _
from flask_limiter import RequestLimit
from werkzeug.exceptions import HTTPException


def too_many_attempts() -> str:
    return _("Too many attempts. Please wait a while and try again.")


def in_place(render: Callable[[str], Response | None]) -> Callable[[RequestLimit], Response | None]:
    """An ``on_breach`` callback for ``limiter.limit``: ``render(message)`` is the form's answer
    with the message in place (None: the plain 429 page, e.g. for a visitor who is logged out)."""

    def on_breach(_limit: RequestLimit) -> Response | None:
        response = render(too_many_attempts())
        if response is not None:
            response.status_code = 429
        return response

    return on_breach


def breach_response(error: HTTPException) -> Response | None:
    """The in-place answer an ``on_breach`` callback gave for this 429, if any."""
    response = getattr(error, "response", None)
    return response if isinstance(response, Response) else None
