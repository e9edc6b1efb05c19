"""Translated error pages: nobody sees a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from konexi.extensions import db

log = logging.getLogger(__name__)


def _page(status: int, title: str, message: str):  # type: ignore[no-untyped-def]
    """The error page; for htmx, the error fragment swapped into <main> so the user sees it."""
    if getattr(request, "htmx", None):
        fragment = render_template(
            "errors/_error.html", status=status, title=title, message=message
        )
        return fragment, status, {"HX-Retarget": "#main", "HX-Reswap": "innerHTML"}
    return render_template("errors/error.html", status=status, title=title, message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(404)
    def not_found(_error: HTTPException):  # type: ignore[no-untyped-def]
        return _page(404, _("Page not found"), _("We could not find that page."))

    @app.errorhandler(403)
    def forbidden(_error: HTTPException):  # type: ignore[no-untyped-def]
        return _page(403, _("Not allowed"), _("Your account cannot do that here."))

    @app.errorhandler(405)
    def not_allowed(_error: HTTPException):  # type: ignore[no-untyped-def]
        return _page(405, _("Not allowed"), _("That action is not available here."))

    @app.errorhandler(413)
    def too_large(_error: HTTPException):  # type: ignore[no-untyped-def]
        return _page(413, _("Too large"), _("What you sent is too large."))

    @app.errorhandler(429)
    def too_many(_error: HTTPException):  # type: ignore[no-untyped-def]
        return _page(
            429, _("Too many attempts"), _("Too many attempts. Please wait a while and try again.")
        )

    @app.errorhandler(CSRFError)
    def csrf_failed(_error: CSRFError):  # type: ignore[no-untyped-def]
        return _page(
            400,
            _("Form expired"),
            _("This form has expired. Please go back, reload the page and try again."),
        )

    @app.errorhandler(400)
    def bad_request(_error: HTTPException):  # type: ignore[no-untyped-def]
        return _page(400, _("Bad request"), _("We could not understand that request."))

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def database_down(error: Exception):  # type: ignore[no-untyped-def]
        log.error("database unavailable: %s", error)
        db.session.rollback()
        return _page(
            503,
            _("Temporarily unavailable"),
            _("Konexi is temporarily unavailable. Please try again in a minute."),
        )

    @app.errorhandler(500)
    def server_error(_error: Exception):  # type: ignore[no-untyped-def]
        return _page(
            500, _("Something went wrong"), _("Something went wrong on our side. Please try again.")
        )
