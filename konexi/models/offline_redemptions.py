"""Redemptions a counter saved while offline and sent later: one row per device nonce."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from konexi.extensions import Model
from konexi.models.base import UTCDateTime, stored_as_string, utcnow
from konexi.models.catalogue import Branch
from konexi.models.claims import Claim


class OfflineOutcome(StrEnum):
    """The answer to one offline item; the first five are stored, the last three never are
    (nothing is kept for an item that names no branch of the member, or no usable nonce)."""

    REDEEMED = "redeemed"  # this item counted
    ALREADY_REDEEMED = "already_redeemed"  # a conflict: the claim was redeemed before it arrived
    NOT_FOUND = "not_found"  # no such code at this company, or the customer is gone
    NOT_VALID_HERE = "not_valid_here"
    EXPIRED = "expired"
    NOT_YOUR_BRANCH = "not_your_branch"  # not a branch where this member may redeem
    TAMPERED = "tampered"  # the nonce was sent before with another code or by another company
    MALFORMED = "malformed"  # no usable nonce


class OfflineRedemption(Model):
    """One offline redemption as the server answered it; its nonce is accepted once, ever."""

    __tablename__ = "offline_redemptions"
    __table_args__ = (
        Index("ix_offline_redemptions_company_conflict", "company_id", "is_conflict"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The device's random one-time id: a replay finds this row and changes nothing.
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id", ondelete="SET NULL"))
    # Who sent it; NULL once that account is purged.
    staff_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # A keyed digest of the code, never the code: enough to see a nonce reused with another one.
    code_digest: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[OfflineOutcome] = mapped_column(stored_as_string(OfflineOutcome, 20))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id", ondelete="SET NULL"))
    # The same claim had already been redeemed (online or by another device's item).
    is_conflict: Mapped[bool] = mapped_column(Boolean, default=False)
    # Who redeemed the claim that counted, so the conflict shows on their redeem page too.
    counted_staff_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # The device's clock when staff confirmed it: shown, never trusted for ordering.
    device_redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    branch: Mapped[Branch | None] = relationship()
    claim: Mapped[Claim | None] = relationship()
