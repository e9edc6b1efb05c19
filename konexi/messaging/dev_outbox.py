"""What the dev outbox page shows: the messages Konexi sent or would have sent."""

from __future__ import annotations

from sqlalchemy import select

from konexi.extensions import db
from konexi.models import OutboxMessage

DEV_OUTBOX_LIMIT = 200


def recent_messages(limit: int = DEV_OUTBOX_LIMIT) -> list[OutboxMessage]:
    """The newest outbox rows first, whatever their status."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
        )
    )
