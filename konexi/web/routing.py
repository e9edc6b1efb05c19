"""Request input the database cannot take: ids beyond INTEGER and NUL characters in text."""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, request
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter, Map

# Ids are INTEGER columns (32-bit on PostgreSQL); SQLite cannot even bind a Python int beyond
# 64 bits. A larger number in a URL names nothing: answer 404 instead of failing the query.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:…>`` limited to 0…2**31-1 (unless a route asks for its own ``max``)."""

    def __init__(  # noqa: A002
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app: Flask) -> None:
    """Use the bounded converter for every ``<int:…>`` route registered after this call."""
    app.url_map.converters["int"] = IdConverter
    # First of all before_request hooks: Flask-WTF's CSRF check walks the form's keys too.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_nul_bytes)


def _malformed(data: MultiDict[str, Any]) -> bool:
    """True when a key or any of the (repeated) values holds a NUL character, or a part of a
    multipart body came out of the parser without a name (a CR/LF in its name does that)."""
    return any(
        key is None or "\x00" in key or any("\x00" in (v or "") for v in values)
        for key, values in data.lists()
    )


def refuse_nul_bytes() -> None:
    """No link, browser form or Twilio request carries a NUL character, and PostgreSQL cannot
    store or compare one in text: a path with one names nothing (404), a posted form with one
    is refused (400) before a view sends it to the database. Query strings are left to the
    views, which ignore what they cannot use (the feed shows itself whatever the garbage)."""
    if "\x00" in request.path:
        abort(404)
    if request.method == "POST" and _malformed(request.form):
        abort(400)


def id_or_none(value: object) -> int | None:
    """A posted id: an int within the database's range, else None (nothing has that id)."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if -MAX_ID <= number <= MAX_ID else None
