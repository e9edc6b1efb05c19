"""Uploaded pictures, processed and stored in the database (the platform's disk is ephemeral)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from konexi.extensions import Model
from konexi.models.base import UTCDateTime, utcnow

# Served variants: "full" (the voucher page) and "thumb" (the feed card).
IMAGE_VARIANTS = ("full", "thumb")


class Image(Model):
    """One picture in two re-encoded variants; rows never change, so URLs can be cached forever."""

    __tablename__ = "images"
    __table_args__ = (UniqueConstraint("company_id", "sha256", name="uq_images_company_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    # Hash of the uploaded file: the same upload twice is stored once per company.
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(20))
    width: Mapped[int]
    height: Mapped[int]
    thumb_width: Mapped[int]
    thumb_height: Mapped[int]
    # The bytes are loaded only when served, never with the vouchers that show the picture.
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True, deferred_group="full")
    thumb_data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True, deferred_group="thumb")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def extension(self) -> str:
        return "webp" if self.content_type == "image/webp" else "jpg"

    def size_of(self, variant: str) -> tuple[int, int]:
        """(width, height) of a variant."""
        if variant == "thumb":
            return self.thumb_width, self.thumb_height
        return self.width, self.height
