"""Gifts: a claim a user gives to a friend, who accepts it through a ``/g/<token>`` link."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from konexi.extensions import Model
from konexi.models.base import UTCDateTime, stored_as_string, utcnow
from konexi.models.catalogue import Voucher
from konexi.models.claims import Claim


class GiftStatus(StrEnum):
    """Pending until the friend accepts; the sender may take it back; unaccepted, it returns."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    TAKEN_BACK = "taken_back"
    RETURNED = "returned"  # not accepted in time, or the voucher ended
    VOID = "void"  # the sender redeemed the voucher before the friend accepted


class Gift(Model):
    __tablename__ = "gifts"
    __table_args__ = (
        Index("ix_gifts_sender_created", "sender_id", "created_at"),
        Index("ix_gifts_status_expires", "status", "expires_at"),
        Index("ix_gifts_claim_status", "claim_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # A keyed hash of the link's token: the link is the friend's capability, never stored whole.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    voucher_id: Mapped[int] = mapped_column(ForeignKey("vouchers.id"), index=True)
    # NULL once that account is purged: the gift survives only as an anonymous count.
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[str] = mapped_column(String(8))  # sms, email
    # Only a keyed hash of the friend's contact: it is what an accepting account must match.
    recipient_hash: Mapped[str] = mapped_column(String(64))
    ip_hash: Mapped[str | None] = mapped_column(String(64))
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL")
    )
    status: Mapped[GiftStatus] = mapped_column(
        stored_as_string(GiftStatus, 12), default=GiftStatus.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The friend's new claim (a new code) once accepted.
    new_claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))

    voucher: Mapped[Voucher] = relationship()
    claim: Mapped[Claim] = relationship(foreign_keys=[claim_id])
    new_claim: Mapped[Claim | None] = relationship(foreign_keys=[new_claim_id])
