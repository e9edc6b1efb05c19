"""The outbox API that services use.

A service calls ``queue_sms``/``queue_email`` inside its unit of work, then ``commit_and_dispatch``:
the message rows commit in the same transaction as the change they report, and only then are
delivery jobs enqueued (in-process when there is no Redis). A crash between the two loses nothing:
the periodic sweeper enqueues rows still pending.
"""

from __future__ import annotations

from sqlalchemy import select

from konexi.extensions import db
from konexi.models import OutboxMessage

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
        from konexi.messaging.dispatch import dispatch_messages

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
    return status == "failed"
