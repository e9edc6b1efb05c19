"""Who saw which customer's data when redeeming: one row each time a claim is shown or redeemed."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from konexi.extensions import Model
from konexi.models.base import UTCDateTime, stored_as_string, utcnow


class AccessChannel(StrEnum):
    CONSOLE = "console"  # a member looked the customer up at /provider/redeem
    SMS = "sms"  # a branch phone texted a code


class AccessPurpose(StrEnum):
    LOOKUP = "lookup"  # the customer's name, phone and live claims were shown
    REDEEM = "redeem"  # a claim was redeemed


class CustomerDataAccess(Model):
    """One access by a provider to a customer's data (the claim, or the customer without one)."""

    __tablename__ = "customer_data_access"
    __table_args__ = (
        Index("ix_customer_data_access_company_accessed", "company_id", "accessed_at"),
        Index("ix_customer_data_access_customer_accessed", "customer_id", "accessed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id", ondelete="SET NULL"))
    # The staff member (console); both NULL when a branch phone redeemed by SMS.
    membership_id: Mapped[int | None] = mapped_column(
        ForeignKey("memberships.id", ondelete="SET NULL")
    )
    staff_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # The customer whose data was shown; NULL once their account is purged.
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id", ondelete="SET NULL"))
    channel: Mapped[AccessChannel] = mapped_column(stored_as_string(AccessChannel, 8))
    purpose: Mapped[AccessPurpose] = mapped_column(stored_as_string(AccessPurpose, 8))
    accessed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
