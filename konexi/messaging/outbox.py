"""The outbox API that services use.

A service calls ``queue_sms``/``queue_email`` inside its unit of work, then ``commit_and_dispatch``:
the message rows commit in the same transaction as the change they report, and only then are
delivery jobs enqueued (in-process when there is no Redis). A crash between the two loses nothing:
the periodic sweeper enqueues rows still pending.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select

from konexi.extensions import db
from konexi.messaging.dispatch import enqueue_delivery
from konexi.messaging.failures import where_it_failed
from konexi.messaging.sweeper import sweep_outbox
from konexi.models import OutboxMessage, OutboxStatus
from konexi.tasks.queue import redis_connection

log = logging.getLogger(__name__)

_PENDING_KEY = "konexi_outbox_pending"


def _queue(channel: str, **fields: object) -> OutboxMessage:
    message = OutboxMessage(channel=channel, **fields)
    db.session.add(message)
    db.session.info.setdefault(_PENDING_KEY, []).append(message)
    return message


def queue_sms(
    *,
    to: str,
    body: str,
    kind: str,
    user_id: int | None = None,
    named_user_id: int | None = None,
) -> OutboxMessage:
    """Add an SMS to ``to`` (E.164) to the outbox in the current transaction.

    ``user_id`` is the account the message is for; ``named_user_id`` the person whose name the
    text carries when that is someone else (it is purged with them).
    """
    return _queue(
        "sms", kind=kind, to_address=to, body=body, user_id=user_id, named_user_id=named_user_id
    )


def queue_email(
    *,
    to: str,
    subject: str,
    body: str,
    kind: str,
    user_id: int | None = None,
    named_user_id: int | None = None,
    headers: dict[str, str] | None = None,
) -> OutboxMessage:
    """Add a plain-text email to the outbox in the current transaction (``user_id`` and
    ``named_user_id`` as for ``queue_sms``)."""
    return _queue(
        "email",
        kind=kind,
        to_address=to,
        subject=subject,
        body=body,
        user_id=user_id,
        named_user_id=named_user_id,
        headers=headers,
    )


def commit_and_dispatch() -> list[int]:
    """Commit the session, then enqueue delivery of the messages queued in it; returns their ids."""
    pending: list[OutboxMessage] = db.session.info.pop(_PENDING_KEY, [])
    db.session.commit()
    ids = [message.id for message in pending]
    if ids:
        dispatch_messages(ids)
    return ids


def discard_pending() -> None:
    """Forget queued messages after a rollback."""
    db.session.info.pop(_PENDING_KEY, None)


def could_not_deliver(user_id: int, kind: str, channel: str = "sms") -> bool:
    """True when the newest message of this kind to this user failed for good (an invalid
    number, or retries used up), so the page that waits for it can say so."""
    status = db.session.scalar(
        select(OutboxMessage.status)
        .where(
            OutboxMessage.user_id == user_id,
            OutboxMessage.kind == kind,
            OutboxMessage.channel == channel,
        )
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )
    return status == OutboxStatus.FAILED


# Without Redis there is no cron: each dispatch also retries this many rows that are due again.
INLINE_CATCH_UP = 10


def dispatch_messages(message_ids: list[int]) -> None:
    """Hand each committed, pending outbox row to its delivery job (on the sms or email queue)."""
    if not message_ids:
        return
    rows = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.channel, OutboxMessage.attempts)
        .where(OutboxMessage.id.in_(message_ids), OutboxMessage.status == OutboxStatus.PENDING)
        .order_by(OutboxMessage.id)
    ).all()
    db.session.commit()
    inline = redis_connection() is None
    for row in rows:
        _dispatch_one(row.id, row.channel, row.attempts, inline)
    if inline:
        _guarded(lambda: sweep_outbox(limit=INLINE_CATCH_UP), "catch-up sweep")


def _dispatch_one(message_id: int, channel: str, attempt: int, inline: bool) -> None:
    if not inline:
        enqueue_delivery(message_id, channel, attempt)
        return
    _guarded(lambda: enqueue_delivery(message_id, channel, attempt), f"outbox {message_id}")


def _guarded(run: Callable[[], object], what: str) -> None:
    """In-process delivery must not fail the request whose data is already committed."""
    try:
        run()
    except Exception as exc:  # noqa: BLE001 - logged without its message, which may hold a contact
        db.session.rollback()
        log.error(
            "%s: in-process delivery failed; the sweeper will retry: %s", what, where_it_failed(exc)
        )
