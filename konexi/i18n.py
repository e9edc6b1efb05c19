"""Language and time zone: ``?lang=`` (kept in a cookie), then Accept-Language, then English."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, Response, g, has_request_context, request
from flask_babel import format_datetime, get_locale

from konexi.extensions import babel

LANGUAGES = {"en": "English", "id": "Bahasa Indonesia"}
LANG_COOKIE = "lang"
DEFAULT_TIMEZONE = "Asia/Jakarta"
# Files that are the same in every language: shared caches may keep one copy for everybody.
LANGUAGE_NEUTRAL_ENDPOINTS = frozenset({"static", "media.image"})


def select_locale() -> str:
    """The language for this request; outside a request (jobs, CLI) English unless forced."""
    if not has_request_context():
        return "en"
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        g.lang_to_store = asked
        return asked
    stored = request.cookies.get(LANG_COOKIE)
    if stored in LANGUAGES:
        return stored
    return request.accept_languages.best_match(list(LANGUAGES)) or "en"


def select_timezone() -> str:
    return DEFAULT_TIMEZONE


def current_language() -> str:
    return str(get_locale() or "en")


def local_time(value: datetime | None, fmt: str = "medium") -> str:
    """A UTC datetime shown in the user's zone (Asia/Jakarta by default)."""
    if value is None:
        return ""
    return format_datetime(value.astimezone(ZoneInfo(DEFAULT_TIMEZONE)), fmt)


def _store_language(response: Response) -> Response:
    chosen = g.get("lang_to_store")
    if chosen:
        response.set_cookie(
            LANG_COOKIE,
            chosen,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            httponly=True,
            secure=request.is_secure,
        )
    if request.endpoint not in LANGUAGE_NEUTRAL_ENDPOINTS:
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    return response


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.after_request(_store_language)
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, current_language=current_language)
    app.jinja_env.filters["local_time"] = local_time
