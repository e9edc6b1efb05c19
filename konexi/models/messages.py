"""The outbox: every SMS and email is a row written with the change it reports."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from konexi.extensions import Model
from konexi.models.base import UTCDateTime, stored_as_string, utcnow


class OutboxStatus(StrEnum):
    """Where an outbox row is on its way out."""

    PENDING = "pending"  # waiting for a worker
    SENDING = "sending"  # a worker holds it (until its lease runs out)
    SENT = "sent"  # handed to Twilio/SMTP
    DELIVERED = "delivered"  # Twilio's status callback said it arrived
    FAILED = "failed"  # a permanent failure, or the retries ran out
    DEV = "dev"  # kept in the dev outbox: no provider configured
    # Never sent: a friend's share to someone who turned SMS notifications off (it waits in
    # their "Shared with me" list instead); the row exists so the sender's request does the
    # same work whoever the number belongs to.
    WITHHELD = "withheld"


# Nothing more will happen to a row in these statuses.
FINAL_OUTBOX_STATUSES = (
    OutboxStatus.SENT,
    OutboxStatus.DELIVERED,
    OutboxStatus.FAILED,
    OutboxStatus.DEV,
    OutboxStatus.WITHHELD,
)


class OutboxMessage(Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))  # sms, email
    kind: Mapped[str] = mapped_column(String(40))  # e.g. verify_phone, reset_password
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # The person the text names (an inviter, a friend who shared): their name is in the body,
    # so the row goes when they are purged, whoever it was sent to.
    named_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[OutboxStatus] = mapped_column(
        stored_as_string(OutboxStatus, 12), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    provider_message_id: Mapped[str | None] = mapped_column(String(64), index=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
