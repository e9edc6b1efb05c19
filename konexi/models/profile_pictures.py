"""A user's profile picture, re-encoded without metadata and kept in the database (one per user)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from konexi.extensions import Model
from konexi.models.base import UTCDateTime, utcnow


class ProfilePicture(Model):
    """A user's one current picture; replacing it overwrites this row, so the old one is gone."""

    __tablename__ = "profile_pictures"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    content_type: Mapped[str] = mapped_column(String(20))
    width: Mapped[int]
    height: Mapped[int]
    # Hash of the stored (re-encoded) bytes: part of the URL, so a new picture gets a new URL.
    sha256: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def extension(self) -> str:
        return "webp" if self.content_type == "image/webp" else "jpg"
