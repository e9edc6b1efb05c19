"""Only Twilio may call the webhooks: each request must carry Twilio's signature of it.

Twilio signs the URL it called (ours, public: ``BASE_URL`` + path + query, which may differ from
``request.url`` behind the platform's proxy) and the POST parameters, with the account's auth
token. Without a token (development) the webhooks answer 503: nothing is configured to call them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec

from flask import Response, current_app, request
from flask.typing import ResponseReturnValue
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

log = logging.getLogger(__name__)
P = ParamSpec("P")


def public_url() -> str:
    """The URL Twilio called, as configured: BASE_URL, then the path and query as received."""
    url = current_app.config["BASE_URL"].rstrip("/") + request.path
    query = request.query_string.decode("utf-8", "replace")
    return f"{url}?{query}" if query else url


def signature_is_valid(auth_token: str) -> bool:
    """True when the request carries Twilio's signature of the public URL and POST parameters."""
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not signature:
        return False
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    validator = RequestValidator(auth_token)
    return bool(validator.validate(public_url(), request.form, signature, algorithm))


def twilio_signed(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    """Run the view only for requests signed by Twilio: 403 otherwise, 503 without a token."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        auth_token = current_app.config.get("TWILIO_AUTH_TOKEN")
        if not auth_token:
            return Response("Twilio is not configured.\n", 503, mimetype="text/plain")
        if not signature_is_valid(auth_token):
            log.warning("webhook %s: missing or invalid Twilio signature", request.path)
            return Response("Invalid signature.\n", 403, mimetype="text/plain")
        return view(*args, **kwargs)

    return wrapped
