"""How a send can fail: temporary failures are retried with backoff, permanent ones are not."""

from __future__ import annotations

import re
import traceback

MAX_REASON = 200
# last_error of a row whose previous attempt may have reached the provider (timeout, crash).
AMBIGUOUS_PREFIX = "ambiguous: "
INTERRUPTED_REASON = AMBIGUOUS_PREFIX + "interrupted while sending"


def after_ambiguous_attempt(last_error: str | None) -> bool:
    """True when the previous attempt may have been sent (so check before sending again)."""
    return bool(last_error) and str(last_error).startswith(AMBIGUOUS_PREFIX)


class DeliveryError(Exception):
    """A send failed; ``reason`` is short and holds no phone number or email address."""

    retryable = False

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:MAX_REASON]


class TemporaryDeliveryError(DeliveryError):
    """The provider is down, busy or unreachable (HTTP 5xx/429, connection errors): retry later.

    ``ambiguous`` means the request may have reached the provider (a read timeout, a dropped
    response): the message may already be on its way, so the retry checks before sending again.
    """

    retryable = True

    def __init__(self, reason: str, ambiguous: bool = False) -> None:
        if ambiguous and not reason.startswith(AMBIGUOUS_PREFIX):
            reason = AMBIGUOUS_PREFIX + reason
        super().__init__(reason)
        self.ambiguous = ambiguous


class PermanentDeliveryError(DeliveryError):
    """The provider refused this message for good (e.g. invalid number): never retry it."""


def scrub(text: str, address: str) -> str:
    """``text`` with ``address`` (and the same number without its ``+``) replaced, on one line."""
    cleaned = " ".join(str(text).split())
    for secret in {address, address.lstrip("+")}:
        if secret:
            cleaned = re.sub(re.escape(secret), "<recipient>", cleaned, flags=re.IGNORECASE)
    return cleaned[:MAX_REASON]


def where_it_failed(exc: BaseException) -> str:
    """An unexpected error's type and stack, without its message (which may hold a contact)."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    return f"{type(exc).__module__}.{type(exc).__qualname__}\n{frames}"
