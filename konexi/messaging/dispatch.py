"""Enqueue delivery jobs for committed outbox rows (to be completed by the messaging work)."""

from __future__ import annotations

from konexi.extensions import db
from konexi.models import OutboxMessage


def dispatch_messages(message_ids: list[int]) -> None:
    """Hand each outbox row to its delivery job. Placeholder: keeps them in the dev outbox."""
    for message_id in message_ids:
        message = db.session.get(OutboxMessage, message_id)
        if message is not None and message.status == "pending":
            message.status = "dev"
    db.session.commit()
