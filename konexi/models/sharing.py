"""Shares: a voucher sent to a friend by SMS or email, reachable through ``/s/<token>``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from konexi.extensions import Model
from konexi.models.base import UTCDateTime, utcnow
from konexi.models.catalogue import Voucher
from konexi.models.users import User


class Share(Model):
    __tablename__ = "shares"
    __table_args__ = (
        Index("ix_shares_sender_created", "sender_id", "created_at"),
        Index("ix_shares_ip_created", "ip_hash", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("vouchers.id"), index=True)
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(8))  # sms, email
    # Only a keyed hash of the friend's contact is kept; the outbox row holds it until delivery.
    # Both hashes are cleared by the retention job once the daily limits no longer need them.
    recipient_hash: Mapped[str | None] = mapped_column(String(64))
    ip_hash: Mapped[str | None] = mapped_column(String(64))
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL")
    )
    opened_count: Mapped[int] = mapped_column(default=0)
    # The friend's own account, set only when it lets people find it by email or phone: the
    # share is then in their "Shared with me" list too, until they dismiss it.
    recipient_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    recipient_dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when the sender withdraws the link: it then shows "no longer available".
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    voucher: Mapped[Voucher] = relationship()
    sender: Mapped[User | None] = relationship(foreign_keys=[sender_id])
