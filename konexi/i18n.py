"""Language and time zone: ``?lang=`` (kept in a cookie), then Accept-Language, then English."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, Response, g, has_request_context, request
from flask_babel import format_date, format_datetime, get_locale

from konexi.extensions import babel

LANGUAGES = {"en": "English", "id": "Bahasa Indonesia"}
LANG_COOKIE = "lang"
DEFAULT_TIMEZONE = "Asia/Jakarta"
# The one way a day and a moment are written, on every page and in every SMS, in the person's
# language ("4 Dec 2026, 16:07", "4 Des 2026, 16:07"): Babel's medium/short styles differ per
# language and read as "12/4/26" in English. Templates use the filters below, never a pattern of
# their own (tests/web/test_date_formats.py keeps it so).
DATE_FORMAT = "d MMM yyyy"
DATETIME_FORMAT = "d MMM yyyy, HH:mm"
TIME_FORMAT = "HH:mm"  # a moment of today, where the day goes without saying
SHORT_DATE_FORMAT = "d MMM"  # a day of the last weeks where the year is said once (charts, ranges)
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


def local_time(value: datetime | None, fmt: str = DATETIME_FORMAT) -> str:
    """A UTC datetime shown in the user's zone (Asia/Jakarta by default): date and time."""
    if value is None:
        return ""
    return format_datetime(value.astimezone(ZoneInfo(DEFAULT_TIMEZONE)), fmt)


def _day(value: date | datetime | None, fmt: str) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):  # a moment: its day in the user's zone
        return local_time(value, fmt)
    return format_date(value, fmt)


def local_date(value: date | datetime | None) -> str:
    """A day (or the day of a UTC datetime in the user's zone): "4 Dec 2026"."""
    return _day(value, DATE_FORMAT)


def short_date(value: date | datetime | None) -> str:
    """A recent day without its year, for chart axes and ranges that give the year once."""
    return _day(value, SHORT_DATE_FORMAT)


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
    app.jinja_env.filters.update(
        local_time=local_time, local_date=local_date, short_date=short_date
    )
