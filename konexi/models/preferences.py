"""What a user likes and where they are (only when their privacy settings allow storing it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Table
from sqlalchemy.orm import Mapped, mapped_column

from konexi.extensions import Model, db
from konexi.models.base import UTCDateTime, utcnow

user_favourite_categories = Table(
    "user_favourite_categories",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
)


class UserLocation(Model):
    """The last coarse location (about 1 km) of a user whose ``store_location`` setting is on."""

    __tablename__ = "user_locations"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    latitude: Mapped[float]
    longitude: Mapped[float]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
