"""Translated error pages: nobody sees a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, g, render_template
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from konexi.extensions import db, login_manager
from konexi.web.htmx import is_htmx
from konexi.web.rate_limited import breach_response, too_many_attempts

log = logging.getLogger(__name__)

# An error page, its status and (for htmx, or when it must not be cached) its headers.
ErrorAnswer = tuple[str, int] | tuple[str, int, dict[str, str]]


def _page(status: int, title: str, message: str) -> ErrorAnswer:
    """The error page; for htmx, the error fragment swapped into <main> so the user sees it."""
    if is_htmx():
        fragment = render_template(
            "errors/_error.html", status=status, title=title, message=message
        )
        return fragment, status, {"HX-Retarget": "#main", "HX-Reswap": "innerHTML"}
    return render_template("errors/error.html", status=status, title=title, message=message), status


def _forget_the_failed_transaction() -> None:
    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection is gone too: drop the session with it
        db.session.remove()


def _bare_page(title: str, message: str) -> str:
    """A page built without templates or the database, for when rendering one fails too."""
    return (
        f'<!doctype html><html lang="{escape(get_locale() or "en")}"><meta charset="utf-8">'
        f"<title>{escape(title)}</title><h1>{escape(title)}</h1><p>{escape(message)}</p></html>"
    )


def _no_store(response: ErrorAnswer) -> ErrorAnswer:
    """An outage page must not be cached by the browser or a proxy, nor retried at once."""
    body, status, *rest = response if isinstance(response, tuple) else (response, 200)
    headers = dict(rest[0]) if rest else {}
    headers.update({"Cache-Control": "no-store", "Retry-After": "30"})
    return body, status, headers


def init_app(app: Flask) -> None:
    @app.errorhandler(404)
    def not_found(_error: HTTPException) -> ResponseReturnValue:
        return _page(404, _("Page not found"), _("We could not find that page."))

    @app.errorhandler(403)
    def forbidden(_error: HTTPException) -> ResponseReturnValue:
        return _page(403, _("Not allowed"), _("Your account cannot do that here."))

    @app.errorhandler(405)
    def not_allowed(_error: HTTPException) -> ResponseReturnValue:
        return _page(405, _("Not allowed"), _("That action is not available here."))

    @app.errorhandler(413)
    def too_large(_error: HTTPException) -> ResponseReturnValue:
        return _page(413, _("Too large"), _("What you sent is too large."))

    @app.errorhandler(429)
    def too_many(error: HTTPException) -> ResponseReturnValue:
        in_place = breach_response(error)  # the form's own answer (konexi/web/rate_limited.py)
        if in_place is not None:
            return in_place
        return _page(429, _("Too many attempts"), too_many_attempts())

    @app.errorhandler(CSRFError)
    def csrf_failed(_error: CSRFError) -> ResponseReturnValue:
        return _page(
            400,
            _("Form expired"),
            _("This form has expired. Please go back, reload the page and try again."),
        )

    @app.errorhandler(400)
    def bad_request(_error: Exception) -> ResponseReturnValue:
        return _page(400, _("Bad request"), _("We could not understand that request."))

    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError) -> ResponseReturnValue:
        # Only a lost or refused connection is an outage; a value the database refuses is the
        # request's fault (400), anything else a bug on our side (500) — not "try again later".
        if isinstance(error, OperationalError | InterfaceError) or error.connection_invalidated:
            return database_down(error)
        _forget_the_failed_transaction()
        if isinstance(error, DataError):
            log.warning("database refused a value: %s", type(error.__cause__ or error).__name__)
            return bad_request(error)
        log.error("database error", exc_info=error)
        return server_error(error)

    def database_down(error: Exception) -> ResponseReturnValue:
        log.error("database unavailable: %s", type(error.__cause__ or error).__name__)
        _forget_the_failed_transaction()
        # The page must not need the database: the visitor is shown as logged out for it
        # (templates read current_user, whose loader would query the database again).
        g._login_user = login_manager.anonymous_user()
        title = _("Temporarily unavailable")
        message = _("Konexi is temporarily unavailable. Please try again in a minute.")
        try:
            response = _page(503, title, message)
        except SQLAlchemyError:
            _forget_the_failed_transaction()
            response = (_bare_page(title, message), 503)
        return _no_store(response)

    @app.errorhandler(500)
    def server_error(_error: Exception) -> ResponseReturnValue:
        return _page(
            500, _("Something went wrong"), _("Something went wrong on our side. Please try again.")
        )
