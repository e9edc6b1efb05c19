"""``POST /webhooks/inbound-email``: the mail provider's inbound route posts each email received
at the unsubscribe mailbox (the ``mailto:`` of our List-Unsubscribe header).

It accepts the raw RFC 822 message as the body (``Content-Type: message/rfc822``) or in a form
field, ``email`` (SendGrid Inbound Parse with "POST the raw, full MIME message") or ``body-mime``
(Mailgun's ``forward()`` to ``…/inbound-email/mime``: Mailgun posts the raw message only to
URLs ending in ``mime``). Authenticated by ``INBOUND_EMAIL_SECRET``
as the HTTP basic-auth password (``https://inbound:SECRET@host/webhooks/inbound-email``) or the
``X-Inbound-Secret`` header; without the setting the endpoint does not exist (404).

Messages with no valid token get 200 as well: mail providers retry anything else for days.
Addresses and tokens never reach a log line.
"""

from __future__ import annotations

import hmac
import json
import logging

from flask import Response, abort, current_app, request

from konexi.config import rate_limit
from konexi.extensions import limiter
from konexi.services.privacy import jobs as privacy_jobs
from konexi.services.privacy import unsubscribe as service
from konexi.tasks.queue import enqueue
from konexi.webhooks import bp

log = logging.getLogger(__name__)

INBOUND_PER_IP = rate_limit("RATELIMIT_INBOUND_EMAIL_PER_IP")
SECRET_HEADER = "X-Inbound-Secret"  # noqa: S105 (a header name, not a secret)


def _presented_secret() -> str:
    auth = request.authorization
    if auth is not None and auth.type == "basic" and auth.password:
        return auth.password
    return request.headers.get(SECRET_HEADER, "")


def _raw_message() -> bytes:
    if request.mimetype == "message/rfc822":
        return request.get_data()
    for field in ("email", "body-mime"):
        upload = request.files.get(field)
        if upload is not None:
            return upload.read()
        value = request.form.get(field)
        if value:
            return value.encode("utf-8", "surrogateescape")
    return b""


def _reported_recipients() -> list[str]:
    """Where the provider says the message was delivered (SendGrid ``to``/``envelope``,
    Mailgun ``recipient``): the plus-address survives there even when headers lose it."""
    recipients = [request.form.get(name, "") for name in ("to", "recipient")]
    try:
        envelope = json.loads(request.form.get("envelope") or "{}")
    except ValueError:
        envelope = {}
    to = envelope.get("to") if isinstance(envelope, dict) else None
    if isinstance(to, list):
        recipients.extend(str(address) for address in to)
    return [address for address in recipients if address]


@bp.post("/inbound-email")
@bp.post("/inbound-email/mime")  # Mailgun posts the raw MIME only to URLs ending in "mime"
@limiter.limit(INBOUND_PER_IP)
def inbound_email() -> Response:
    secret = current_app.config.get("INBOUND_EMAIL_SECRET")
    if not secret:
        abort(404)
    if not hmac.compare_digest(_presented_secret().encode(), str(secret).encode()):
        log.warning("inbound email refused: wrong or missing secret")
        return Response(
            "unauthorized\n",
            401,
            mimetype="text/plain",
            headers={"WWW-Authenticate": 'Basic realm="konexi-inbound-email"'},
        )
    raw = _raw_message()
    user_id = service.user_id_from_unsubscribe_email(raw, _reported_recipients()) if raw else None
    if user_id is None:
        log.warning("inbound email ignored: no valid unsubscribe token (%d bytes)", len(raw))
    else:
        enqueue(privacy_jobs.process_unsubscribe, user_id, queue_name="default")
        log.info("unsubscribe by email queued for user %s", user_id)
    return Response("ok\n", 200, mimetype="text/plain")
