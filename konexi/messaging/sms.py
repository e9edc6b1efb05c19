"""SMS through Twilio's Messages API, with the real ``twilio`` client."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from requests.exceptions import ChunkedEncodingError, ConnectTimeout, ReadTimeout, RequestException
from requests.exceptions import ConnectionError as RequestsConnectionError
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.rest import Client

from konexi.messaging.failures import (
    AMBIGUOUS_PREFIX,
    PermanentDeliveryError,
    TemporaryDeliveryError,
    scrub,
)

TWILIO_API = "https://api.twilio.com"
# Looking for an earlier copy of a message: the newest few to the number are enough.
LOOKUP_LIMIT = 20
LOOKUP_CLOCK_SKEW = timedelta(minutes=2)
# A connection error with one of these never sent a byte of the request.
NOT_CONNECTED = ("NewConnectionError", "Connection refused", "NameResolutionError")
# Twilio's error codes we explain in last_error; the API's own message may repeat the number.
KNOWN_ERRORS = {
    21211: "invalid 'To' phone number",
    21408: "no permission to send to this region",
    21610: "recipient replied STOP",
    21612: "cannot route to this number",
    21614: "not a mobile number",
}

# The client logs every request at INFO; one line per message from our own logger is enough.
_http_log = logging.getLogger("konexi.messaging.twilio_http")
_http_log.setLevel(logging.WARNING)


class RebasedTwilioHttpClient(TwilioHttpClient):
    """Sends Twilio API requests to ``api_base`` instead of api.twilio.com (the tests' fake API)."""

    def __init__(self, api_base: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.api_base = api_base.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> TwilioResponse:
        if url.startswith(TWILIO_API):
            url = self.api_base + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


def sms_configured(config: Mapping[str, Any]) -> bool:
    """True when Twilio's account, token and sender number are all set."""
    return all(
        config.get(name)
        for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER")
    )


def twilio_client(config: Mapping[str, Any]) -> Client:
    """A Twilio client for these settings (a new one per send: safe after the worker forks)."""
    timeout = float(config["OUTBOX_SEND_TIMEOUT"])
    api_base = config.get("TWILIO_API_BASE")
    if api_base:
        http_client: TwilioHttpClient = RebasedTwilioHttpClient(
            api_base, timeout=timeout, logger=_http_log
        )
    else:
        http_client = TwilioHttpClient(timeout=timeout, logger=_http_log)
    return Client(
        config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"], http_client=http_client
    )


def send_sms(*, to: str, body: str, status_callback: str, config: Mapping[str, Any]) -> str:
    """Hand one SMS to Twilio and return its message SID; raise a DeliveryError on failure.
    Twilio posts the delivery status to ``status_callback``."""
    try:
        sent = twilio_client(config).messages.create(
            to=to, from_=config["TWILIO_FROM_NUMBER"], body=body, status_callback=status_callback
        )
    except TwilioRestException as exc:
        raise classify_twilio_error(exc, to) from exc
    except RequestException as exc:
        if request_may_have_arrived(exc):
            raise TemporaryDeliveryError(
                f"twilio did not answer: {type(exc).__name__}", ambiguous=True
            ) from exc
        raise TemporaryDeliveryError(f"twilio unreachable: {type(exc).__name__}") from exc
    except TwilioException as exc:
        raise TemporaryDeliveryError(f"twilio error: {scrub(str(exc), to)}") from exc
    return str(sent.sid)


def request_may_have_arrived(exc: RequestException) -> bool:
    """False only when the request surely never reached Twilio (no connection was made)."""
    if isinstance(exc, ConnectTimeout):
        return False
    if isinstance(exc, ReadTimeout | ChunkedEncodingError):
        return True
    if isinstance(exc, RequestsConnectionError):
        reason = repr(exc.args[0] if exc.args else exc)
        return not any(marker in reason for marker in NOT_CONNECTED)
    return True


def find_sent_sms(*, to: str, body: str, since: datetime, config: Mapping[str, Any]) -> str | None:
    """The SID of a message Twilio already holds with this recipient, sender and body, created
    at or after ``since``, or None. Raises TemporaryDeliveryError when Twilio cannot say."""
    earliest = since.replace(tzinfo=UTC) if since.tzinfo is None else since
    earliest -= LOOKUP_CLOCK_SKEW
    try:
        recent = twilio_client(config).messages.list(
            to=to, from_=config["TWILIO_FROM_NUMBER"], limit=LOOKUP_LIMIT
        )
    except TwilioRestException as exc:
        raise TemporaryDeliveryError(
            f"{AMBIGUOUS_PREFIX}cannot check twilio: {exc.status}"
        ) from exc
    except (RequestException, TwilioException) as exc:
        raise TemporaryDeliveryError(
            f"{AMBIGUOUS_PREFIX}cannot check twilio: {type(exc).__name__}"
        ) from exc
    for sent in recent:
        created = sent.date_created
        if sent.body == body and (created is None or created >= earliest):
            return str(sent.sid)
    return None


def classify_twilio_error(
    exc: TwilioRestException, to: str
) -> TemporaryDeliveryError | PermanentDeliveryError:
    """5xx and 429 are temporary, and so is 401 (our credentials, fixable); other 4xx are final."""
    status = int(exc.status or 0)
    explained = KNOWN_ERRORS.get(exc.code or 0) or scrub(exc.msg or "", to)
    reason = f"twilio {status} error {exc.code}: {explained}"
    if status >= 500 or status in (401, 429) or status == 0:
        return TemporaryDeliveryError(reason)
    return PermanentDeliveryError(reason)
