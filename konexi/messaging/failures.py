"""How a send can fail: temporary failures are retried with backoff, permanent ones are not."""

from __future__ import annotations

import re
import traceback

MAX_REASON = 200


class DeliveryError(Exception):
    """A send failed; ``reason`` is short and holds no phone number or email address."""

    retryable = False

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:MAX_REASON]


class TemporaryDeliveryError(DeliveryError):
    """The provider is down, busy or unreachable (HTTP 5xx/429, connection errors): retry later."""

    retryable = True


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
