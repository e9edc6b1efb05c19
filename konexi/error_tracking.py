"""Errors reported to Sentry when ``SENTRY_DSN`` is set (web and worker), with no personal data.

sentry-sdk runs with the Flask and RQ integrations and a ``data_collection`` that collects no
user, no cookies, no query string, no request or response bodies, no job arguments, no database
parameters and no local variables in stack frames, and only the ``SAFE_HEADERS``; then
``scrub_event`` removes what could still name a person before anything leaves the process: the
concrete URL (it may hold a token: the route pattern is sent instead), the query string, every
header but a few harmless ones, the user, a database error's bound parameters and DETAIL line,
and any email address, phone number, IP address or token-like string in exception messages, log
messages, breadcrumbs, tags and contexts.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from flask import Flask, has_request_context, request

if TYPE_CHECKING:
    from sentry_sdk._types import DataCollectionUserOptions
    from sentry_sdk.types import Event, Hint

FILTERED = "[Filtered]"
# Headers that say nothing about who someone is; every other one is dropped.
SAFE_HEADERS = frozenset(
    {"accept", "accept-encoding", "accept-language", "content-type", "content-length", "hx-request"}
)
# What the SDK's integrations may collect by themselves: only the safe headers, nothing else a
# person could be named by (``data_collection`` replaces the deprecated ``send_default_pii``).
DATA_COLLECTION: DataCollectionUserOptions = {
    "user_info": False,
    "cookies": {"mode": "off"},
    "http_headers": {"request": {"mode": "allowlist", "terms": sorted(SAFE_HEADERS)}},
    "http_bodies": [],
    "url_query_params": {"mode": "off"},
    "graphql": {"document": False, "variables": False},
    "gen_ai": {"inputs": False, "outputs": False},
    "database_query_data": False,
    "queues": False,
    "stack_frame_variables": False,
}
# Contexts that describe the machine and the trace, never a person (kept for Sentry's use).
SAFE_CONTEXTS = frozenset({"trace", "runtime", "os", "device", "app"})
# SQLAlchemy writes every bound value into a database error's message ("[parameters: ('Siti
# Rahmawati', …)]") and PostgreSQL the row or key ("DETAIL:  Failing row contains (1, Siti
# Rahmawati, …)"): names and hashes no pattern below recognises. The statement itself stays.
_SQL_PARAMETERS = re.compile(r"\[parameters: .*?(?=\n\(Background on this error|\Z)", re.DOTALL)
_SQL_DETAIL = re.compile(r"^DETAIL: .*$", re.MULTILINE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# URL-safe runs, possibly dotted (itsdangerous tokens are): long ones with a digit and a letter
# are tokens (/s/<token>, /verify/email/<token>); module paths and words have no digit.
_WORD = re.compile(r"[\w-]+(?:\.[\w-]+)*")
TOKEN_MIN_LENGTH = 12
_IP = re.compile(r"[0-9A-Fa-f:.]*[:.][0-9A-Fa-f:.]+")
# E.164 (+6281234567890) and local forms (0812-3456-7890, 0812 3456 7890); OTP codes too.
_NUMBER = re.compile(r"\+?\d[\d\s().-]{4,}\d")


def _ip_or_text(match: re.Match[str]) -> str:
    try:
        ipaddress.ip_address(match.group(0))
    except ValueError:
        return match.group(0)
    return FILTERED


def _token_or_text(match: re.Match[str]) -> str:
    word = match.group(0)
    if (
        len(word) >= TOKEN_MIN_LENGTH
        and any(c.isdigit() for c in word)
        and any(c.isalpha() for c in word)
    ):
        return FILTERED
    return word


def scrub_text(text: str) -> str:
    """``text`` with SQL parameters, emails, IP addresses, token-like strings and phone-like
    numbers filtered."""
    text = _SQL_PARAMETERS.sub(f"[parameters: {FILTERED}]", text)
    text = _SQL_DETAIL.sub(f"DETAIL: {FILTERED}", text)
    text = _EMAIL.sub(FILTERED, text)
    text = _IP.sub(_ip_or_text, text)
    text = _WORD.sub(_token_or_text, text)
    return _NUMBER.sub(FILTERED, text)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {key: _scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    return value


def _scrub_request(data: dict[str, Any]) -> dict[str, Any]:
    url = data.get("url") or ""
    if has_request_context() and request.url_rule is not None:
        url = request.host_url.rstrip("/") + request.url_rule.rule  # /s/<token>, not the token
    headers = {
        name: value
        for name, value in (data.get("headers") or {}).items()
        if name.lower() in SAFE_HEADERS
    }
    return {"method": data.get("method"), "url": scrub_text(url), "headers": headers}


def scrub_event(event: dict[str, Any], _hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """Sentry's ``before_send``: the event without anything that could name a person."""
    event.pop("user", None)
    if "request" in event:
        event["request"] = _scrub_request(event["request"])
    for exception in (event.get("exception") or {}).get("values") or []:
        if isinstance(exception.get("value"), str):
            exception["value"] = scrub_text(exception["value"])
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    for key in ("logentry", "message", "breadcrumbs", "extra", "tags"):
        if key in event:
            event[key] = _scrub(event[key])
    contexts = event.get("contexts") or {}
    for name in set(contexts) - SAFE_CONTEXTS:  # e.g. "rq-job" holds the job's arguments
        contexts[name] = _scrub(contexts[name])
    return event


def init_app(app: Flask) -> None:
    """Start sentry-sdk for this process when ``SENTRY_DSN`` is set (else nothing is sent)."""
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return
    # Imported only when a DSN is set: without one the SDK (and its integrations' imports of
    # Flask and RQ internals) stays out of every process.
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration
    from sentry_sdk.integrations.rq import RqIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=app.config["KONEXI_ENV"],
        integrations=[FlaskIntegration(), RqIntegration()],
        data_collection=DATA_COLLECTION,
        before_send=_scrub_sentry_event,
        before_send_transaction=_scrub_sentry_event,
    )


# sentry-sdk types an event as a TypedDict; scrub_event edits it as the plain dict it is.
_scrub_sentry_event = cast("Callable[[Event, Hint], Event | None]", scrub_event)


__all__ = ["FILTERED", "init_app", "scrub_event", "scrub_text"]
