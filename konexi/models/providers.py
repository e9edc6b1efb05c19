"""Provider teams: who belongs to which company, in which role, and pending invitations."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from konexi.extensions import Model, db
from konexi.models.base import UTCDateTime, stored_as_string, utcnow
from konexi.models.catalogue import Branch, Company
from konexi.models.users import User


class Role(StrEnum):
    """A member's role in a company's team, from the most to the least trusted."""

    OWNER = "owner"  # everything, incl. the team's owners
    ADMIN = "admin"  # branches, vouchers, team
    STAFF = "staff"  # redeems at the branches assigned to them


membership_branches = Table(
    "membership_branches",
    db.metadata,
    Column("membership_id", ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True),
    Column("branch_id", ForeignKey("branches.id", ondelete="CASCADE"), primary_key=True),
)


class Membership(Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("company_id", "user_id", name="uq_memberships_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(stored_as_string(Role, 8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    company: Mapped[Company] = relationship()
    user: Mapped[User] = relationship()
    # Staff redeem only at these branches; owners and admins at every branch.
    branches: Mapped[list[Branch]] = relationship(
        secondary=membership_branches, order_by=Branch.name
    )


class Invitation(Model):
    """An emailed invitation to join a company's team; the link carries a signed token."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    # Stored as normalise_email() returns it; compared with User.email_key lower-cased.
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[Role] = mapped_column(stored_as_string(Role, 8))
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    company: Mapped[Company] = relationship()
    invited_by: Mapped[User | None] = relationship()
