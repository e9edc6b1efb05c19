"""Providers (companies), their branches, voucher categories and vouchers."""

from __future__ import annotations

import math
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, event, false, true
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from konexi.extensions import Model, db
from konexi.models.base import UTCDateTime, stored_as_string, utcnow
from konexi.models.media import Image
from konexi.models.users import User

LAT_BANDS_PER_DEGREE = 10

voucher_branches = Table(
    "voucher_branches",
    db.metadata,
    Column("voucher_id", ForeignKey("vouchers.id", ondelete="CASCADE"), primary_key=True),
    Column("branch_id", ForeignKey("branches.id", ondelete="CASCADE"), primary_key=True),
    # The nearby search starts from branches in a box and needs their vouchers: the voucher id
    # comes from the index itself, without a visit to the table.
    Index("ix_voucher_branches_branch_voucher", "branch_id", "voucher_id"),
)


class Category(Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(80))
    name_id: Mapped[str] = mapped_column(String(80))
    # A category vouchers use is deactivated, never deleted: its vouchers keep it, new ones
    # cannot pick it, and the filters and favourites stop offering it.
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())

    def name_for(self, locale: str) -> str:
        return self.name_id if locale == "id" else self.name_en


class Company(Model):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    branches: Mapped[list[Branch]] = relationship(back_populates="company")


class Branch(Model):
    __tablename__ = "branches"
    # The nearby search seeks each 0.1° latitude row of its box for the box's longitudes, and
    # reads the coordinates and the active flag from the index alone.
    __table_args__ = (
        Index("ix_branches_lat_band", "lat_band", "longitude", "latitude", "is_active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(255))
    city: Mapped[str] = mapped_column(String(80))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    # The 0.1° latitude row (about 11 km) the branch is in: floor(latitude * 10), set from the
    # latitude on every insert and update (see _keep_latitude_band).
    lat_band: Mapped[int | None]
    phone: Mapped[str | None] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Free text such as "Mon–Fri 08:00–20:00", one line per day group.
    opening_hours: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # The customer-service phone is shown only with its owner's consent: who recorded it, when.
    phone_consent_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    phone_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set once the company proved it holds the number (a code sent to it, typed in the console);
    # until then the number is neither shown nor allowed to redeem by SMS.
    phone_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    company: Mapped[Company] = relationship(back_populates="branches")
    phone_consent_by: Mapped[User | None] = relationship(foreign_keys=[phone_consent_by_id])

    @property
    def public_phone(self) -> str | None:
        """The customer-service phone, shown publicly only once its owner's consent is recorded
        and the company proved it holds the number (another company's number is never shown)."""
        if self.phone and self.phone_consent_at is not None and self.phone_verified_at is not None:
            return self.phone
        return None


class CompanyPhone(Model):
    """A phone number a company proved it holds: one number serves one company (unique)."""

    __tablename__ = "company_phones"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    verified_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def latitude_band(latitude: float | None) -> int | None:
    """The 0.1° latitude row a latitude is in (Branch.lat_band)."""
    return None if latitude is None else math.floor(latitude * LAT_BANDS_PER_DEGREE)


@event.listens_for(Branch, "before_insert")
@event.listens_for(Branch, "before_update")
def _keep_latitude_band(_mapper: Mapper[Branch], _connection: Connection, branch: Branch) -> None:
    """Every ORM write of a branch keeps its latitude row current (bulk loaders set it too)."""
    branch.lat_band = latitude_band(branch.latitude)


class VoucherStatus(StrEnum):
    """What the provider chose: a draft is unseen, live is claimable in its window, paused is
    shown but not claimable, ended is final."""

    DRAFT = "draft"
    LIVE = "live"
    PAUSED = "paused"
    ENDED = "ended"


class Voucher(Model):
    __tablename__ = "vouchers"
    __table_args__ = (
        Index("ix_vouchers_status_ends", "status", "ends_at"),
        # "For you" takes the first live vouchers of each liked category and provider in ending
        # order straight from these (konexi/services/catalogue/recommendations.py).
        Index("ix_vouchers_category_live", "category_id", "status", "ends_at", "id"),
        Index("ix_vouchers_company_live", "company_id", "status", "ends_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    title: Mapped[str] = mapped_column(String(140))
    description: Mapped[str] = mapped_column(Text, default="")
    terms: Mapped[str] = mapped_column(Text, default="")
    quota_total: Mapped[int]
    quota_claimed: Mapped[int] = mapped_column(default=0)
    per_user_limit: Mapped[int] = mapped_column(default=1)
    # Off by default: a claim received as a gift cannot be given on unless the provider allows it.
    allow_regift: Mapped[bool] = mapped_column(default=False, server_default=false())
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[VoucherStatus] = mapped_column(
        stored_as_string(VoucherStatus, 12), default=VoucherStatus.LIVE
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    image_id: Mapped[int | None] = mapped_column(
        ForeignKey("images.id", ondelete="SET NULL"), index=True
    )

    company: Mapped[Company] = relationship()
    category: Mapped[Category] = relationship()
    branches: Mapped[list[Branch]] = relationship(secondary=voucher_branches)
    # selectin: a page of cards costs one more query for its pictures (none without pictures).
    image: Mapped[Image | None] = relationship(lazy="selectin")

    @property
    def remaining(self) -> int:
        return max(self.quota_total - self.quota_claimed, 0)
