"""Guards for views that need a verified account (claiming, sharing, …)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec
from urllib.parse import urlsplit

from flask import flash, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from konexi.auth.navigation import remember_destination
from konexi.extensions import login_manager
from konexi.web.htmx import redirect_after_post, wants_fragment

P = ParamSpec("P")


def verified_required(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    """Send anonymous users to log in and unverified users to /verify, with a translated note.

    After verifying, a user who came from a page (GET) returns to it; after a POST (a claim),
    to the page the form was on when it is on this site.
    """

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        if not current_user.is_authenticated:
            if wants_fragment():  # htmx: change the whole page, not a fragment of it
                return redirect_after_post(url_for("auth.login"))
            return login_manager.unauthorized()
        if not current_user.is_verified:
            came_from: str | None = (
                request.full_path if request.method == "GET" else request.referrer
            )
            if came_from and "://" in came_from:
                came_from = _same_site_path(came_from)
            remember_destination(came_from.rstrip("?") if came_from else None)
            flash(_("Verify your phone and email to claim vouchers."), "error")
            return redirect_after_post(url_for("auth.verify"))
        return view(*args, **kwargs)

    return wrapped


def _same_site_path(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")
